using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Stockcast.Alerting.V1;
using Stockcast.Testing;

namespace Stockcast.EndToEnd.Tests;

/// <summary>One fault-matrix row: what one fault did to the whole system, as measured.</summary>
/// <param name="StayedUp">The processes that kept their pid (all but the one the fault kills).</param>
/// <param name="OverlayShowed">What the viewer's page showed, and for how long.</param>
/// <param name="Alerts">What alerting raised and resolved meanwhile.</param>
/// <param name="RecoveredAfter">From the cause's removal (a restart begun, a stall over) to the page live with the latest figure, the ledger matching the warehouses and every service ready.</param>
public sealed record FaultRow(string Fault, string StayedUp, string OverlayShowed, string Alerts, long UnitsLost, long UnitsDoubleApplied, TimeSpan RecoveredAfter);

/// <summary>
/// The fault matrix's table in docs/reliability.md ("fault-matrix" section), written once the
/// collection has run, rows in <see cref="Faults"/> order. A new fault is one more name here and one
/// more short test calling <see cref="FaultRun.MeasureAsync"/> (e.g. "Redis comes back with older data").
/// </summary>
public sealed class FaultMatrixReport : IDisposable
{
    public const string LedgerKilled = "stock-ledger killed (SIGKILL) mid-stream, restarted";
    public const string ConnectorKilled = "warehouse-connector killed (SIGKILL) mid-stream, restarted";
    public const string AlertingKilled = "alerting killed (SIGKILL) mid-stream, restarted";
    public const string OverlayKilled = "overlay-broadcast killed (SIGKILL) mid-stream, restarted";
    public const string RedisKilled = "Redis killed (SIGKILL), down until every service is unready and the page shows \"updating…\", restarted from its append-only file";
    public const string RedisStalled = "Redis stalled 7 s (DEBUG SLEEP 7)";
    public const string RedisLate = "Redis started after the services";
    public const string RedisOlder = "Redis comes back without its last seconds of writes (killed, restarted from its append-only file as it was ~2 s earlier, as after a failover to a replica behind); the platform places again the orders the ledger lost";
    public const string LedgerUnreachable = "stock-ledger unreachable for 30 s (alive, frozen with SIGSTOP)";
    public const string WarehouseApiFailing = "warehouse API answering 500, then 429, then garbage";
    public const string WatcherStalled = "an SSE viewer and a gRPC Watch client that stop reading while 1,200 ledger changes flow";

    public static readonly string[] Faults =
        [LedgerKilled, ConnectorKilled, AlertingKilled, OverlayKilled, RedisKilled, RedisStalled, RedisLate, RedisOlder, LedgerUnreachable, WarehouseApiFailing, WatcherStalled];

    private readonly ConcurrentDictionary<string, FaultRow> _rows = new();

    public void Add(FaultRow row) => _rows[row.Fault] = row;

    /// <summary>Writes the table when every fault has a row: a run of a few tests leaves the last full table as it was.</summary>
    public void Dispose()
    {
        if (Faults.All(_rows.ContainsKey))
        {
            ReliabilityReport.WriteSection("fault-matrix", Markdown());
        }
    }

    public string Markdown()
    {
        var text = new StringBuilder("""
            ## Fault matrix

            Written by `tests/EndToEnd.Tests` (FaultMatrixTests, RedisAbsentAtStartTests): the whole system as real
            processes on loopback (redis-server with an append-only file, the four services, the warehouse simulator,
            the overlay page in headless Chromium), live stock changes and orders flowing while each fault happens.
            "Recovered after" runs from the cause's removal (a killed process being started again, a stall over, the
            API answering again) to the page live with the latest figure, the ledger matching every warehouse and
            every service ready; a killed service's start-up is part of it. Units lost or double-applied compare, for every SKU ×
            warehouse, the simulator's truth with the ledger and the ledger's reservations with the orders placed.

            | Fault | Processes that stayed up | Overlay showed | Alerts fired / resolved | Units lost | Units double-applied | Recovered after |
            |---|---|---|---|---|---|---|

            """);
        foreach (var row in Faults.Where(_rows.ContainsKey).Select(f => _rows[f]))
        {
            text.Append(CultureInfo.InvariantCulture,
                $"| {row.Fault} | {row.StayedUp} | {row.OverlayShowed} | {row.Alerts} | {row.UnitsLost} | {row.UnitsDoubleApplied} | {row.RecoveredAfter.TotalSeconds:0.0} s |\n");
        }
        return text.ToString();
    }
}

