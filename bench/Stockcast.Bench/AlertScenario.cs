using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Stockcast.Alerting.V1;
using Stockcast.Ledger.V1;

namespace Stockcast.Bench;

/// <summary>
/// Stock change in the ledger -> alert on the console stream, under load. Sets up --rooms live
/// streams of --skus-per-room SKUs each (disjoint) in --market, each room with a rule "low stock
/// at --threshold units, no percentage, re-arm --rearm-percent above, no cool-down", every SKU at
/// --base-stock units in --warehouse; opens one WatchAlerts console stream; then:
///
///  - a paced background writer (its own connection and thread) applies --load-rate snapshot
///    changes/s in batches of --load-batch to those SKUs, always between half the base stock and
///    the base stock (above the re-arm level), so the engine evaluates constantly and raises nothing;
///  - probe cycles start open-loop at --probe-rate per second, each on the next SKU: a snapshot
///    below the threshold (threshold - 2, a Warning), sent on a probe stream of its own; once its
///    RAISED arrives, a snapshot back at the base stock, whose RESOLVED closes the cycle. The
///    background writer leaves a SKU alone while it is being probed (versions come from one counter
///    per SKU, so a background change built before the probe is older and cannot undo it).
///
/// Latency per probe = arrival of its notification on the console stream - arrival of the ledger's
/// acknowledgement of the probe (ApplyStockEvents response), both in this process. Cycles started
/// in the first --warmup seconds are not measured. Every measured probe must produce exactly one
/// notification. Rules evaluated/s come from the service's own counter
/// stockcast_alerting_rule_evaluations_total (one per SKU evaluation, covering every rule of the
/// SKU in every room it is featured in), scraped at the start and the end of the measured window.
/// Room ids and SKUs carry a per-run tag, so a hand run against a long-lived service does not mix
/// with earlier runs; the scenario deletes its streams and rules at the end.
/// </summary>
public static class AlertScenario
{
    /// <summary>The stock rules evaluated per (SKU, room) context: low stock, sell-out ETA, demand trend, regional shortage (services/alerting/Engine/Conditions.cs).</summary>
    private const int RulesPerContext = 4;
    private const string EvaluationsTotal = "stockcast_alerting_rule_evaluations_total";
    private const string EvaluationSeconds = "stockcast_alerting_rule_evaluation_seconds";
    private const string ChangeToAlertSeconds = "stockcast_alerting_stock_change_to_alert_seconds";

    public sealed record Settings(int Rooms, int SkusPerRoom, string Market, string Warehouse, long Threshold, double RearmPercent, long BaseStock,
        int LoadRate, int LoadBatch, double ProbeRate, double Seconds, double Warmup, double DrainSeconds, double SetupSeconds, string Prefix)
    {
        public static Settings From(BenchArgs a) => new(
            a.Int("rooms", 20), a.Int("skus-per-room", 50), a.Str("market", "US"), a.Str("warehouse", "us-east"), a.Int("threshold", 10),
            a.Double("rearm-percent", 20), a.Int("base-stock", 1000), a.Int("load-rate", 3000), a.Int("load-batch", 30), a.Double("probe-rate", 20),
            a.Double("seconds", 10), a.Double("warmup", 5), a.Double("drain-seconds", 30), a.Double("setup-seconds", 120), a.Str("sku-prefix", "ALR"));

        public int Skus => Rooms * SkusPerRoom;

        /// <summary>As the engine computes it (EffectiveRule.Rearm): at least one unit above the threshold.</summary>
        public long RearmLevel => (long)Math.Max(Threshold + 1, Math.Ceiling(Threshold * (1 + RearmPercent / 100)));

        public long ProbeLow => Math.Max(1, Threshold - 2);
    }

    /// <summary>One raise-and-resolve cycle on one SKU; times are Stopwatch ticks of this process.</summary>
    private sealed class Probe(int skuIndex, string sku, bool measured)
    {
        public readonly TaskCompletionSource Raised = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly TaskCompletionSource Resolved = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int SkuIndex => skuIndex;
        public string Sku => sku;
        public bool Measured => measured;
        public long RaiseSent, RaiseAcked, RaisedAt, ResolveSent, ResolveAcked, ResolvedAt;
        public int RaisedCount, ResolvedCount, OtherCount;
        public string Failure = "";
    }

    private sealed class Load
    {
        public long Sent;
        public long Applied;
        public long NotApplied;
        public long Skipped;
        public int Late;
        public long AppliedAtWindowStart = -1;
        public long AppliedAtWindowEnd = -1;
        public readonly Latencies Ack = new(8192);
        public Exception? Error;
    }

