using Google.Rpc;
using Grpc.Core;
using Stockcast.Ledger.V1;
using Stockcast.ServiceDefaults.Errors;
using Stockcast.Testing;

namespace Stockcast.Ledger.Tests;

/// <summary>What any gRPC client, not only ours, reads from the ledger's error answers (google.rpc.Status).</summary>
public sealed class ErrorAnswerTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task AnInvalidArgumentNamesTheFieldInABadRequestViolationAndKeepsItsMessage()
    {
        using var host = await new LedgerHost(redis.Configuration).ReadyAsync();

        var error = await Stock.FailsAsync(() => host.Client().ReserveAsync(new ReserveRequest { OrderId = "o-1", Sku = "TEE\n1", Market = "US", Quantity = 1 }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("sku: must not contain a line break (U+000A at character 4)", error.Status.Detail);
        var violation = Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations);
        Assert.Equal(("sku", "must not contain a line break (U+000A at character 4)"), (violation.Field, violation.Description));
        Assert.Equal("sku", error.Trailers.GetValue(ErrorMapping.FieldTrailer));
    }

    [Theory]
    [MemberData(nameof(SellerSkus.Refused), MemberType = typeof(SellerSkus))]
    public async Task ASkuTheRuleRefusesFailsItsBatchWithTheRulesReasonAndNothingOfItIsApplied(string sku, string reason)
    {
        using var host = await new LedgerHost(redis.Configuration).ReadyAsync();
        var client = host.Client();

        var batch = await Stock.FailsAsync(() => client.ApplyAsync(Stock.Snapshot("us-east", SellerSkus.Stroller, 5, version: 1), Stock.Snapshot("us-east", sku, 5, version: 1)));
        var read = await Stock.FailsAsync(() => client.GetAvailabilityAsync(new GetAvailabilityRequest { Sku = sku, Market = "US" }).ResponseAsync);

        var violation = Assert.Single(batch.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations);
        Assert.Equal((StatusCode.InvalidArgument, "events[1].sku", reason), (batch.StatusCode, violation.Field, violation.Description));
        Assert.Equal((StatusCode.InvalidArgument, $"sku: {reason}"), (read.StatusCode, read.Status.Detail));
        Assert.Empty((await client.ListStockAsync(new ListStockRequest())).Records);
    }

    [Fact]
    public async Task ARegistrationNamesTheWarehouseFieldThatIsWrong()
    {
        using var host = await new LedgerHost(redis.Configuration).ReadyAsync();
        var warehouse = new Warehouse { WarehouseId = "us-south", Region = "us-south", Markets = { "US", "M X" } };

        var error = await Stock.FailsAsync(() => host.Client().RegisterWarehouseAsync(new RegisterWarehouseRequest { Warehouse = warehouse }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("warehouse.markets[1]", Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }

    [Fact]
    public async Task ReservingWhatIsNotThereSaysWhyInErrorInfo()
    {
        using var host = await new LedgerHost(redis.Configuration).ReadyAsync();

        var error = await Stock.FailsAsync(() => host.Client().ReserveAsync(new ReserveRequest { OrderId = "o-2", Sku = "NOWHERE", Market = "US", Quantity = 1 }).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Equal(("INSUFFICIENT_STOCK", ErrorMapping.Domain), (error.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason, error.GetRpcStatus()!.GetDetail<ErrorInfo>().Domain));
    }

    [Fact]
    public async Task ACallWhileRedisIsDownAnswersUnavailableWithWhenToRetryNeverUnknown()
    {
        using var own = new RedisProcess();
        own.Start();
        using var host = await new LedgerHost($"{own.EndPoint},connectTimeout=500,asyncTimeout=1000,syncTimeout=1000").ReadyAsync();
        var client = host.Client();

        own.Stop();
        var error = await Stock.FailsAsync(() => client.GetStockAsync(new GetStockRequest { Sku = "ANY", WarehouseId = "us-east" }).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        var status = error.GetRpcStatus()!;
        Assert.Equal(ErrorMapping.StoreUnavailable, status.GetDetail<ErrorInfo>().Reason);
        Assert.Equal(ErrorMapping.RetryAfter, status.GetDetail<RetryInfo>().RetryDelay.ToTimeSpan());
    }
}
