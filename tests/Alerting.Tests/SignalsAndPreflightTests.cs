using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Stockcast.Alerting.V1;
using Stockcast.Testing;

namespace Stockcast.Alerting.Tests;

/// <summary>Sales signals setting the pace, and the pre-stream check.</summary>
public sealed class SignalsAndPreflightTests(RedisServerFixture redis) : LedgerPerTest(redis, r => AlertingHost.StartLedgerAsync(r))
{
    private static Signal Sale(string id, string sku, DateTimeOffset at) => new() { EventId = id, Kind = SignalKind.Sale, Sku = sku, OccurredAt = Timestamp.FromDateTimeOffset(at) };

    [Fact]
    public async Task IngestedSalesSetThePaceThatWarnsTheRoomBeforeItSellsOutAndARedeliveryCountsOnce()
    {
        using var host = new AlertingHost(Redis.Configuration, Ledger);
        await host.SetStockAsync("us-east", "HOODIE-1", 40, 1);
        await host.Client().UpsertStreamAsync(AlertingHost.LiveNow("room-3", "US", 3, "HOODIE-1"));
        using var console = host.Client().WatchAlerts(new WatchAlertsRequest { AfterId = "0", RoomId = "room-3" });
        // One sale every 108 s for the last three hours: 33.3 an hour.
        var now = DateTimeOffset.UtcNow;
        var sales = new IngestRequest { Signals = { Enumerable.Range(0, 100).Select(i => Sale($"order-{i}", "HOODIE-1", now.AddSeconds(-108 * (100 - i)))) } };

        var first = await host.Client().IngestAsync(sales);
        var again = await host.Client().IngestAsync(sales);

        Assert.Equal((100, 0), (first.Accepted, first.Duplicates));
        Assert.Equal((0, 100), (again.Accepted, again.Duplicates));
        var eta = (await AlertingHost.ReadUntilAsync(console, n => n.Alert.Kind == AlertKind.SellOutEta)).Last().Alert;
        Assert.InRange(eta.Figures["rate_per_hour"], 30, 37);
        Assert.InRange(eta.Figures["eta_seconds"], 3600, 4800); // 40 / 33.3 an hour = 1 h 12 min
        Assert.StartsWith("At this pace (3", eta.Message);
        Assert.Contains("sells out in 1 h 1", eta.Message);
        Assert.Contains("before the stream ends at", eta.Message);
    }

    [Fact]
    public async Task ABatchWithOneBadSignalIsRefusedWholeNamingTheField()
    {
        using var host = new AlertingHost(Redis.Configuration, Ledger);
        var good = Sale("ok-1", "CAP-9", DateTimeOffset.UtcNow);

        var refused = await Assert.ThrowsAsync<RpcException>(async () => await host.Client().IngestAsync(new IngestRequest { Signals = { good, new Signal { EventId = "bad-1", Kind = SignalKind.AddToCart } } }));
        var accepted = await host.Client().IngestAsync(new IngestRequest { Signals = { good } });

        Assert.Equal((StatusCode.InvalidArgument, "signals[1].sku"), (refused.StatusCode, refused.Trailers.GetValue("stockcast-field")));
        Assert.Equal(1, accepted.Accepted); // nothing of the refused batch was kept
    }

    [Fact]
    public async Task PreflightGivesEachSkuAVerdictWithItsReasonAndASuggestedAction()
    {
        using var host = new AlertingHost(Redis.Configuration, Ledger);
        await host.SetStockAsync("us-east", "OK-1", 500, 1);
        await host.SetStockAsync("us-east", "LOW-1", 8, 1);
        await host.SetStockAsync("us-east", "OUT-1", 0, 1, inbound: 40);
        await host.SetStockAsync("us-east", "OLD-1", 100, 1, sourceTime: DateTimeOffset.UtcNow.AddHours(-2));
        await host.SetStockAsync("eu-central", "EU-ONLY-1", 60, 1);
        await host.Client().UpsertProductsAsync(new UpsertProductsRequest
        {
            Products = { new Product { Sku = "GONE-1", Category = "tees" }, new Product { Sku = "OK-1", Category = "tees" } },
        });
        await host.WaitReadyAsync();

        var verdicts = (await host.Client().PreflightAsync(new PreflightRequest
        {
            Skus = { "OK-1", "LOW-1", "OUT-1", "OLD-1", "GONE-1", "EU-ONLY-1" },
            Market = "US",
            Duration = Duration.FromTimeSpan(TimeSpan.FromHours(2)),
        })).Verdicts.ToDictionary(v => v.Sku);

        Assert.Equal((Verdict.Ok, 500L), (verdicts["OK-1"].Verdict, verdicts["OK-1"].AvailableToPromise));
        Assert.Equal(Verdict.Low, verdicts["LOW-1"].Verdict);
        Assert.Equal("8 available, at or below the low-stock level 20", verdicts["LOW-1"].Reason);
        Assert.Equal((Verdict.Out, "switch to pre-sale, 7 days (40 units inbound)"), (verdicts["OUT-1"].Verdict, verdicts["OUT-1"].SuggestedAction));
        Assert.Equal(Verdict.StaleData, verdicts["OLD-1"].Verdict);
        Assert.StartsWith("the oldest warehouse figure is 2 h", verdicts["OLD-1"].Reason);
        Assert.Equal((Verdict.Out, "OK-1", "replace the featured SKU with OK-1"), (verdicts["GONE-1"].Verdict, verdicts["GONE-1"].ReplacementSku, verdicts["GONE-1"].SuggestedAction));
        Assert.Equal((Verdict.Out, "transfer from eu-central (60 there)"), (verdicts["EU-ONLY-1"].Verdict, verdicts["EU-ONLY-1"].SuggestedAction));
    }

    [Fact]
    public async Task AWarehouseRegisteredAfterStartIsKnownBeforeItsStockIsJudged()
    {
        using var host = new AlertingHost(Redis.Configuration, Ledger);
        await host.WaitReadyAsync();
        var ledger = host.LedgerWriter(out var auth);
        var id = "us-new-" + Guid.NewGuid().ToString("N")[..6];
        await ledger.RegisterWarehouseAsync(new Ledger.V1.RegisterWarehouseRequest { Warehouse = new Ledger.V1.Warehouse { WarehouseId = id, Region = "us-west", Markets = { "US" } } }, auth);

        await host.SetStockAsync(id, "NEWWH-1", 100, 1);

        // Well inside the periodic warehouse refresh (30 s): the unknown warehouse is read on sight.
        await Eventually.TrueAsync(async () =>
            (await host.Client().PreflightAsync(new PreflightRequest { Skus = { "NEWWH-1" }, Market = "US" })).Verdicts.Single() is { Verdict: Verdict.Ok, AvailableToPromise: 100 },
            "the new warehouse's stock counts for US", TimeSpan.FromSeconds(10));
    }
}
