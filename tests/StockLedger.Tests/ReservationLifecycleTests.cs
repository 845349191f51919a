using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Time.Testing;
using Stockcast.Ledger.V1;
using Stockcast.ServiceDefaults.Errors;
using Stockcast.Testing;

namespace Stockcast.Ledger.Tests;

/// <summary>Hold, expiry, commit and settlement, on a clock the test moves.</summary>
public sealed class ReservationLifecycleTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private LedgerHost _host = null!;
    private StockLedger.StockLedgerClient _client = null!;

    public async Task InitializeAsync()
    {
        _host = await new LedgerHost(redis.Configuration, clock: _clock).ReadyAsync();
        _client = _host.Client();
    }

    public Task DisposeAsync()
    {
        _host.Dispose();
        return Task.CompletedTask;
    }

    private DateTimeOffset Now => _clock.GetUtcNow();

    [Fact]
    public async Task AHeldReservationExpiresAfterItsHoldTimeAndItsUnitsCountAgain()
    {
        await _client.ApplyAsync(Stock.Snapshot("us-east", "SCARF", 10, version: 1, at: Now));
        await _client.ReserveAsync(new ReserveRequest { OrderId = "cart-1", Sku = "SCARF", Market = "US", Quantity = 3, HoldSeconds = 60 });
        Assert.Equal(7, await _client.AtpAsync("SCARF", "US"));

        _clock.Advance(TimeSpan.FromSeconds(61));

        await Eventually.TrueAsync(async () => await _client.AtpAsync("SCARF", "US") == 10, "the expired hold gives its units back");
        Assert.Equal(ReservationStatus.Expired, (await _client.GetReservationAsync(new GetReservationRequest { OrderId = "cart-1" })).Status);
        var late = await Stock.FailsAsync(() => _client.CommitAsync(new CommitRequest { OrderId = "cart-1" }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, late.StatusCode);
    }

    [Fact]
    public async Task ACommittedReservationCountsUntilAWarehouseReportNewerThanHandOverPlusDelay()
    {
        await _client.RegisterWarehouseAsync(new RegisterWarehouseRequest
        {
            Warehouse = new Warehouse { WarehouseId = "us-slow", Region = "us-east", Markets = { "US" }, AllocationDelayMs = 30_000 },
        });
        await _client.ApplyAsync(Stock.Snapshot("us-slow", "JACKET", 10, version: 1, at: Now.AddSeconds(-5)));
        await _client.ReserveAsync(new ReserveRequest { OrderId = "live-7", Sku = "JACKET", Market = "US", Quantity = 2 });
        var handOver = Now;
        await _client.CommitAsync(new CommitRequest { OrderId = "live-7" });

        // Within the allocation delay the warehouse still reports the two units as available.
        await _client.ApplyAsync(Stock.Snapshot("us-slow", "JACKET", 10, version: 2, at: handOver.AddSeconds(10)));
        var before = await _client.GetStockAsync(new GetStockRequest { Sku = "JACKET", WarehouseId = "us-slow" });
        Assert.Equal((2, 8), (before.Committed, before.AvailableToPromise));

        // Past hand-over + delay (on the ledger's clock), its figures include the order: the ledger stops counting it.
        _clock.Advance(TimeSpan.FromSeconds(31));
        await _client.ApplyAsync(Stock.Snapshot("us-slow", "JACKET", 8, version: 3, at: handOver.AddSeconds(31)));
        var after = await _client.GetStockAsync(new GetStockRequest { Sku = "JACKET", WarehouseId = "us-slow" });
        Assert.Equal((0, 8), (after.Committed, after.AvailableToPromise));
        Assert.Equal(ReservationStatus.Settled, (await _client.GetReservationAsync(new GetReservationRequest { OrderId = "live-7" })).Status);
    }

    [Fact]
    public async Task AReserveOrCommitRetriedAfterTheHoldExpiredAnswersReservationExpiredNotASuccess()
    {
        await _client.ApplyAsync(Stock.Snapshot("us-east", "GLOVE", 10, version: 1, at: Now));
        var reserve = new ReserveRequest { OrderId = "cart-9", Sku = "GLOVE", Market = "US", Quantity = 4, HoldSeconds = 60 };
        await _client.ReserveAsync(reserve);

        _clock.Advance(TimeSpan.FromSeconds(61));

        // Whether or not the sweeper got there first, the retry does not read as a live hold.
        var retried = await Stock.FailsAsync(() => _client.ReserveAsync(reserve).ResponseAsync);
        var committed = await Stock.FailsAsync(() => _client.CommitAsync(new CommitRequest { OrderId = "cart-9" }).ResponseAsync);
        var released = await _client.ReleaseAsync(new ReleaseRequest { OrderId = "cart-9" });

        foreach (var error in new[] { retried, committed })
        {
            Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
            Assert.StartsWith("reservation expired", error.Status.Detail);
            Assert.Equal("order_id", error.Trailers.GetValue("stockcast-field"));
        }
        Assert.Equal(ReservationStatus.Expired, released.Status);
        Assert.Equal(10, await _client.AtpAsync("GLOVE", "US"));
    }

    [Fact]
    public async Task FinishedReservationsAreKeptForTheRetentionThenRedisRemovesThem()
    {
        await _client.ApplyAsync(Stock.Snapshot("us-east", "HAT", 10, version: 1, at: Now));
        foreach (var order in new[] { "kept-released", "kept-committed" })
        {
            await _client.ReserveAsync(new ReserveRequest { OrderId = order, Sku = "HAT", Market = "US", Quantity = 1 });
        }
        await _client.ReleaseAsync(new ReleaseRequest { OrderId = "kept-released" });
        await _client.CommitAsync(new CommitRequest { OrderId = "kept-committed" });

        using var redisClient = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redis.Configuration);
        var db = redisClient.GetDatabase();
        var week = TimeSpan.FromHours(168);
        var released = await db.KeyTimeToLiveAsync($"{{{_host.Namespace}}}:o:kept-released");
        var committed = await db.KeyTimeToLiveAsync($"{{{_host.Namespace}}}:o:kept-committed");

        // Released: the retention from now. Committed: from when it is due to settle (the default 120 s allocation delay).
        Assert.InRange(released!.Value, week - TimeSpan.FromMinutes(1), week);
        Assert.InRange(committed!.Value, week + TimeSpan.FromSeconds(60), week + TimeSpan.FromSeconds(120));
    }

    [Fact]
    public async Task AWarehouseClockAheadOfTheLedgersCannotSettleACommittedReservationEarly()
    {
        await _client.ApplyAsync(Stock.Snapshot("us-east", "COAT", 10, version: 1, at: Now));
        await _client.ReserveAsync(new ReserveRequest { OrderId = "live-skew", Sku = "COAT", Market = "US", Quantity = 2 });
        await _client.CommitAsync(new CommitRequest { OrderId = "live-skew" });

        // Its clock is 600 s ahead: taken at its word, this report would be past hand-over + the 120 s default delay.
        await _client.ApplyAsync(Stock.Snapshot("us-east", "COAT", 10, version: 2, at: Now.AddSeconds(600)));
        var early = await _client.GetStockAsync(new GetStockRequest { Sku = "COAT", WarehouseId = "us-east" });
        Assert.Equal((2, 8), (early.Committed, early.AvailableToPromise));

        // On the ledger's clock the delay passes; the next report (still skewed) settles it.
        _clock.Advance(TimeSpan.FromSeconds(121));
        await _client.ApplyAsync(Stock.Snapshot("us-east", "COAT", 8, version: 3, at: Now.AddSeconds(600)));
        var settled = await _client.GetStockAsync(new GetStockRequest { Sku = "COAT", WarehouseId = "us-east" });
        Assert.Equal((0, 8), (settled.Committed, settled.AvailableToPromise));
        Assert.Equal(ReservationStatus.Settled, (await _client.GetReservationAsync(new GetReservationRequest { OrderId = "live-skew" })).Status);
    }

    [Fact]
    public async Task ADeltaAfterTheAllocationDelayDoesNotSettleACommittedReservationTheNextSnapshotDoes()
    {
        await _client.ApplyAsync(Stock.Snapshot("us-east", "VEST", 10, version: 1, at: Now));
        await _client.ReserveAsync(new ReserveRequest { OrderId = "live-delta", Sku = "VEST", Market = "US", Quantity = 3 });
        await _client.CommitAsync(new CommitRequest { OrderId = "live-delta" });
        _clock.Advance(TimeSpan.FromSeconds(121));

        // A delivery of 2, past hand-over + delay: one change, not the warehouse's picture, so the order may not be in the ledger's figures.
        await _client.ApplyAsync(Stock.Delta("us-east", "VEST", "vest-delivery", 2, at: Now));
        var afterDelta = await _client.GetStockAsync(new GetStockRequest { Sku = "VEST", WarehouseId = "us-east" });
        Assert.Equal((12L, 3L, 9L), (afterDelta.Quantities.Available, afterDelta.Committed, afterDelta.AvailableToPromise));

        // The warehouse's snapshot has the order allocated: from it the ledger stops counting the order.
        _clock.Advance(TimeSpan.FromSeconds(1));
        await _client.ApplyAsync(Stock.Snapshot("us-east", "VEST", 9, version: 2, at: Now));
        var afterSnapshot = await _client.GetStockAsync(new GetStockRequest { Sku = "VEST", WarehouseId = "us-east" });
        Assert.Equal((9L, 0L, 9L), (afterSnapshot.Quantities.Available, afterSnapshot.Committed, afterSnapshot.AvailableToPromise));
        Assert.Equal(ReservationStatus.Settled, (await _client.GetReservationAsync(new GetReservationRequest { OrderId = "live-delta" })).Status);
    }

    [Fact]
    public async Task ReleasingAHeldReservationGivesItsUnitsBackOnceAndCommittedOnesCannotBeReleased()
    {
        await _client.ApplyAsync(Stock.Snapshot("us-east", "BELT", 5, version: 1, at: Now));
        await _client.ReserveAsync(new ReserveRequest { OrderId = "a", Sku = "BELT", Market = "US", Quantity = 2 });
        await _client.ReserveAsync(new ReserveRequest { OrderId = "b", Sku = "BELT", Market = "US", Quantity = 1 });
        await _client.CommitAsync(new CommitRequest { OrderId = "b" });

        var released = await _client.ReleaseAsync(new ReleaseRequest { OrderId = "a" });
        var again = await _client.ReleaseAsync(new ReleaseRequest { OrderId = "a" });
        var committed = await Stock.FailsAsync(() => _client.ReleaseAsync(new ReleaseRequest { OrderId = "b" }).ResponseAsync);
        var unknown = await Stock.FailsAsync(() => _client.ReleaseAsync(new ReleaseRequest { OrderId = "nope" }).ResponseAsync);

        Assert.Equal(ReservationStatus.Released, released.Status);
        Assert.Equal(released.Revision, again.Revision);
        Assert.Equal(StatusCode.FailedPrecondition, committed.StatusCode);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(4, await _client.AtpAsync("BELT", "US"));
    }

    [Fact]
    public async Task ReservePicksTheServingWarehouseWithTheMostStockThatCanShipTheWholeOrder()
    {
        await _client.ApplyAsync(Stock.Snapshot("us-east", "BOOT", 3, version: 1, at: Now), Stock.Snapshot("us-west", "BOOT", 5, version: 1, at: Now),
            Stock.Snapshot("eu-de", "BOOT", 100, version: 1, at: Now));

        var first = await _client.ReserveAsync(new ReserveRequest { OrderId = "o1", Sku = "BOOT", Market = "US", Quantity = 4 });
        var second = await _client.ReserveAsync(new ReserveRequest { OrderId = "o2", Sku = "BOOT", Market = "US", Quantity = 3 });
        var split = await Stock.FailsAsync(() => _client.ReserveAsync(new ReserveRequest { OrderId = "o3", Sku = "BOOT", Market = "US", Quantity = 2 }).ResponseAsync);

        Assert.Equal("us-west", first.WarehouseId);
        Assert.Equal("us-east", second.WarehouseId);
        Assert.Equal(StatusCode.FailedPrecondition, split.StatusCode);
        Assert.Contains("market US can promise 1", split.Status.Detail);
    }

    [Fact]
    public async Task ReserveFailsWhenStockIsExhausted()
    {
        await _client.ApplyAsync(Stock.Snapshot("us-east", "RING", 1, version: 1, at: Now));
        await _client.ReserveAsync(new ReserveRequest { OrderId = "r1", Sku = "RING", Market = "US", Quantity = 1 });

        var error = await Stock.FailsAsync(() => _client.ReserveAsync(new ReserveRequest { OrderId = "r2", Sku = "RING", Market = "US", Quantity = 1 }).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.StartsWith("insufficient stock", error.Status.Detail);
    }

    [Fact]
    public async Task AReservationChangeAppearsOnTheWatchWithItsOrderId()
    {
        await _client.ApplyAsync(Stock.Snapshot("us-east", "GLOVE", 4, version: 1, at: Now));
        using var watch = _client.Watch(new WatchRequest { Skus = { "GLOVE" } });
        Assert.True(await watch.ResponseStream.MoveNext(CancellationToken.None)); // the header

        await _client.ReserveAsync(new ReserveRequest { OrderId = "viewer-99", Sku = "GLOVE", Market = "US", Quantity = 1 });

        Assert.True(await watch.ResponseStream.MoveNext(CancellationToken.None));
        var change = Assert.Single(watch.ResponseStream.Current.Changes);
        Assert.Equal((ChangeCause.Reserved, "viewer-99", 1L, 3L), (change.Cause, change.Reference, change.Record.Held, change.Record.AvailableToPromise));
    }

    [Fact]
    public async Task ASourceTimeFarInTheFutureIsRejected()
    {
        var future = Stock.Snapshot("us-east", "CLOCK", 1, version: 1);
        future.SourceTime = Timestamp.FromDateTimeOffset(Now.AddHours(2));
        var error = await Stock.FailsAsync(() => _client.ApplyAsync(future));
        Assert.Equal("events[0].source_time", error.Trailers.GetValue(ErrorMapping.FieldTrailer));
    }
}
