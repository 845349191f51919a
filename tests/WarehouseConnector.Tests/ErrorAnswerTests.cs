using System.Net;
using Google.Rpc;
using Grpc.Core;
using Stockcast.Connector.V1;
using Stockcast.ServiceDefaults.Errors;
using Stockcast.Testing;

namespace Stockcast.Connector.Tests;

/// <summary>The connector's error answers: google.rpc.Status over gRPC, 503 with Retry-After over HTTP while Redis is down.</summary>
public sealed class ErrorAnswerTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task AnInvalidArgumentNamesTheFieldInABadRequestViolationAndKeepsItsMessage()
    {
        using var host = await ConnectorHost.StartAsync(redis.Configuration);

        var error = await Assert.ThrowsAsync<RpcException>(() => host.Client().ListDeadLettersAsync(new ListDeadLettersRequest { WarehouseId = "us-erp", Limit = 5000 }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("limit: must be between 0 and 1000", error.Status.Detail);
        Assert.Equal("limit", Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }

    [Fact]
    public async Task WhileRedisIsDownACallIsUnavailableAndAPushIs503WithRetryAfter()
    {
        using var own = new RedisProcess();
        own.Start();
        using var host = await ConnectorHost.StartAsync($"{own.EndPoint},connectTimeout=500,asyncTimeout=1000,syncTimeout=1000");
        var client = host.Client();
        Assert.NotEmpty((await client.ListFeedsAsync(new ListFeedsRequest())).Feeds);

        own.Stop();
        var call = await Assert.ThrowsAsync<RpcException>(() => client.ListFeedsAsync(new ListFeedsRequest()).ResponseAsync);
        var push = await ConnectorHost.PushAsync(host.Pusher(), "us-erp", new { sku = "DOWN-1", available = 1, sourceTime = DateTimeOffset.UtcNow.AddSeconds(-1).ToString("O") });

        Assert.Equal(StatusCode.Unavailable, call.StatusCode);
        Assert.Equal(ErrorMapping.StoreUnavailable, call.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, push.StatusCode);
        Assert.NotNull(push.Headers.RetryAfter);
    }
}
