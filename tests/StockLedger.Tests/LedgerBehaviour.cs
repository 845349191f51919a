using Grpc.Core;
using Stockcast.Ledger.V1;
using Stockcast.ServiceDefaults.Errors;
using Stockcast.Testing;

namespace Stockcast.Ledger.Tests;

/// <summary>
/// What the ledger promises, run against every Redis deployment it must work on: a single
/// redis-server and a three-primary Redis Cluster (see the two classes at the end).
/// </summary>
public abstract class LedgerBehaviour(IRedisDeployment redis) : IAsyncLifetime
{
    protected LedgerHost Host { get; private set; } = null!;
    protected StockLedger.StockLedgerClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Host = await new LedgerHost(redis.Configuration).ReadyAsync();
        Client = Host.Client();
    }

    public Task DisposeAsync()
    {
        Host.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task ReplayingABatchChangesNothingAndReportsDuplicates()
    {
        StockEvent[] batch = [Stock.Snapshot("us-east", "TEE-WHITE-M", 40, version: 7), Stock.Delta("us-east", "TEE-WHITE-M", "ship-1", -3)];
        var first = await Client.ApplyAsync(batch);
        var replay = await Client.ApplyAsync(batch);

        Assert.All(first.Results, r => Assert.Equal(EventOutcome.Applied, r.Outcome));
        Assert.All(replay.Results, r => Assert.Equal(EventOutcome.Duplicate, r.Outcome));
        Assert.Equal(first.Revision, replay.Revision);
        var record = await Client.GetStockAsync(new GetStockRequest { Sku = "TEE-WHITE-M", WarehouseId = "us-east" });
        Assert.Equal(37, record.Quantities.Available);
    }

    [Fact]
    public async Task ASnapshotOlderThanTheStoredOneIsIgnoredAsStale()
    {
        await Client.ApplyAsync(Stock.Snapshot("us-east", "MUG-RED", 10, version: 20));
        var stale = await Client.ApplyAsync(Stock.Snapshot("us-east", "MUG-RED", 99, version: 19));

        Assert.Equal(EventOutcome.Stale, stale.Results[0].Outcome);
        Assert.Contains("older", stale.Results[0].Reason);
        Assert.Equal(10, (await Client.GetStockAsync(new GetStockRequest { Sku = "MUG-RED", WarehouseId = "us-east" })).Quantities.Available);
    }

    [Fact]
    public async Task ADeltaAlreadyIncludedInTheStoredSnapshotIsStale()
    {
        await Client.ApplyAsync(Stock.Snapshot("us-east", "CAP-BLK", 10, version: 50));
        var late = await Client.ApplyAsync(Stock.Delta("us-east", "CAP-BLK", "late-1", -2, version: 49));

        Assert.Equal(EventOutcome.Stale, late.Results[0].Outcome);
        Assert.Equal(10, (await Client.GetStockAsync(new GetStockRequest { Sku = "CAP-BLK", WarehouseId = "us-east" })).Quantities.Available);
    }

    [Fact]
    public async Task ASaleThatOvertookItsDeliveryIsOwedByItAndNothingIsPromisedMeanwhile()
    {
        await Client.ApplyAsync(Stock.Snapshot("us-east", "SOCK-3", 2, version: 1, at: DateTimeOffset.UtcNow.AddSeconds(-10)));
        var sale = await Client.ApplyAsync(Stock.Delta("us-east", "SOCK-3", "sale-1", -5, at: DateTimeOffset.UtcNow.AddSeconds(-2)));

        Assert.Equal(EventOutcome.Applied, sale.Results[0].Outcome);
        var owed = await Client.GetStockAsync(new GetStockRequest { Sku = "SOCK-3", WarehouseId = "us-east" });
        Assert.Equal((-3L, 0L), (owed.Quantities.Available, owed.AvailableToPromise));
        var none = await Stock.FailsAsync(() => Client.ReserveAsync(new ReserveRequest { OrderId = "sock-o1", Sku = "SOCK-3", Market = "US", Quantity = 1 }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, none.StatusCode);

        // The delivery the sale came from (earlier at the warehouse, later here): the figures add up as if in order.
        await Client.ApplyAsync(Stock.Delta("us-east", "SOCK-3", "delivery-1", 10, at: DateTimeOffset.UtcNow.AddSeconds(-5)));
        var settled = await Client.GetStockAsync(new GetStockRequest { Sku = "SOCK-3", WarehouseId = "us-east" });
        Assert.Equal((7L, 7L), (settled.Quantities.Available, settled.AvailableToPromise));
    }

    [Fact]
    public async Task ConcurrentDeltasLoseNothing()
    {
        await Client.ApplyAsync(Stock.Snapshot("us-west", "LAMP-1", 10_000, version: 1));
        const int streams = 8, batches = 10, perBatch = 25;
        await Task.WhenAll(Enumerable.Range(0, streams).Select(s => Task.Run(async () =>
        {
            var client = Host.Client();
            var all = Enumerable.Range(0, batches).Select(b => Enumerable.Range(0, perBatch)
                .Select(e => Stock.Delta("us-west", "LAMP-1", $"sale-{s}-{b}-{e}", -1)).ToArray()).ToArray();
            var acks = await client.ApplyAsync(all);
            Assert.All(acks.SelectMany(a => a.Results), r => Assert.Equal(EventOutcome.Applied, r.Outcome));
        })));

        var record = await Client.GetStockAsync(new GetStockRequest { Sku = "LAMP-1", WarehouseId = "us-west" });
        Assert.Equal(10_000 - streams * batches * perBatch, record.Quantities.Available);
    }

    [Fact]
    public async Task AThousandConcurrentReservationsForTheLastHundredUnitsSellExactlyAHundred()
    {
        await Client.ApplyAsync(Stock.Snapshot("us-east", "LAST-100", 60, version: 1), Stock.Snapshot("us-west", "LAST-100", 40, version: 1));
        var clients = Enumerable.Range(0, 8).Select(_ => Host.Client()).ToArray();

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 1000).Select(async i =>
        {
            try
            {
                await clients[i % clients.Length].ReserveAsync(new ReserveRequest { OrderId = $"order-{i}", Sku = "LAST-100", Market = "US", Quantity = 1 });
                return StatusCode.OK;
            }
            catch (RpcException ex)
            {
                return ex.StatusCode;
            }
        }));

        Assert.Equal(100, outcomes.Count(o => o == StatusCode.OK));
        Assert.Equal(900, outcomes.Count(o => o == StatusCode.FailedPrecondition));
        Assert.Equal(0, await Client.AtpAsync("LAST-100", "US"));
    }

    [Fact]
    public async Task ReservingTheSameOrderTwiceHoldsStockOnce()
    {
        await Client.ApplyAsync(Stock.Snapshot("us-east", "DRESS-9", 5, version: 1));
        var request = new ReserveRequest { OrderId = "live-42", Sku = "DRESS-9", Market = "US", Quantity = 2 };

        var first = await Client.ReserveAsync(request);
        var again = await Client.ReserveAsync(request);

        Assert.Equal(first.Revision, again.Revision);
        Assert.Equal(3, await Client.AtpAsync("DRESS-9", "US"));
        var conflict = await Stock.FailsAsync(() => Client.ReserveAsync(new ReserveRequest { OrderId = "live-42", Sku = "DRESS-9", Market = "US", Quantity = 3 }).ResponseAsync);
        Assert.Equal(StatusCode.AlreadyExists, conflict.StatusCode);
    }

    [Fact]
    public async Task ReservationsSurviveALedgerRestart()
    {
        await Client.ApplyAsync(Stock.Snapshot("us-east", "BAG-TAN", 10, version: 1));
        await Client.ReserveAsync(new ReserveRequest { OrderId = "keep-me", Sku = "BAG-TAN", Market = "US", Quantity = 4, HoldSeconds = 3600 });
        Host.Dispose();

        Host = await new LedgerHost(redis.Configuration, Host.Namespace).ReadyAsync();
        Client = Host.Client();

        var kept = await Client.GetReservationAsync(new GetReservationRequest { OrderId = "keep-me" });
        Assert.Equal(ReservationStatus.Held, kept.Status);
        Assert.Equal(6, await Client.AtpAsync("BAG-TAN", "US"));
        Assert.Equal(ReservationStatus.Committed, (await Client.CommitAsync(new CommitRequest { OrderId = "keep-me" })).Status);
    }

    [Fact]
    public async Task AvailabilityCountsOnlyWarehousesServingTheMarket()
    {
        await Client.ApplyAsync(
            Stock.Snapshot("us-east", "HOODIE", 30, version: 1),
            Stock.Snapshot("us-west", "HOODIE", 12, version: 1),
            Stock.Snapshot("eu-de", "HOODIE", 500, version: 1));

        var us = await Client.GetAvailabilityAsync(new GetAvailabilityRequest { Sku = "HOODIE", Market = "US" });
        var ca = await Client.GetAvailabilityAsync(new GetAvailabilityRequest { Sku = "HOODIE", Market = "CA" });
        var de = await Client.GetAvailabilityAsync(new GetAvailabilityRequest { Sku = "HOODIE", Market = "DE" });

        Assert.Equal(42, us.AvailableToPromise);
        Assert.Equal(["us-east", "us-west"], us.Warehouses.Select(w => w.WarehouseId));
        Assert.Equal(30, ca.AvailableToPromise);
        Assert.Equal(500, de.AvailableToPromise);
    }

    [Fact]
    public async Task AnEstimatedSourceTimeIsKeptOnTheRecordAndInTheWatchUntilAWarehouseTimeReplacesIt()
    {
        var estimated = Stock.Snapshot("us-east", "EST-1", 5, version: 1);
        estimated.SourceTimeEstimated = true;
        var start = (await Client.ApplyAsync(estimated)).Revision;
        await Client.ApplyAsync(Stock.Delta("us-east", "EST-1", "est-sale-1", -1, at: DateTimeOffset.UtcNow));

        using var cts = new CancellationTokenSource(Eventually.DefaultDeadline);
        using var watch = Client.Watch(new WatchRequest { StartRevision = start, Skus = { "EST-1" } }, cancellationToken: cts.Token);
        var changes = new List<StockChange>();
        while (changes.Count < 2 && await watch.ResponseStream.MoveNext(cts.Token))
        {
            changes.AddRange(watch.ResponseStream.Current.Changes);
        }

        Assert.Equal([true, false], changes.Select(c => c.Record.SourceTimeEstimated));
        Assert.False((await Client.GetStockAsync(new GetStockRequest { Sku = "EST-1", WarehouseId = "us-east" })).SourceTimeEstimated);
        Assert.True((await Client.ApplyAsync(estimated)).Results[0].Outcome == EventOutcome.Duplicate);
    }

    [Fact]
    public async Task WatchResumesAfterADisconnectWithNoGapAndNoDuplicate()
    {
        var start = (await Client.ApplyAsync(Stock.Snapshot("us-east", "W-0", 1, version: 1))).Revision + 1;
        for (var v = 2; v <= 31; v++)
        {
            await Client.ApplyAsync(Stock.Snapshot("us-east", "W-0", v, version: v));
        }

        var seen = new List<long>();
        using (var first = Client.Watch(new WatchRequest { StartRevision = start }))
        {
            while (seen.Count < 10 && await first.ResponseStream.MoveNext(CancellationToken.None))
            {
                seen.AddRange(first.ResponseStream.Current.Changes.Select(c => c.Revision));
            }
        }
        var resumeFrom = seen[^1] + 1;
        for (var v = 32; v <= 40; v++)
        {
            await Client.ApplyAsync(Stock.Snapshot("us-east", "W-0", v, version: v));
        }
        using var cts = new CancellationTokenSource(Eventually.DefaultDeadline);
        using var second = Client.Watch(new WatchRequest { StartRevision = resumeFrom }, cancellationToken: cts.Token);
        while (seen[^1] < start + 38 && await second.ResponseStream.MoveNext(cts.Token))
        {
            seen.AddRange(second.ResponseStream.Current.Changes.Select(c => c.Revision));
        }

        Assert.Equal(Enumerable.Range(0, 39).Select(i => start + i), seen);
    }

    [Fact]
    public async Task WatchFromACompactedRevisionFailsWithTheOldestAvailableRevision()
    {
        using var host = await new LedgerHost(redis.Configuration, settings: new Dictionary<string, string?> { ["Ledger:ChangeLogMaxLength"] = "1000" }).ReadyAsync();
        var client = host.Client();
        for (var b = 0; b < 6; b++)
        {
            await client.ApplyAsync(Enumerable.Range(0, 500).Select(i => Stock.Snapshot("us-east", $"C-{i}", b, version: b + 1)).ToArray());
        }

        using var call = client.Watch(new WatchRequest { StartRevision = 1 });
        var error = await Stock.FailsAsync(() => call.ResponseStream.MoveNext(CancellationToken.None));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.StartsWith("compacted", error.Status.Detail);
        var oldest = long.Parse(error.Trailers.GetValue(Grpc.Errors.OldestRevisionTrailer)!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(oldest, 2, 3000 - 999);
        var info = error.GetRpcStatus()!.GetDetail<Google.Rpc.ErrorInfo>();
        Assert.Equal(("COMPACTED", error.Trailers.GetValue(Grpc.Errors.OldestRevisionTrailer)), (info.Reason, info.Metadata[Grpc.Errors.OldestRevision]));

        using var resumed = client.Watch(new WatchRequest { StartRevision = oldest });
        Assert.True(await resumed.ResponseStream.MoveNext(CancellationToken.None));
    }

    [Theory]
    [InlineData("unknown-wh", "SKU-1", 5, "events[1].warehouse_id")]
    [InlineData("us-east", "", 5, "events[1].sku")]
    [InlineData("us-east", "TEE\n1", 5, "events[1].sku")]
    [InlineData("us-east", "SKU-1", -1, "events[1].snapshot.quantities.available")]
    [InlineData("us-east", "SKU-1", 5_000_000_000, "events[1].snapshot.quantities.available")]
    public async Task ABatchWithABadEventIsRejectedWholeNamingTheField(string warehouse, string sku, long available, string field)
    {
        var before = await Client.ListWarehousesAsync(new ListWarehousesRequest());
        using var call = Client.ApplyStockEvents();
        await call.RequestStream.WriteAsync(new ApplyStockEventsRequest
        {
            Events = { Stock.Snapshot("us-east", "GOOD-ONE", 10, version: 1), Stock.Snapshot(warehouse, sku, available, version: 1) },
        });
        var error = await Stock.FailsAsync(() => call.ResponseStream.MoveNext(CancellationToken.None));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(field, error.Trailers.GetValue(ErrorMapping.FieldTrailer));
        Assert.StartsWith(field, error.Status.Detail);
        var missing = await Stock.FailsAsync(() => Client.GetStockAsync(new GetStockRequest { Sku = "GOOD-ONE", WarehouseId = "us-east" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        Assert.Equal(before.Warehouses.Count, (await Client.ListWarehousesAsync(new ListWarehousesRequest())).Warehouses.Count);
    }

    [Fact]
    public async Task AnOversizeBatchIsRejectedAndNothingOfItApplied()
    {
        var events = Enumerable.Range(0, 1001).Select(i => Stock.Snapshot("us-east", $"BIG-{i}", 1, version: 1)).ToArray();
        var error = await Stock.FailsAsync(() => Client.ApplyAsync(events));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("events", error.Trailers.GetValue(ErrorMapping.FieldTrailer));
        var list = await Client.ListStockAsync(new ListStockRequest { SkuPrefix = "BIG-" });
        Assert.Empty(list.Records);
    }

    [Fact]
    public async Task SkusAsSellersWriteThemAreStoredReadAndReservedUnderTheirExactText()
    {
        await Client.ApplyAsync([.. SellerSkus.All.SelectMany((sku, i) => new[] { Stock.Snapshot("us-east", sku, 10 + i, version: 1), Stock.Snapshot("us-west", sku, 5, version: 1) })]);
        await Client.ApplyAsync([.. SellerSkus.All.Select((sku, i) => Stock.Delta("us-east", sku, $"sale-{i}", -1))]);
        // Compared ordinally: the same words in other letters are another product.
        await Client.ApplyAsync(Stock.Snapshot("us-east", "stroller black 2025", 99, version: 1));

        foreach (var (sku, i) in SellerSkus.All.Select((sku, i) => (sku, i)))
        {
            var record = await Client.GetStockAsync(new GetStockRequest { Sku = sku, WarehouseId = "us-east" });
            Assert.Equal((sku, 9L + i), (record.Sku, record.Quantities.Available));
            Assert.Equal(9 + i + 5, await Client.AtpAsync(sku, "US"));
            var held = await Client.ReserveAsync(new ReserveRequest { OrderId = $"live-{i}", Sku = sku, Market = "US", Quantity = 2 });
            Assert.Equal((sku, "us-east"), (held.Sku, held.WarehouseId));
            var committed = await Client.CommitAsync(new CommitRequest { OrderId = $"live-{i}" });
            Assert.Equal((sku, ReservationStatus.Committed), (committed.Sku, committed.Status));
            Assert.Equal(9 + i + 5 - 2, await Client.AtpAsync(sku, "US"));
        }
        var read = await Client.BatchGetStockAsync(new BatchGetStockRequest
        {
            Keys = { SellerSkus.All.SelectMany(sku => new[] { new StockKey { Sku = sku, WarehouseId = "us-west" }, new StockKey { Sku = sku, WarehouseId = "eu-de" } }) },
        });
        Assert.Equal(SellerSkus.All, read.Records.Select(r => r.Sku));
        Assert.Equal(SellerSkus.All, read.Missing.Select(k => k.Sku));
        Assert.Equal(99, (await Client.GetStockAsync(new GetStockRequest { Sku = "stroller black 2025", WarehouseId = "us-east" })).Quantities.Available);
    }

    [Fact]
    public async Task ListStockPagesThroughSkusWithSpacesAndAnyScriptInCodePointOrder()
    {
        // Code point order, which is UTF-8's byte order (Redis sorts bytes): "A" before "A B" before "AB",
        // and an emoji after U+FF01, where UTF-16 ordinal order would put it first.
        string[] ordered = ["A", "A B", "AB", "Ä", "连衣裙 红色 M", "！", "👶 Stroller"];
        await Client.ApplyAsync([.. ordered.Reverse().SelectMany(sku => new[] { Stock.Snapshot("us-west", sku, 1, version: 1), Stock.Snapshot("us-east", sku, 1, version: 1) })]);

        async Task<List<string>> ListAsync(ListStockRequest request)
        {
            var seen = new List<string>();
            do
            {
                var page = await Client.ListStockAsync(request);
                seen.AddRange(page.Records.Select(r => request.WarehouseId.Length > 0 ? r.Sku : $"{r.Sku}@{r.WarehouseId}"));
                request.PageToken = page.NextPageToken;
            }
            while (request.PageToken != "");
            return seen;
        }

        Assert.Equal(ordered.SelectMany(sku => new[] { sku + "@us-east", sku + "@us-west" }), await ListAsync(new ListStockRequest { PageSize = 1 }));
        Assert.Equal(["A@us-east", "A@us-west", "A B@us-east", "A B@us-west", "AB@us-east", "AB@us-west"], await ListAsync(new ListStockRequest { SkuPrefix = "A", PageSize = 2 }));
        Assert.Equal(["A B@us-east", "A B@us-west"], await ListAsync(new ListStockRequest { SkuPrefix = "A " }));
        Assert.Equal(ordered, await ListAsync(new ListStockRequest { WarehouseId = "us-west", PageSize = 3 }));
    }

    [Fact]
    public async Task ListStockPagesThroughASkuPrefixAndAWarehouse()
    {
        await Client.ApplyAsync(Enumerable.Range(0, 25).Select(i => Stock.Snapshot(i % 2 == 0 ? "us-east" : "us-west", $"PAGE-{i:D2}", i, version: 1)).ToArray());

        var skus = new List<string>();
        var token = "";
        do
        {
            var page = await Client.ListStockAsync(new ListStockRequest { SkuPrefix = "PAGE-", PageSize = 10, PageToken = token });
            skus.AddRange(page.Records.Select(r => r.Sku));
            token = page.NextPageToken;
        }
        while (token != "");
        var west = await Client.ListStockAsync(new ListStockRequest { WarehouseId = "us-west", PageSize = 100 });

        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"PAGE-{i:D2}"), skus);
        Assert.Equal(12, west.Records.Count);
    }
}

public sealed class LedgerOnASingleRedisServer(RedisServerFixture redis) : LedgerBehaviour(redis), IClassFixture<RedisServerFixture>;

[Trait(Lane.Name, Lane.Slow)]
public sealed class LedgerOnARedisCluster(RedisClusterFixture redis) : LedgerBehaviour(redis), IClassFixture<RedisClusterFixture>;
