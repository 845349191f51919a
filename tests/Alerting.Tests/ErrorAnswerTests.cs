using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Stockcast.Alerting.V1;
using Stockcast.ServiceDefaults.Errors;
using Stockcast.Testing;

namespace Stockcast.Alerting.Tests;

/// <summary>What any gRPC client reads from alerting's error answers (google.rpc.Status).</summary>
public sealed class ErrorAnswerTests(RedisServerFixture redis) : LedgerPerTest(redis, r => AlertingHost.StartLedgerAsync(r))
{
    private static IngestRequest Sale(string eventId) => new() { Signals = { new Signal { EventId = eventId, Kind = SignalKind.Sale, Sku = "TEE-1", OccurredAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow) } } };

    [Fact]
    public async Task AnInvalidRuleNamesTheFieldInABadRequestViolationAndKeepsItsMessage()
    {
        using var host = new AlertingHost(Redis.Configuration, Ledger);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await host.Client().SetRuleAsync(new Rule { Sku = "TEE-1", LowStockPercent = 150 }));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("low_stock_percent: must be between 0 and 100", error.Status.Detail);
        var violation = Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations);
        Assert.Equal(("low_stock_percent", "must be between 0 and 100"), (violation.Field, violation.Description));
    }

    [Fact]
    public async Task IngestingWhileRedisIsDownAnswersUnavailableWithWhenToRetryNeverUnknown()
    {
        using var own = new RedisProcess();
        own.Start();
        using var host = new AlertingHost($"{own.EndPoint},connectTimeout=500,asyncTimeout=1000,syncTimeout=1000", Ledger);
        var client = host.Client();
        Assert.Equal(1, (await client.IngestAsync(Sale("before-1"))).Accepted);

        own.Stop();
        var error = await Assert.ThrowsAsync<RpcException>(async () => await client.IngestAsync(Sale("during-1")));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        var status = error.GetRpcStatus()!;
        Assert.Equal(ErrorMapping.StoreUnavailable, status.GetDetail<ErrorInfo>().Reason);
        Assert.NotNull(status.GetDetail<RetryInfo>());
    }
}
