using CsCheck;
using Grpc.Core;
using Microsoft.Extensions.Time.Testing;
using Stockcast.Ledger.V1;
using Stockcast.Testing;

namespace Stockcast.Ledger.Tests;

/// <summary>
/// No unit is sold twice, whatever happens: generated interleavings of snapshots (in and out of version
/// order), deltas, redeliveries, reservations, commits, releases, hold expiries, warehouse clocks behind or
/// up to 600 s ahead and the ledger's clock moving on, played against the real ledger over gRPC on a real
/// redis-server. After every step each SKU × warehouse is checked against <see cref="WarehouseTruth"/>.
/// </summary>
[Trait(Lane.Name, Lane.Slow)] // about 20 s: 300 generated days
public sealed class NeverOversoldTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    // The ledger sweeps expired holds every 50 ms of its clock (LedgerHost); every move of the clock is a whole number of those.
    private const long TickMs = 50;

    private readonly FakeTimeProvider _clock = new(DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000 * 1000));
    private LedgerHost _host = null!;
    private StockLedger.StockLedgerClient _client = null!;

    public async Task InitializeAsync()
    {
        _host = await new LedgerHost(redis.Configuration, clock: _clock).ReadyAsync();
        _client = _host.Client();
        await _client.RegisterWarehouseAsync(new RegisterWarehouseRequest
        {
            Warehouse = new Warehouse { WarehouseId = "us-north", Region = "us-central", Markets = { "US" }, AllocationDelayMs = WarehouseTruth.AllocationDelayMs[1] },
        });
    }

    public Task DisposeAsync()
    {
        _host.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>One step of a generated day. Picks choose among what exists (modulo its count).</summary>
    private abstract record Step;
    private sealed record Report(int Pair, bool IsSnapshot, int Change, int LagSteps) : Step;
    private sealed record Redeliver(int Pick) : Step;
    private sealed record Reserve(int Sku, int Quantity, int HoldSeconds) : Step;
    private sealed record RetryReserve(int Pick) : Step;
    private sealed record Commit(int Pick) : Step;
    private sealed record Release(int Pick) : Step;
    private sealed record Advance(int Ticks) : Step;

    private static readonly Gen<int> Picks = Gen.Int[0, 999];

    private static readonly Gen<Step> Steps = Gen.Frequency(
        // Reports favour two SKU × warehouse pairs and arrive late half the time, so they often overtake each other.
        (6, Gen.Select(Gen.Frequency((1, Gen.Int[0, 1]), (1, Gen.Int[0, WarehouseTruth.Pairs - 1])), Gen.Int[0, 4], Gen.Int[-2, 3], Gen.Frequency((1, Gen.Const(0)), (1, Gen.Int[1, 8])),
            (pair, kind, change, lag) => (Step)new Report(pair, kind < 2, change, lag))),
        (1, Picks.Select(i => (Step)new Redeliver(i))),
        (4, Gen.Select(Gen.Int[0, WarehouseTruth.Skus - 1], Gen.Int[1, 3], Gen.Int[10, 300], (sku, quantity, hold) => (Step)new Reserve(sku, quantity, hold))),
        (1, Picks.Select(i => (Step)new RetryReserve(i))),
        (3, Picks.Select(i => (Step)new Commit(i))),
        (1, Picks.Select(i => (Step)new Release(i))),
        (3, Gen.Frequency((2, Gen.Int[1, 20]), (3, Gen.Int[20, 600]), (2, Gen.Int[600, 3000])).Select(t => (Step)new Advance(t))));

    /// <summary>A warehouse clock on time, behind by up to 2 min, or ahead by up to the 600 s the ledger accepts.</summary>
    private static readonly Gen<int> Skews = Gen.Frequency((2, Gen.Const(0)), (2, Gen.Int[-120, -1]), (2, Gen.Int[1, 599]), (1, Gen.Const(600)));

    private static readonly Gen<(int[] SkewSeconds, int[] Initial, Step[] Steps)> Days =
        Gen.Select(Skews.Array[WarehouseTruth.Warehouses.Length], Gen.Int[0, 4].Array[WarehouseTruth.Pairs], Steps.Array[20, 40]);

    [Fact]
    public Task NoInterleavingOfReportsReservationsExpiriesAndClockSkewSellsAUnitTwice()
        // One case at a time: they share the ledger's clock. Each case has SKUs of its own.
        => Days.SampleAsync((skews, initial, steps) => new Day(this, new WarehouseTruth(Guid.NewGuid().ToString("N")[..10], skews, initial)).PlayAsync(steps),
            iter: 300, threads: 1);

    /// <summary>One generated day played against the ledger, checked after every step.</summary>
    private sealed class Day(NeverOversoldTests test, WarehouseTruth truth)
    {
        private readonly StockLedger.StockLedgerClient _client = test._client;
        private int _step;
        private bool _holdsExpired;

        private long NowMs => test._clock.GetUtcNow().ToUnixTimeMilliseconds();

        public async Task PlayAsync(Step[] steps)
        {
            await MoveClockAsync(1);
            await ArriveAsync([.. Enumerable.Range(0, WarehouseTruth.Pairs).Select(p => truth.Snapshot(p, NowMs, 0))]);
            await CheckAsync("the opening snapshots");
            foreach (var step in steps)
            {
                _step++;
                await TakeAsync(step);
                await ArriveAsync(truth.Arriving(r => r.DueStep <= _step));
                await CheckAsync($"step {_step}: {step}");
            }
            await EndOfDayAsync();
        }

        private Task TakeAsync(Step step) => step switch
        {
            Report r => ReportAsync(r),
            Redeliver r => RedeliverAsync(r.Pick),
            Reserve r => ReserveAsync(NewOrder(r)),
            RetryReserve r => Pick(r.Pick) is { } order ? ReserveAsync(order) : Task.CompletedTask,
            Commit c => Pick(c.Pick) is { } order ? CommitAsync(order) : Task.CompletedTask,
            Release r => Pick(r.Pick) is { } order ? ReleaseAsync(order) : Task.CompletedTask,
            Advance a => MoveClockAsync(a.Ticks),
            _ => throw new ArgumentOutOfRangeException(nameof(step)),
        };

        private Order NewOrder(Reserve r)
        {
            var order = new Order($"{truth.Sku(r.Sku)}-o{truth.Orders.Count}", r.Sku, r.Quantity, r.HoldSeconds);
            truth.Orders.Add(order);
            return order;
        }

        private Order? Pick(int pick) => truth.Orders.Count == 0 ? null : truth.Orders[pick % truth.Orders.Count];

        private async Task ReportAsync(Report r)
        {
            // A tick first, so no two reports of a warehouse share a time.
            await MoveClockAsync(1);
            if (r.IsSnapshot)
            {
                truth.Snapshot(r.Pair, NowMs, _step + r.LagSteps);
            }
            else
            {
                truth.Delta(r.Pair, r.Change == 0 ? 1 : r.Change, NowMs, _step + r.LagSteps);
            }
        }

        private async Task RedeliverAsync(int pick)
        {
            if (truth.Delivered.Count > 0)
            {
                var again = truth.Delivered[pick % truth.Delivered.Count];
                var outcome = (await _client.ApplyAsync(again.Event)).Results[0].Outcome;
                Assert.True(outcome is EventOutcome.Duplicate or EventOutcome.Stale, $"a redelivered {again.Event} was {outcome}");
            }
        }

        private async Task ArriveAsync(List<SentReport> arriving)
        {
            if (arriving.Count == 0)
            {
                return;
            }
            var response = await _client.ApplyAsync([.. arriving.Select(r => r.Event)]);
            foreach (var (report, result) in arriving.Zip(response.Results))
            {
                // A sale that overtook its delivery is taken too (the figure goes below zero until the delivery comes).
                Assert.True(result.Outcome != EventOutcome.Rejected, $"{report.Event} was rejected: {result.Reason}");
                truth.Arrived(report, NowMs);
            }
        }

        /// <summary>
        /// Moves the ledger's clock. Reports never take longer than <see cref="WarehouseTruth.TransitMs"/> to
        /// arrive, so those that would are delivered first; holds whose time comes are expired by the sweeper.
        /// </summary>
        private async Task MoveClockAsync(int ticks)
        {
            var until = NowMs + ticks * TickMs;
            await ArriveAsync(truth.Arriving(r => r.TakenMs + WarehouseTruth.TransitMs < until));
            test._clock.Advance(TimeSpan.FromMilliseconds(ticks * TickMs));
            _holdsExpired |= truth.Expire(NowMs).Count > 0;
        }

        private async Task ReserveAsync(Order order)
        {
            var request = new ReserveRequest { OrderId = order.Id, Sku = truth.Sku(order.Sku), Market = "US", Quantity = order.Quantity, HoldSeconds = order.HoldSeconds };
            switch (order.State)
            {
                case OrderState.NotReserved:
                    var pairs = Enumerable.Range(0, WarehouseTruth.Warehouses.Length).Select(w => WarehouseTruth.PairOf(order.Sku, w)).ToArray();
                    // Reserve's rule: the most ATP that ships the whole order, ties to the lowest warehouse id.
                    var best = pairs.Where(p => truth.ExpectedAtp(p) >= order.Quantity).OrderByDescending(truth.ExpectedAtp).ThenBy(p => p).Cast<int?>().FirstOrDefault();
                    if (best is not int pair)
                    {
                        await FailsAsync(() => _client.ReserveAsync(request), StatusCode.FailedPrecondition, "insufficient stock");
                        return;
                    }
                    var sellable = truth.Sellable(pair);
                    var held = await _client.ReserveAsync(request);
                    Assert.Equal((WarehouseTruth.Warehouses[WarehouseTruth.WarehouseOf(pair)], ReservationStatus.Held), (held.WarehouseId, held.Status));
                    // No unit sold twice: what was held is stock the warehouse reported and has not given to anyone else.
                    Assert.True(order.Quantity <= sellable, $"{order.Quantity} units held at {held.WarehouseId} where the warehouse's reports leave {sellable}");
                    (order.State, order.Pair, order.ExpiresMs) = (OrderState.Held, pair, NowMs + order.HoldSeconds * 1000L);
                    return;
                case OrderState.Expired:
                    await FailsAsync(() => _client.ReserveAsync(request), StatusCode.FailedPrecondition, "reservation expired");
                    return;
                default:
                    Assert.Equal(StatusOf(order), (await _client.ReserveAsync(request)).Status);
                    return;
            }
        }

        private async Task CommitAsync(Order order)
        {
            var request = new CommitRequest { OrderId = order.Id };
            switch (order.State)
            {
                case OrderState.NotReserved:
                    await FailsAsync(() => _client.CommitAsync(request), StatusCode.NotFound, "no reservation");
                    return;
                case OrderState.Expired:
                    await FailsAsync(() => _client.CommitAsync(request), StatusCode.FailedPrecondition, "reservation expired");
                    return;
                case OrderState.Released:
                    await FailsAsync(() => _client.CommitAsync(request), StatusCode.FailedPrecondition, $"order '{order.Id}' is released");
                    return;
                case OrderState.Held:
                    (order.State, order.HandOverMs) = (OrderState.Committed, NowMs);
                    break;
            }
            Assert.Equal(StatusOf(order), (await _client.CommitAsync(request)).Status);
        }

        private async Task ReleaseAsync(Order order)
        {
            var request = new ReleaseRequest { OrderId = order.Id };
            switch (order.State)
            {
                case OrderState.NotReserved:
                    await FailsAsync(() => _client.ReleaseAsync(request), StatusCode.NotFound, "no reservation");
                    return;
                case OrderState.Committed:
                    await FailsAsync(() => _client.ReleaseAsync(request), StatusCode.FailedPrecondition, $"order '{order.Id}' is {StatusOf(order).ToString().ToLowerInvariant()}");
                    return;
                case OrderState.Held:
                    order.State = OrderState.Released;
                    break;
            }
            Assert.Equal(StatusOf(order), (await _client.ReleaseAsync(request)).Status);
        }

        private static ReservationStatus StatusOf(Order order) => order.State switch
        {
            OrderState.Held => ReservationStatus.Held,
            OrderState.Committed => order.Settled ? ReservationStatus.Settled : ReservationStatus.Committed,
            OrderState.Released => ReservationStatus.Released,
            _ => ReservationStatus.Expired,
        };

        private static async Task FailsAsync<T>(Func<AsyncUnaryCall<T>> call, StatusCode code, string detail)
        {
            var error = await Stock.FailsAsync(() => call().ResponseAsync);
            Assert.Equal(code, error.StatusCode);
            Assert.Contains(detail, error.Status.Detail, StringComparison.Ordinal);
        }

        /// <summary>
        /// For every SKU × warehouse: the ledger promises no more than the warehouse's reported figure less
        /// the committed units it does not include yet and the open holds (no unit sold twice); and it shows
        /// exactly what its documented rules say — the ordering of deltas and snapshots, the settle rule, holds.
        /// </summary>
        private async Task<IReadOnlyList<StockRecord>> CheckAsync(string after)
        {
            var read = new BatchGetStockRequest { Keys = { Enumerable.Range(0, WarehouseTruth.Pairs).Select(truth.Key) } };
            var records = (await _client.BatchGetStockAsync(read)).Records;
            if (_holdsExpired)
            {
                // The sweeper expires the holds whose time came, in the background.
                await Eventually.TrueAsync(async () =>
                {
                    records = (await _client.BatchGetStockAsync(read)).Records;
                    return records.Select((r, p) => r.Held == truth.Held(p)).All(same => same);
                }, $"the holds expired by {after} are swept");
                _holdsExpired = false;
            }
            Assert.Equal(WarehouseTruth.Pairs, records.Count);
            for (var p = 0; p < WarehouseTruth.Pairs; p++)
            {
                var r = records[p];
                var where = $"{r.Sku} at {r.WarehouseId} after {after}";
                var promised = r.Quantities.Available - r.Held - r.Committed;
                Assert.True(promised <= truth.Sellable(p),
                    $"{where}: the ledger can promise {promised} (available {r.Quantities.Available} − held {r.Held} − committed {r.Committed}) but the warehouse reported {truth.Known(p)}, "
                    + $"of which {truth.Unreflected(p)} are committed and not in its figures yet and {truth.Held(p)} are held");
                Assert.Equal((truth.Known(p), truth.Held(p), truth.UnsettledByRule(p)), (r.Quantities.Available, r.Held, r.Committed));
                Assert.Equal(Math.Max(0, promised), r.AvailableToPromise);
            }
            return records;
        }

        /// <summary>
        /// Everything in flight arrives, the clock passes every allocation delay and any clock lag, and each
        /// warehouse sends a fresh snapshot: then the figures are current and stock is conserved — what the
        /// warehouse has = what the ledger promises + what is held, with nothing committed left unsettled.
        /// </summary>
        private async Task EndOfDayAsync()
        {
            await ArriveAsync(truth.Arriving(_ => true));
            await MoveClockAsync((int)((WarehouseTruth.AllocationDelayMs.Max() + 120_000 + 1000) / TickMs));
            await MoveClockAsync(1);
            await ArriveAsync([.. Enumerable.Range(0, WarehouseTruth.Pairs).Select(p => truth.Snapshot(p, NowMs, _step))]);
            var records = await CheckAsync("the end of the day");
            for (var p = 0; p < WarehouseTruth.Pairs; p++)
            {
                var (r, figure) = (records[p], Math.Max(0, truth.TruthAvailable(p, NowMs)));
                Assert.Equal((figure, 0L, 0L), (r.Quantities.Available, r.Committed, truth.Unreflected(p)));
                if (figure >= r.Held)
                {
                    Assert.Equal(figure, r.AvailableToPromise + r.Held + r.Committed);
                }
            }
        }
    }
}