/// <summary>
/// Measures one fault on the running whole system: checks it is healthy first, keeps stock changes
/// and orders flowing while <c>fault</c> breaks and restores something, then waits (with a deadline)
/// until the system has recovered and asserts the rules: every process not killed kept its pid, the
/// page never went blank, no unit was lost or applied twice. Returns the measured row.
/// </summary>
/// <param name="room">The room on <paramref name="screen"/>: of room alerts, only its own count (another test's room may resolve meanwhile).</param>
public sealed class FaultRun(WholeSystem system, string room, OverlayScreen screen, AlertLog alerts)
{
    public const string ProbeSku = "FAULT-PROBE";
    private const string ShippedSku = "FAULT-SHIPPED";
    private const string OrderedSku = "FAULT-ORDERED";
    private static readonly TimeSpan RecoveryDeadline = TimeSpan.FromSeconds(90);
    private int _probe;

    /// <param name="killed">The process the fault kills and restarts (its pid changes); null when none is.</param>
    /// <param name="fault">
    /// Breaks something once traffic flows, and restores it: calls its argument the moment the cause
    /// is gone (a killed process being started again, a frozen one let go; recovery is timed from
    /// there, or from its return when it does not call it) and returns once it has done its part.
    /// </param>
    /// <param name="recovered">What else recovery means for this fault (an alert resolved, say), awaited before the row is written.</param>
    public async Task<FaultRow> MeasureAsync(string name, string? killed, Func<Action, Task> fault, Func<Task>? recovered = null)
    {
        await AssertHealthyAsync();
        var pids = system.Pids();
        await screen.TakeAsync();
        var streams = await screen.StreamsOpenedAsync();
        var started = DateTimeOffset.UtcNow;

        var traffic = new Traffic(system);
        await traffic.FlowingAsync();
        DateTimeOffset? removed = null;
        await fault(() => removed ??= DateTimeOffset.UtcNow);
        var over = removed ?? DateTimeOffset.UtcNow;
        await traffic.StopAsync();

        var probe = await ProbeAsync();
        if (recovered is not null)
        {
            await recovered();
        }
        var back = DateTimeOffset.UtcNow;
        var shown = await screen.TakeAsync();
        var reconnects = await screen.StreamsOpenedAsync() - streams;
        var balance = await system.BalanceAsync();

        var now = system.Pids();
        var stayedUp = now.Where(p => p.Value == pids[p.Key] && WholeSystem.Alive(p.Value)).Select(p => p.Key).ToList();
        foreach (var (process, pid) in pids)
        {
            Assert.True(process == killed ? now[process] != pid && WholeSystem.Alive(now[process]) : stayedUp.Contains(process),
                $"{process} (pid {pid}) {(process == killed ? "was started again" : "stayed up")} through: {name}");
        }
        Assert.DoesNotContain(shown, s => s.Blank);
        // The page's event stream stays open through everything but the loss of the overlay process itself.
        if (killed == system.Overlay.Name)
        {
            Assert.True(reconnects > 0, "the page reconnected to the restarted overlay");
        }
        else
        {
            Assert.True(reconnects == 0, $"the page's event stream stayed open through: {name} (it was opened {reconnects} more times)");
        }
        Assert.True(balance.Lost == 0 && balance.DoubleApplied == 0, $"units lost or double-applied: {string.Join("; ", balance.Mismatches)}");
        Assert.True(traffic.Changes > 0 && traffic.Orders > 0, "stock changes and orders flowed while the fault lasted");
        Assert.Empty(screen.Page.ScriptErrors);

        return new FaultRow(name,
            stayedUp.Count == pids.Count ? "all" : $"all but {killed} (restarted: new pid, same ports)",
            Describe(shown, started, back) + (reconnects == 0 ? "; its event stream stayed open" : $"; reconnected by itself ({reconnects}×)") + $"; {probe} at the end",
            Describe([.. alerts.Since(started).Where(a => a.Notification.Alert.RoomId is "" || a.Notification.Alert.RoomId == room)]),
            balance.Lost, balance.DoubleApplied, back - over);
    }

    /// <summary>Healthy: every process alive and ready, the page live (not "updating…"), the ledger matching the warehouses.</summary>
    public async Task AssertHealthyAsync()
    {
        foreach (var (process, pid) in system.Pids())
        {
            Assert.True(WholeSystem.Alive(pid), $"{process} (pid {pid}) is running");
        }
        await Eventually.TrueAsync(async () => await system.ReadyAsync() && !await screen.UpdatingAsync() && (await system.BalanceAsync()).Mismatches.Count == 0,
            "the system is healthy: every service ready, the page live, the ledger matching the warehouses", RecoveryDeadline);
    }

