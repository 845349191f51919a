using Grpc.Core;
using Stockcast.Ledger.V1;
using Stockcast.Testing;

namespace Stockcast.Ledger.Tests;

/// <summary>A lease holder's batches carry its term: once a newer term has written, an older one changes nothing.</summary>
public sealed class WriterFenceTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private LedgerHost _host = null!;

    public async Task InitializeAsync() => _host = await new LedgerHost(redis.Configuration).ReadyAsync();

    public Task DisposeAsync()
    {
        _host.Dispose();
        return Task.CompletedTask;
    }

    private async Task<ApplyStockEventsResponse> ApplyFencedAsync(long term, params StockEvent[] events)
    {
        using var call = _host.Client().ApplyStockEvents();
        await call.RequestStream.WriteAsync(new ApplyStockEventsRequest { Events = { events }, Fence = new WriterFence { Name = "feed:us-east", Term = term } });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        return call.ResponseStream.Current;
    }

    [Fact]
    public async Task ABatchFromAnOlderTermIsRefusedAndChangesNothing()
    {
        await ApplyFencedAsync(3, Stock.Snapshot("us-east", "FENCE-1", 10, version: 1));
        await ApplyFencedAsync(4, Stock.Snapshot("us-east", "FENCE-1", 20, version: 3));

        var refused = await Stock.FailsAsync(() => ApplyFencedAsync(3, Stock.Snapshot("us-east", "FENCE-1", 99, version: 5)));

        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains("term 3 is older than term 4", refused.Status.Detail);
        Assert.Equal(20, (await _host.Client().GetStockAsync(new GetStockRequest { Sku = "FENCE-1", WarehouseId = "us-east" })).Quantities.Available);
    }

    [Fact]
    public async Task TheSameOrANewerTermKeepsWriting()
    {
        await ApplyFencedAsync(7, Stock.Snapshot("us-east", "FENCE-2", 10, version: 1));

        var same = await ApplyFencedAsync(7, Stock.Snapshot("us-east", "FENCE-2", 11, version: 2));
        var newer = await ApplyFencedAsync(8, Stock.Snapshot("us-east", "FENCE-2", 12, version: 3));

        Assert.Equal([EventOutcome.Applied, EventOutcome.Applied], new[] { same.Results[0].Outcome, newer.Results[0].Outcome });
        Assert.Equal(12, (await _host.Client().GetStockAsync(new GetStockRequest { Sku = "FENCE-2", WarehouseId = "us-east" })).Quantities.Available);
    }
}
