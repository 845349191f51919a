using CsCheck;
using Microsoft.Extensions.DependencyInjection;
using Stockcast.Ledger.V1;
using Stockcast.Testing;

namespace Stockcast.Ledger.Tests;

/// <summary>
/// Deltas and snapshots of one SKU × warehouse, in whatever order they arrive, end in the figures
/// docs/ledger-data-model.md ("Deltas and snapshots") promises: the newest snapshot, plus every delta
/// not older than it, each once — below zero too, while a sale waits for the delivery it sold from.
/// </summary>
public sealed class DeltaSnapshotOrderingTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private const string Warehouse = "us-east";
    // Whole milliseconds, as the ledger keeps times.
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeMilliseconds());
    private LedgerHost _host = null!;

    public async Task InitializeAsync() => _host = await new LedgerHost(redis.Configuration).ReadyAsync();

    public Task DisposeAsync()
    {
        _host.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>One event of a generated history: at <paramref name="Second"/> after T0, a snapshot of <paramref name="Figure"/> units or a delta of that many.</summary>
    private sealed record Happening(bool IsSnapshot, int Second, int Figure);

    private static readonly Gen<Happening> Snapshots = Gen.Select(Gen.Int[1, 40], Gen.Int[0, 8], (second, figure) => new Happening(true, second, figure));
    private static readonly Gen<Happening> Deltas = Gen.Select(Gen.Int[0, 40], Gen.Int[-5, 5], (second, change) => new Happening(false, second, change));

    /// <summary>
    /// A history (a first snapshot at T0, then up to 4 snapshots and 12 deltas), the order they arrive in, and
    /// how they are cut into batches. Figures are a few units, so sums often pass below zero on the way.
    /// </summary>
    private static readonly Gen<(Happening[] History, int[] Order, int[] BatchSizes)> Histories =
        Gen.Select(Snapshots.Array[0, 4], Deltas.Array[0, 12])
            .SelectMany((snapshots, deltas) =>
            {
                // Snapshots of one source never share a version; here the version is the time.
                Happening[] history = [new(true, 0, 3), .. snapshots.DistinctBy(s => s.Second).Where(s => s.Second > 0), .. deltas];
                return Gen.Select(Gen.Int.Array[history.Length], Gen.Int[1, 4].Array[history.Length], (keys, sizes) => (history, keys, sizes));
            })
            .Select(x => (x.history, Arrival(x.keys), x.sizes));

    [Fact]
    public Task AnyInterleavingOfSnapshotsAndDeltasEndsWithTheNewestSnapshotPlusEveryDeltaNotOlderThanIt()
        => Histories.SampleAsync(async sample =>
        {
            var (history, order, sizes) = sample;
            var sku = "ORD-" + Guid.NewGuid().ToString("N")[..12];
            var events = history.Select((h, i) => Event(sku, h, i)).ToArray();
            var batches = new List<StockEvent[]>();
            for (int at = 0, b = 0; at < order.Length; at += sizes[b++])
            {
                batches.Add([.. order.Skip(at).Take(sizes[b]).Select(i => events[i])]);
            }

            var acks = await _host.Client().ApplyAsync([.. batches]);

            var newest = history.Where(h => h.IsSnapshot).MaxBy(h => h.Second)!;
            var expected = newest.Figure + history.Where(h => !h.IsSnapshot && h.Second >= newest.Second).Sum(h => h.Figure);
            var record = await _host.Client().GetStockAsync(new GetStockRequest { Sku = sku, WarehouseId = Warehouse });
            Assert.Equal((expected, expected, Math.Max(0, expected)), (record.Quantities.Available, record.Quantities.OnHand, record.AvailableToPromise));
            Assert.All(acks.SelectMany(a => a.Results), r => Assert.Contains(r.Outcome, new[] { EventOutcome.Applied, EventOutcome.Stale }));
        }, iter: 60, threads: 2);

    [Fact]
    public async Task ADeltaOlderThanTheLastSnapshotIsStaleWithItsReasonAndCounted()
    {
        await _host.Client().ApplyAsync(Stock.Snapshot(Warehouse, "ORD-LATE-DELTA", 40, version: 10, at: T0.AddSeconds(10)));

        var late = await _host.Client().ApplyAsync(Stock.Delta(Warehouse, "ORD-LATE-DELTA", "late-sale", -3, at: T0.AddSeconds(9)));

        Assert.Equal(EventOutcome.Stale, late.Results[0].Outcome);
        Assert.Contains("older than the last snapshot", late.Results[0].Reason);
        Assert.Equal(40, (await _host.Client().GetStockAsync(new GetStockRequest { Sku = "ORD-LATE-DELTA", WarehouseId = Warehouse })).Quantities.Available);
        Assert.Equal(1, _host.Services.GetRequiredService<LedgerMetrics>().SupersededDeltas.WithLabels(Warehouse).Value);
    }

    [Fact]
    public async Task ADeltaAtTheSnapshotsOwnTimeIsAppliedOnTopOfIt()
    {
        await _host.Client().ApplyAsync(Stock.Snapshot(Warehouse, "ORD-SAME-SECOND", 40, version: 10, at: T0.AddSeconds(10)));

        var same = await _host.Client().ApplyAsync(Stock.Delta(Warehouse, "ORD-SAME-SECOND", "same-second-sale", -3, at: T0.AddSeconds(10)));

        Assert.Equal(EventOutcome.Applied, same.Results[0].Outcome);
        Assert.Equal(37, (await _host.Client().GetStockAsync(new GetStockRequest { Sku = "ORD-SAME-SECOND", WarehouseId = Warehouse })).Quantities.Available);
    }

    [Fact]
    public async Task ASnapshotThatArrivesAfterNewerDeltasHasThemAppliedOnTop()
    {
        await _host.Client().ApplyAsync(Stock.Snapshot(Warehouse, "ORD-LATE-SNAP", 40, version: 10, at: T0.AddSeconds(10)));
        await _host.Client().ApplyAsync(
            Stock.Delta(Warehouse, "ORD-LATE-SNAP", "sale-15", -2, at: T0.AddSeconds(15)),
            Stock.Delta(Warehouse, "ORD-LATE-SNAP", "sale-25", -1, at: T0.AddSeconds(25)));

        // The warehouse's picture at second 20 already counts the sale at 15, not the one at 25.
        var late = await _host.Client().ApplyAsync(Stock.Snapshot(Warehouse, "ORD-LATE-SNAP", 30, version: 20, at: T0.AddSeconds(20)));

        Assert.Equal(EventOutcome.Applied, late.Results[0].Outcome);
        var record = await _host.Client().GetStockAsync(new GetStockRequest { Sku = "ORD-LATE-SNAP", WarehouseId = Warehouse });
        Assert.Equal(29, record.Quantities.Available);
        Assert.Equal(T0.AddSeconds(25), record.SourceTime.ToDateTimeOffset());
    }

    [Fact]
    public async Task ASnapshotOlderThanDeltasTheLedgerNoLongerKeepsIsStale()
    {
        await _host.Client().ApplyAsync(Stock.Snapshot(Warehouse, "ORD-TOO-LATE", 100, version: 1, at: T0));
        // One more delta than the ledger keeps since a snapshot: the oldest (second 1) is let go.
        await _host.Client().ApplyAsync([.. Enumerable.Range(1, 17).Select(s => Stock.Delta(Warehouse, "ORD-TOO-LATE", $"sale-{s}", -1, at: T0.AddSeconds(s)))]);

        // A picture as of second 1 would need the sale at second 1 on top of it; one a moment later, not.
        var tooLate = await _host.Client().ApplyAsync(Stock.Snapshot(Warehouse, "ORD-TOO-LATE", 90, version: 2, at: T0.AddSeconds(1)));
        var inTime = await _host.Client().ApplyAsync(Stock.Snapshot(Warehouse, "ORD-TOO-LATE", 90, version: 3, at: T0.AddSeconds(1.5)));

        Assert.Equal(EventOutcome.Stale, tooLate.Results[0].Outcome);
        Assert.Contains("no longer kept", tooLate.Results[0].Reason);
        Assert.Equal(EventOutcome.Applied, inTime.Results[0].Outcome);
        // The picture at second 1.5 plus the 16 sales after it.
        Assert.Equal(74, (await _host.Client().GetStockAsync(new GetStockRequest { Sku = "ORD-TOO-LATE", WarehouseId = Warehouse })).Quantities.Available);
    }

    private static StockEvent Event(string sku, Happening h, int i)
    {
        var at = T0.AddSeconds(h.Second);
        if (h.IsSnapshot)
        {
            return Stock.Snapshot(Warehouse, sku, h.Figure, version: at.ToUnixTimeMilliseconds(), at: at, onHand: h.Figure);
        }
        var delta = Stock.Delta(Warehouse, sku, $"{sku}-d{i}", h.Figure, at: at);
        delta.Delta.Change.OnHand = h.Figure;
        return delta;
    }

    /// <summary>The first snapshot arrives first; the rest in the order of their random keys.</summary>
    private static int[] Arrival(int[] keys) => [0, .. Enumerable.Range(1, keys.Length - 1).OrderBy(i => keys[i]).ThenBy(i => i)];
}