    /// <summary>A count at the US warehouse, followed until the page shows it live and everything else has caught up.</summary>
    private async Task<string> ProbeAsync()
    {
        var delta = ++_probe % 2 == 0 ? -1 : 1;
        await system.Sim.AdjustAsync(WholeSystem.UsWarehouse, ProbeSku, delta);
        var truth = (await system.Sim.TruthAsync())[(WholeSystem.UsWarehouse, ProbeSku)];
        var label = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{truth:N0} in stock"); // "1,001 in stock", as the page groups it in English
        await Eventually.TrueAsync(async () => await screen.LabelAsync(ProbeSku) == label && !await screen.UpdatingAsync()
            && await system.ReadyAsync() && (await system.BalanceAsync()).Mismatches.Count == 0,
            $"the page shows \"{label}\" live, every service is ready and the ledger matches the warehouses", RecoveryDeadline);
        return $"\"{label}\"";
    }

    /// <summary>"live throughout", or how long "updating…" was up (in total and in how many spells); "never blank" when the tiles never went.</summary>
    private static string Describe(IReadOnlyList<ScreenState> shown, DateTimeOffset from, DateTimeOffset to)
    {
        var updating = TimeSpan.Zero;
        var spells = 0;
        for (var i = 0; i < shown.Count; i++)
        {
            if (!shown[i].Updating)
            {
                continue;
            }
            var start = shown[i].At < from ? from : shown[i].At;
            var end = i + 1 < shown.Count ? shown[i + 1].At : to;
            if (end > start)
            {
                updating += end - start;
            }
            if (i == 0 || !shown[i - 1].Updating)
            {
                spells++;
            }
        }
        var blank = shown.Any(s => s.Blank) ? "BLANK at times" : "never blank";
        return spells == 0
            ? $"live figures throughout, {blank}"
            : $"\"updating…\" for {updating.TotalSeconds:0.0} s{(spells > 1 ? $" in {spells} spells" : "")}, last frame kept, {blank}";
    }

    private static string Describe(IReadOnlyList<SeenAlert> seen)
    {
        var kinds = seen.GroupBy(a => a.Kind).Select(g =>
        {
            var raised = g.Count(a => a.Type == NotificationType.Raised);
            var resolved = g.Count(a => a.Type == NotificationType.Resolved);
            return $"{Name(g.Key)} {raised} raised / {resolved} resolved";
        }).ToList();
        return kinds.Count == 0 ? "none" : string.Join(", ", kinds);
    }

    /// <summary>LOW_STOCK for LowStock: the name the proto gives it.</summary>
    private static string Name(AlertKind kind)
        => string.Concat(kind.ToString().Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + c : char.ToUpperInvariant(c).ToString()));

    /// <summary>
    /// Stock changes and live orders flowing while a fault happens: every 300 ms a count at the US
    /// warehouse (one unit in, then out, of a SKU nobody orders) and a one-unit order reserved and
    /// committed, each waiting out an unreachable ledger as the platform would.
    /// </summary>
    public sealed class Traffic
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _flowing;
        private int _changes;
        private int _orders;

        public Traffic(WholeSystem system)
        {
            var prefix = "fault-" + Guid.NewGuid().ToString("N")[..10];
            _flowing = Task.WhenAll(ChangeAsync(system), OrderAsync(system, prefix));
        }

        /// <summary>Stock changes made at the warehouse so far.</summary>
        public int Changes => Volatile.Read(ref _changes);

        /// <summary>Orders the ledger has answered so far.</summary>
        public int Orders => Volatile.Read(ref _orders);

        /// <summary>Waits until some traffic has flowed: a fault lands mid-stream, not before it.</summary>
        public Task FlowingAsync() => Eventually.TrueAsync(() => Changes >= 2 && Orders >= 2, "stock changes and orders are flowing");

        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await _flowing;
        }

        private async Task ChangeAsync(WholeSystem system)
        {
            var sign = 1;
            while (!_stop.IsCancellationRequested)
            {
                await system.Sim.AdjustAsync(WholeSystem.UsWarehouse, ShippedSku, sign);
                sign = -sign;
                Interlocked.Increment(ref _changes);
                await PaceAsync();
            }
            // Even: the SKU ends where it started whenever the traffic stops.
            if (sign < 0)
            {
                await system.Sim.AdjustAsync(WholeSystem.UsWarehouse, ShippedSku, -1);
            }
        }

        private async Task OrderAsync(WholeSystem system, string prefix)
        {
            for (var n = 0; !_stop.IsCancellationRequested; n++)
            {
                await system.Orders.BuyAsync($"{prefix}-{n}", OrderedSku, "US", 1, commit: true, RecoveryDeadline);
                Interlocked.Increment(ref _orders);
                await PaceAsync();
            }
        }

        private async Task PaceAsync()
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(300), _stop.Token);
            }
            catch (OperationCanceledException)
            {
                // Stopping.
            }
        }
    }
}