    private sealed class ConsoleReader
    {
        public long Foreign;
        public long Unexpected;
        public string LastUnexpected = "";
        public Exception? Error;
    }

    public static async Task RunAsync(Settings s, Ledger ledger, AlertingUnderTest alerting, Results results, CpuMeter cpu)
    {
        if (s.Skus is < 1 or > 100_000 || s.SkusPerRoom > 500 || s.LoadBatch < 1 || s.ProbeRate <= 0 || s.LoadRate < 0)
        {
            throw new ArgumentException("--rooms x --skus-per-room: 1 to 100,000 SKUs, at most 500 per room; --load-batch >= 1; --probe-rate > 0; --load-rate >= 0");
        }
        if (s.BaseStock / 2 <= s.RearmLevel || s.Threshold < 3)
        {
            throw new ArgumentException($"--base-stock must be more than twice the re-arm level ({s.RearmLevel}) and --threshold at least 3");
        }
        var tag = (DateTimeOffset.UtcNow.ToUnixTimeSeconds() % 1_000_000).ToString("D6", CultureInfo.InvariantCulture);
        var prefix = $"{s.Prefix}{tag}-";
        var skus = Enumerable.Range(0, s.Skus).Select(i => Catalog.Sku(prefix, i)).ToArray();
        var index = skus.Select((sku, i) => (sku, i)).ToDictionary(x => x.sku, x => x.i, StringComparer.Ordinal);
        var rooms = Enumerable.Range(0, s.Rooms).Select(r => $"bench-{tag}-{r:D2}").ToArray();
        var cycles = (int)Math.Round(s.ProbeRate * (s.Warmup + s.Seconds));
        var firstMeasured = (int)Math.Round(s.ProbeRate * s.Warmup);
        Console.WriteLine($"alerts: {s.Rooms} rooms x {s.SkusPerRoom} SKUs in {s.Market} at {s.BaseStock} units ({s.Warehouse}), room rule low stock <= {s.Threshold}, "
            + $"re-arm >= {s.RearmLevel}; background {s.LoadRate} changes/s in batches of {s.LoadBatch}; {s.ProbeRate} probe cycles/s, {s.Warmup} s warm-up + {s.Seconds} s measured");

        using var hardStop = new CancellationTokenSource(TimeSpan.FromSeconds(s.SetupSeconds + s.Warmup + s.Seconds + 2 * s.DrainSeconds + 120));
        var cancel = hardStop.Token;
        // Source versions: one counter per SKU, from this run's wall-clock microseconds (newer than any earlier run's).
        var versionBase = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        var versions = Enumerable.Repeat(versionBase, skus.Length).ToArray();
        var probing = new int[skus.Length];
        var current = new Probe?[skus.Length];

        try
        {
            // ---- setup (untimed, but reported)
            var started = Stopwatch.GetTimestamp();
            await SeedAsync(ledger, s, skus, versions, cancel);
            var seedSeconds = Clock.Seconds(started);
            started = Stopwatch.GetTimestamp();
            await WaitUntilAsync(async () => (await alerting.Client.PreflightAsync(new PreflightRequest { Skus = { skus }, Market = s.Market }, alerting.AuthHeaders, cancellationToken: cancel))
                .Verdicts.All(v => v.AvailableToPromise == s.BaseStock), "the alerting service's stock view has every SKU at the base stock", s.SetupSeconds, cancel);
            var viewSeconds = Clock.Seconds(started);
            started = Stopwatch.GetTimestamp();
            for (var r = 0; r < rooms.Length; r++)
            {
                await alerting.Client.SetRuleAsync(new Rule
                {
                    RoomId = rooms[r],
                    LowStockUnits = s.Threshold,
                    LowStockPercent = 0,
                    RearmMarginPercent = s.RearmPercent,
                    CoolDown = Duration.FromTimeSpan(TimeSpan.Zero),
                }, alerting.AuthHeaders, cancellationToken: cancel);
                await alerting.Client.UpsertStreamAsync(new LiveStream
                {
                    Id = rooms[r],
                    Market = s.Market,
                    Skus = { skus.Skip(r * s.SkusPerRoom).Take(s.SkusPerRoom) },
                    StartsAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddMinutes(-1)),
                    EndsAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(3)),
                }, alerting.AuthHeaders, cancellationToken: cancel);
            }
            var roomSet = rooms.ToHashSet(StringComparer.Ordinal);
            await WaitUntilAsync(async () => (await alerting.Client.ListStreamsAsync(new ListStreamsRequest(), alerting.AuthHeaders, cancellationToken: cancel)).Streams
                .Where(x => roomSet.Contains(x.Id)).Sum(x => x.StartStock.Count) == skus.Length, "every stream's start stock is recorded", s.SetupSeconds, cancel);
            var startStockSeconds = Clock.Seconds(started);
            var open = await ListOursAsync(alerting, rooms, includeResolved: true, cancel);
            if (open.Count > 0)
            {
                throw new InvalidOperationException($"{open.Count} alerts for the bench's SKUs before any probe (e.g. '{open[0].Message}')");
            }
            Console.WriteLine($"  set up: ledger seeded in {seedSeconds:F1} s; the alerting service saw it after {viewSeconds:F1} s more; rules and streams, start stock recorded, in {startStockSeconds:F1} s");

            // ---- the console stream: "0" replays what is kept, so nothing appended before it opened is missed.
            var console = new ConsoleReader();
            using var stopConsole = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            var consoleTask = Task.Run(() => ReadConsoleAsync(alerting, index, current, console, stopConsole.Token), cancel);

            // ---- background load and probes
            var load = new Load();
            var stopLoad = 0;
            var loadDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var loadThread = new Thread(() =>
            {
                try
                {
                    WriteLoad(s, ledger, skus, versions, probing, load, () => Volatile.Read(ref stopLoad) == 1, cancel);
                }
                catch (Exception ex)
                {
                    load.Error = ex;
                }
                loadDone.TrySetResult();
            })
            { IsBackground = true, Name = "background load" };
            loadThread.Start();

            await using var probes = new ProbeWriter(ledger, cancel);
            var all = new Probe[cycles];
            var cycleTasks = new Task[cycles];
            long windowStart = 0, windowEnd = 0;
            Task<PrometheusScrape>? before = null, after = null;
            IReadOnlyList<(string Name, double Cores)> split = [];
            var probesStarted = Stopwatch.GetTimestamp();
            var pacerDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            // The pacer, on a thread of its own so its timing does not depend on the busy pool.
            var pacer = new Thread(() =>
            {
                try
                {
                    var next = 0;
                    for (var c = 0; c < cycles && !cancel.IsCancellationRequested; c++)
                    {
                        WaitUntil(probesStarted + Clock.Ticks(c / s.ProbeRate));
                        if (c == firstMeasured)
                        {
                            windowStart = Stopwatch.GetTimestamp();
                            Volatile.Write(ref load.AppliedAtWindowStart, Volatile.Read(ref load.Applied));
                            cpu.Start();
                            before = alerting.ScrapeAsync(cancel);
                        }
                        // The next SKU not being probed (all are free unless cycles outnumber SKUs).
                        var i = next;
                        for (var tries = 0; tries < skus.Length && Volatile.Read(ref probing[i]) == 1; tries++)
                        {
                            i = (i + 1) % skus.Length;
                        }
                        next = (i + 1) % skus.Length;
                        var probe = all[c] = new Probe(i, skus[i], c >= firstMeasured);
                        cycleTasks[c] = Task.Run(() => CycleAsync(s, probes, probe, versions, probing, current, cancel), cancel);
                    }
                    WaitUntil(probesStarted + Clock.Ticks(cycles / s.ProbeRate));
                    windowEnd = Stopwatch.GetTimestamp();
                    Volatile.Write(ref load.AppliedAtWindowEnd, Volatile.Read(ref load.Applied));
                    split = cpu.Stop();
                    after = alerting.ScrapeAsync(cancel);
                    pacerDone.TrySetResult();
                }
                catch (Exception ex)
                {
                    pacerDone.TrySetException(ex);
                }
            })
            { IsBackground = true, Name = "probe pacer" };
            pacer.Start();
            await pacerDone.Task.WaitAsync(cancel);
            var drainStarted = Stopwatch.GetTimestamp();
            await Task.WhenAll(cycleTasks.Where(t => t is not null)).WaitAsync(cancel);
            var drainSeconds = Clock.Seconds(drainStarted);
            Volatile.Write(ref stopLoad, 1);
            await loadDone.Task.WaitAsync(cancel);
            await stopConsole.CancelAsync();
            await consoleTask;
            var scrapeBefore = await before!;
            var scrapeAfter = await after!;
            if (load.Error is not null)
            {
                throw new InvalidOperationException($"the background writer failed: {load.Error.Message}", load.Error);
            }
            if (console.Error is not null)
            {
                throw new InvalidOperationException($"the console stream failed: {console.Error.Message}", console.Error);
            }
            var listed = await ListOursAsync(alerting, rooms, includeResolved: true, cancel);

            Report(s, results, all, load, console, listed, scrapeBefore, scrapeAfter, (windowEnd - windowStart) / (double)Stopwatch.Frequency,
                split, seedSeconds, viewSeconds, startStockSeconds, drainSeconds);
        }
        finally
        {
            await CleanUpAsync(alerting, rooms);
        }
    }

    /// <summary>Every SKU at the base stock in the warehouse, one version each (the per-SKU counters move on).</summary>
    private static async Task SeedAsync(Ledger ledger, Settings s, string[] skus, long[] versions, CancellationToken cancel)
    {
        using var call = ledger.Client().ApplyStockEvents(ledger.AuthHeaders, cancellationToken: cancel);
        var reader = Task.Run(async () =>
        {
            long applied = 0, other = 0;
            await foreach (var ack in call.ResponseStream.ReadAllAsync(cancel))
            {
                var ok = ack.Results.Count(r => r.Outcome == EventOutcome.Applied);
                applied += ok;
                other += ack.Results.Count - ok;
            }
            return (applied, other);
        }, cancel);
        var sourceTime = Timestamp.FromDateTime(DateTime.UtcNow);
        foreach (var chunk in Enumerable.Range(0, skus.Length).Chunk(500))
        {
            var request = new ApplyStockEventsRequest { BatchId = "alerts-seed" };
            request.Events.Add(chunk.Select(i => Snapshot(s.Warehouse, skus[i], s.BaseStock, ++versions[i], sourceTime)));
            await call.RequestStream.WriteAsync(request, cancel);
        }
        await call.RequestStream.CompleteAsync();
        var (appliedCount, otherCount) = await reader;
        if (appliedCount != skus.Length)
        {
            throw new InvalidOperationException($"seeding: {appliedCount} of {skus.Length} snapshots applied ({otherCount} not)");
        }
    }

    private static StockEvent Snapshot(string warehouse, string sku, long units, long version, Timestamp sourceTime) => new()
    {
        WarehouseId = warehouse,
        Sku = sku,
        SourceTime = sourceTime,
        Snapshot = new StockSnapshot { SourceVersion = version, Quantities = new Quantities { OnHand = units, Available = units } },
    };

    /// <summary>Polls a condition at the readiness poll interval until it holds, within a deadline.</summary>
    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, double seconds, CancellationToken cancel)
    {
        var started = Stopwatch.GetTimestamp();
        while (!await condition())
        {
            if (Clock.Seconds(started) > seconds)
            {
                throw new TimeoutException($"not within {seconds:F0} s: {what}");
            }
            await Task.Delay(Readiness.PollInterval, cancel); // between checks, until the deadline above
        }
    }

    /// <summary>The alerts of the bench's rooms (ListAlerts filters one room per call).</summary>
    private static async Task<List<Alert>> ListOursAsync(AlertingUnderTest alerting, string[] rooms, bool includeResolved, CancellationToken cancel)
    {
        var alerts = new List<Alert>();
        foreach (var room in rooms)
        {
            alerts.AddRange((await alerting.Client.ListAlertsAsync(new ListAlertsRequest { RoomId = room, IncludeResolved = includeResolved, Limit = 1000 }, alerting.AuthHeaders, cancellationToken: cancel)).Alerts);
        }
        return alerts;
    }

    private static async Task CleanUpAsync(AlertingUnderTest alerting, string[] rooms)
    {
        try
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            foreach (var room in rooms)
            {
                await alerting.Client.DeleteStreamAsync(new DeleteStreamRequest { Id = room }, alerting.AuthHeaders, cancellationToken: deadline.Token);
                await alerting.Client.DeleteRuleAsync(new DeleteRuleRequest { Id = "room:" + room }, alerting.AuthHeaders, cancellationToken: deadline.Token);
            }
        }
        catch (RpcException ex)
        {
            Console.Error.WriteLine($"  clean-up of the bench's streams and rules failed: {ex.Status.Detail}");
        }
    }

    /// <summary>Blocks this (dedicated) thread until a Stopwatch time.</summary>
    private static void WaitUntil(long due)
    {
        long wait;
        while ((wait = due - Stopwatch.GetTimestamp()) > 0)
        {
            Thread.Sleep(TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond / 2, wait * TimeSpan.TicksPerSecond / Stopwatch.Frequency)));
        }
    }

    /// <summary>
    /// Batch k is due at start + k * batch / rate; a batch more than 5 ms late is counted. Each change
    /// takes the SKU's next version first and then skips the SKU if a probe holds it: a probe marks
    /// its SKU before taking a version, so a change built before that is older than the probe.
    /// </summary>
    private static void WriteLoad(Settings s, Ledger ledger, string[] skus, long[] versions, int[] probing, Load load, Func<bool> stop, CancellationToken cancel)
    {
        if (s.LoadRate == 0)
        {
            return;
        }
        var sentAt = new ConcurrentQueue<long>();
        using var call = ledger.DedicatedClient().ApplyStockEvents(ledger.AuthHeaders, cancellationToken: cancel);
        var reader = Task.Run(async () =>
        {
            await foreach (var ack in call.ResponseStream.ReadAllAsync(cancel))
            {
                if (sentAt.TryDequeue(out var at))
                {
                    lock (load.Ack)
                    {
                        load.Ack.Add(Stopwatch.GetTimestamp() - at);
                    }
                }
                var applied = ack.Results.Count(r => r.Outcome == EventOutcome.Applied);
                Interlocked.Add(ref load.Applied, applied);
                Interlocked.Add(ref load.NotApplied, ack.Results.Count - applied);
            }
        }, cancel);
        var interval = (double)s.LoadBatch / s.LoadRate;
        var half = s.BaseStock / 2;
        var position = 0;
        var started = Stopwatch.GetTimestamp();
        for (var k = 0; !stop() && !cancel.IsCancellationRequested; k++)
        {
            var due = started + Clock.Ticks(k * interval);
            WaitUntil(due);
            if (Stopwatch.GetTimestamp() - due > Clock.Ticks(0.005))
            {
                load.Late++;
            }
            var request = new ApplyStockEventsRequest { BatchId = "load" };
            var sourceTime = Timestamp.FromDateTime(DateTime.UtcNow);
            for (var tries = 0; request.Events.Count < s.LoadBatch && tries < 2 * skus.Length; tries++)
            {
                var i = position;
                position = (position + 1) % skus.Length;
                var version = Interlocked.Increment(ref versions[i]);
                if (Volatile.Read(ref probing[i]) == 1)
                {
                    load.Skipped++;
                    continue;
                }
                // Between half the base stock and just under it: always above the re-arm level.
                var units = half + ((k * 7L) + i) % half;
                request.Events.Add(Snapshot(s.Warehouse, skus[i], units, version, sourceTime));
            }
            sentAt.Enqueue(Stopwatch.GetTimestamp());
            call.RequestStream.WriteAsync(request, cancel).GetAwaiter().GetResult();
            load.Sent += request.Events.Count;
        }
        call.RequestStream.CompleteAsync().GetAwaiter().GetResult();
        reader.GetAwaiter().GetResult();
    }

    /// <summary>One cycle: below the threshold, wait for RAISED; back to the base stock, wait for RESOLVED.</summary>
    private static async Task CycleAsync(Settings s, ProbeWriter probes, Probe p, long[] versions, int[] probing, Probe?[] current, CancellationToken cancel)
    {
        Volatile.Write(ref current[p.SkuIndex], p);
        Interlocked.Exchange(ref probing[p.SkuIndex], 1);
        try
        {
            var wait = TimeSpan.FromSeconds(s.DrainSeconds);
            var (sent, acked, result) = await probes.SendAsync(Snapshot(s.Warehouse, p.Sku, s.ProbeLow, Interlocked.Increment(ref versions[p.SkuIndex]), Timestamp.FromDateTime(DateTime.UtcNow)), cancel);
            (p.RaiseSent, p.RaiseAcked) = (sent, acked);
            if (result.Outcome != EventOutcome.Applied)
            {
                p.Failure = $"raise probe {result.Outcome} {result.Reason}";
                return;
            }
            if (!await Arrives(p.Raised.Task, wait, cancel))
            {
                p.Failure = $"no RAISED within {wait.TotalSeconds:F0} s";
            }
            (sent, acked, result) = await probes.SendAsync(Snapshot(s.Warehouse, p.Sku, s.BaseStock, Interlocked.Increment(ref versions[p.SkuIndex]), Timestamp.FromDateTime(DateTime.UtcNow)), cancel);
            (p.ResolveSent, p.ResolveAcked) = (sent, acked);
            if (result.Outcome != EventOutcome.Applied)
            {
                p.Failure = $"resolve probe {result.Outcome} {result.Reason}";
                return;
            }
            if (p.Failure.Length == 0 && !await Arrives(p.Resolved.Task, wait, cancel))
            {
                p.Failure = $"no RESOLVED within {wait.TotalSeconds:F0} s";
            }
        }
        finally
        {
            Interlocked.Exchange(ref probing[p.SkuIndex], 0);
        }
    }

    private static async Task<bool> Arrives(Task notified, TimeSpan wait, CancellationToken cancel)
    {
        try
        {
            await notified.WaitAsync(wait, cancel);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>Attributes each low-stock notification for a bench SKU to the SKU's current probe cycle.</summary>
    private static async Task ReadConsoleAsync(AlertingUnderTest alerting, Dictionary<string, int> index, Probe?[] current, ConsoleReader console, CancellationToken stop)
    {
        try
        {
            using var call = alerting.Client.WatchAlerts(new WatchAlertsRequest { AfterId = "0" }, alerting.AuthHeaders, cancellationToken: stop);
            await foreach (var n in call.ResponseStream.ReadAllAsync(stop))
            {
                var now = Stopwatch.GetTimestamp();
                if (!index.TryGetValue(n.Alert.Sku, out var i))
                {
                    console.Foreign++; // not this run's (an earlier run, another kind of alert)
                    continue;
                }
                var p = Volatile.Read(ref current[i]);
                if (p is null || n.Alert.Kind != AlertKind.LowStock)
                {
                    console.Unexpected++;
                    console.LastUnexpected = $"{n.Type} {n.Alert.Kind} {n.Alert.Message}";
                    continue;
                }
                lock (p)
                {
                    switch (n.Type)
                    {
                        case NotificationType.Raised when ++p.RaisedCount == 1:
                            p.RaisedAt = now;
                            p.Raised.TrySetResult();
                            break;
                        case NotificationType.Resolved when ++p.ResolvedCount == 1:
                            p.ResolvedAt = now;
                            p.Resolved.TrySetResult();
                            break;
                        case NotificationType.Raised or NotificationType.Resolved:
                            break; // a repeat: counted above
                        default:
                            p.OtherCount++;
                            break;
                    }
                }
            }
        }
        catch (Exception ex) when (stop.IsCancellationRequested && ex is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
        {
            // Stopped by us.
        }
        catch (Exception ex)
        {
            console.Error = ex;
        }
    }

    /// <summary>
    /// Probes on one ApplyStockEvents stream of their own connection, one event per batch; each
    /// caller gets its acknowledgement (matched by batch id) with the time it arrived.
    /// </summary>
    private sealed class ProbeWriter : IAsyncDisposable
    {
        private readonly AsyncDuplexStreamingCall<ApplyStockEventsRequest, ApplyStockEventsResponse> _call;
        private readonly ConcurrentDictionary<string, TaskCompletionSource<(long At, EventResult Result)>> _pending = new(StringComparer.Ordinal);
        private readonly SemaphoreSlim _send = new(1, 1);
        private readonly Task _reader;
        private long _next;

        public ProbeWriter(Ledger ledger, CancellationToken cancel)
        {
            _call = ledger.DedicatedClient().ApplyStockEvents(ledger.AuthHeaders, cancellationToken: cancel);
            _reader = Task.Run(async () =>
            {
                try
                {
                    await foreach (var ack in _call.ResponseStream.ReadAllAsync(cancel))
                    {
                        var now = Stopwatch.GetTimestamp();
                        if (_pending.TryRemove(ack.BatchId, out var waiting))
                        {
                            waiting.TrySetResult((now, ack.Results[0]));
                        }
                    }
                }
                catch (Exception ex)
                {
                    foreach (var waiting in _pending.Values)
                    {
                        waiting.TrySetException(ex);
                    }
                    throw;
                }
            }, cancel);
        }

        /// <returns>When it was written, when its acknowledgement arrived, and its outcome.</returns>
        public async Task<(long SentAt, long AckedAt, EventResult Result)> SendAsync(StockEvent change, CancellationToken cancel)
        {
            var id = "probe-" + Interlocked.Increment(ref _next).ToString(CultureInfo.InvariantCulture);
            var acked = new TaskCompletionSource<(long, EventResult)>(TaskCreationOptions.RunContinuationsAsynchronously);
            _pending[id] = acked;
            var request = new ApplyStockEventsRequest { BatchId = id, Events = { change } };
            long sentAt;
            await _send.WaitAsync(cancel);
            try
            {
                sentAt = Stopwatch.GetTimestamp();
                await _call.RequestStream.WriteAsync(request, cancel);
            }
            finally
            {
                _send.Release();
            }
            var (at, result) = await acked.Task.WaitAsync(TimeSpan.FromSeconds(30), cancel);
            return (sentAt, at, result);
        }

        public async ValueTask DisposeAsync()
        {
            await _send.WaitAsync();
            try
            {
                await _call.RequestStream.CompleteAsync();
                await _reader;
            }
            finally
            {
                _send.Release();
                _call.Dispose();
                _send.Dispose();
            }
        }
    }

    private static void Report(Settings s, Results results, Probe[] all, Load load, ConsoleReader console, List<Alert> listed,
        PrometheusScrape before, PrometheusScrape after, double windowSeconds, IReadOnlyList<(string Name, double Cores)> split,
        double seedSeconds, double viewSeconds, double startStockSeconds, double drainSeconds)
    {
        var measured = all.Where(p => p.Measured).ToArray();
        var raise = new Latencies(measured.Length);
        var resolve = new Latencies(measured.Length);
        var fromSend = new Latencies(2 * measured.Length);
        var probeAck = new Latencies(2 * measured.Length);
        var warm = new Latencies(2 * all.Length);
        var beforeAck = 0;
        void Add(Probe p, long sent, long acked, long notified, Latencies into)
        {
            if (notified < acked)
            {
                beforeAck++;
            }
            var latency = Math.Max(0, notified - acked);
            if (!p.Measured)
            {
                warm.Add(latency);
                return;
            }
            into.Add(latency);
            fromSend.Add(notified - sent);
            probeAck.Add(acked - sent);
        }
        foreach (var p in all.Where(p => p.RaisedCount > 0 && p.ResolvedCount > 0))
        {
            Add(p, p.RaiseSent, p.RaiseAcked, p.RaisedAt, raise);
            Add(p, p.ResolveSent, p.ResolveAcked, p.ResolvedAt, resolve);
        }
        var both = Latencies.Summarize([raise, resolve]);
        var raised = Latencies.Summarize([raise]);
        var resolved = Latencies.Summarize([resolve]);
        var sendSummary = Latencies.Summarize([fromSend]);
        var ackSummary = Latencies.Summarize([probeAck]);
        var warmSummary = Latencies.Summarize([warm]);
        var loadAck = Latencies.Summarize([load.Ack]);
        var exactlyOne = measured.Sum(p => (p.RaisedCount == 1 ? 1 : 0) + (p.ResolvedCount == 1 ? 1 : 0));
        var missing = measured.Sum(p => (p.RaisedCount == 0 ? 1 : 0) + (p.ResolvedCount == 0 ? 1 : 0));
        var repeats = all.Sum(p => Math.Max(0, p.RaisedCount - 1) + Math.Max(0, p.ResolvedCount - 1) + p.OtherCount);
        var failures = all.Where(p => p.Failure.Length > 0).ToArray();
        var probedSkus = all.Select(p => p.Sku).ToHashSet(StringComparer.Ordinal);

        results.Add("rooms", s.Rooms);
        results.Add("skus_per_room", s.SkusPerRoom);
        results.Add("skus", s.Skus);
        results.Add("market", s.Market);
        results.Add("threshold", s.Threshold);
        results.Add("rearm_level", s.RearmLevel);
        results.Add("base_stock", s.BaseStock);
        results.Add("probe_low", s.ProbeLow);
        results.Add("seed_s", seedSeconds, "F1");
        results.Add("view_s", viewSeconds, "F1");
        results.Add("start_stock_s", startStockSeconds, "F1");
        results.Add("seconds", windowSeconds, "F1");
        results.Add("warmup_s", s.Warmup, "F0");
        results.Add("probe_rate", s.ProbeRate, "F0");
        results.Add("cycles", all.Length);
        results.Add("cycles_measured", measured.Length);
        results.Add("probes_measured", 2 * measured.Length);
        results.Add("notifications_measured", both.Count);
        results.Add("exactly_one", exactlyOne);
        results.Add("missing", missing);
        results.Add("repeats", repeats);
        results.Add("unexpected", console.Unexpected);
        results.Add("foreign", console.Foreign);
        results.Add("failed_cycles", failures.Length);
        results.Add("complete", exactlyOne == 2 * measured.Length && repeats == 0 && console.Unexpected == 0 && failures.Length == 0 ? "yes" : "NO");
        results.Add("alerts_listed", listed.Count(a => probedSkus.Contains(a.Sku)));
        results.Add("alerts_open_at_end", listed.Count(a => a.State == AlertState.Firing));
        results.Add("notified_before_ack", beforeAck);
        results.Add("drain_ms", drainSeconds * 1000, "F0");
        results.Add("p50_ms", both.Ms(50), "F2");
        results.Add("p90_ms", both.Ms(90), "F2");
        results.Add("p99_ms", both.Ms(99), "F2");
        results.Add("max_ms", both.MaxMs, "F2");
        results.Add("raise_p50_ms", raised.Ms(50), "F2");
        results.Add("raise_p99_ms", raised.Ms(99), "F2");
        results.Add("raise_max_ms", raised.MaxMs, "F2");
        results.Add("resolve_p50_ms", resolved.Ms(50), "F2");
        results.Add("resolve_p99_ms", resolved.Ms(99), "F2");
        results.Add("resolve_max_ms", resolved.MaxMs, "F2");
        results.Add("send_p50_ms", sendSummary.Ms(50), "F2");
        results.Add("send_p99_ms", sendSummary.Ms(99), "F2");
        results.Add("probe_ack_p50_ms", ackSummary.Ms(50), "F2");
        results.Add("probe_ack_p99_ms", ackSummary.Ms(99), "F2");
        results.Add("warmup_p50_ms", warmSummary.Ms(50), "F2");
        results.Add("warmup_p99_ms", warmSummary.Ms(99), "F2");
        results.Add("warmup_max_ms", warmSummary.MaxMs, "F2");

        var loadApplied = load.AppliedAtWindowEnd - load.AppliedAtWindowStart;
        results.Add("load_rate", s.LoadRate);
        results.Add("load_batch", s.LoadBatch);
        results.Add("load_sent", load.Sent);
        results.Add("load_applied", load.Applied);
        results.Add("load_not_applied", load.NotApplied);
        results.Add("load_skipped", load.Skipped);
        results.Add("load_late_batches", load.Late);
        results.Add("load_applied_per_s", loadApplied / windowSeconds);
        results.Add("load_ack_p50_ms", loadAck.Ms(50), "F2");
        results.Add("load_ack_p99_ms", loadAck.Ms(99), "F2");
        results.Add("ledger_changes_per_s", (loadApplied + (2.0 * measured.Length)) / windowSeconds);

        // The service's own counters over the measured window.
        var evaluations = after.Sum(EvaluationsTotal) - before.Sum(EvaluationsTotal);
        var evaluationSeconds = after.Sum(EvaluationSeconds + "_sum") - before.Sum(EvaluationSeconds + "_sum");
        var changeToAlert = after.Sum(ChangeToAlertSeconds + "_sum") - before.Sum(ChangeToAlertSeconds + "_sum");
        var changeToAlertCount = after.Sum(ChangeToAlertSeconds + "_count") - before.Sum(ChangeToAlertSeconds + "_count");
        var perSecond = evaluations / windowSeconds;
        results.Add("evaluations", evaluations);
        results.Add("evaluations_per_s", perSecond);
        results.Add("rule_contexts_per_evaluation", 1); // each SKU is featured in one room, and has no SKU or category rule
        results.Add("rules_per_evaluation", RulesPerContext);
        results.Add("rules_per_s", perSecond * RulesPerContext);
        results.Add("evaluation_mean_us", evaluations > 0 ? evaluationSeconds / evaluations * 1e6 : double.NaN, "F1");
        results.Add("evaluation_busy", evaluationSeconds / windowSeconds, "F3");
        results.Add("service_change_to_alert_mean_ms", changeToAlertCount > 0 ? changeToAlert / changeToAlertCount * 1000 : double.NaN, "F2");
        results.Add("service_change_to_alert_p99_le_ms", BucketBound(before, after, ChangeToAlertSeconds, 0.99) * 1000, "F1");
        results.Add("service_change_to_alert_count", changeToAlertCount);
        results.AddCpu(split);
        foreach (var p in failures.Take(3))
        {
            Console.Error.WriteLine($"  cycle on {p.Sku} failed: {p.Failure}");
        }
        if (console.Unexpected > 0)
        {
            Console.Error.WriteLine($"  {console.Unexpected} unexpected notifications, the last: {console.LastUnexpected}");
        }
    }

    /// <summary>The upper bound of the histogram bucket holding quantile <paramref name="q"/> of the observations between two scrapes.</summary>
    private static double BucketBound(PrometheusScrape before, PrometheusScrape after, string name, double q)
    {
        var buckets = after.Buckets(name).Select(b => (b.Le, Count: b.Count - before.Buckets(name).FirstOrDefault(x => x.Le == b.Le).Count)).ToList();
        var total = buckets.Count == 0 ? 0 : buckets[^1].Count;
        return total <= 0 ? double.NaN : buckets.First(b => b.Count >= q * total).Le;
    }
}
