using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Stockcast.Ledger.V1;

namespace Stockcast.Bench;

/// <summary>
/// Watch delivery latency. Opens N Watch streams (no filter, start_revision 0), waits until each
/// has its first header, then a writer paces snapshot batches at a fixed rate on one
/// ApplyStockEvents stream (its own connection, its own thread). The writer puts
/// Stopwatch.GetTimestamp() (this process's monotonic clock) into each snapshot's source_version
/// just before sending; every watcher subtracts the delivered change's record.source_version from
/// its receive time. That is end to end: client send, validation, the Redis script, the pub/sub
/// wake-up, the feed's read of the log, the fan-out to every stream and the client's receive.
///
/// Warm-up: a freshly started ledger runs its Watch fan-out on unoptimised (tier-0) code at
/// first. The writer keeps going until two consecutive seconds of sends were delivered
/// completely and within the goal (at least --warmup, at most --warmup-max seconds), and only
/// then starts the --seconds measured window. How long that took is reported: it is the cold
/// start a new replica shows.
/// </summary>
public static class WatchScenario
{
    private const long MaxSourceVersion = (1L << 53) - 1;

    public sealed record Settings(int Watchers, int Rate, int Batch, double Seconds, double Warmup, double WarmupMax, int Skus, string Prefix,
        double DrainSeconds, bool FullDecode, double GoalMs)
    {
        public static Settings From(BenchArgs a) => new(
            a.Int("watchers", 100), a.Int("rate", 5000), a.Int("batch", 50), a.Double("seconds", 10), a.Double("warmup", 3), a.Double("warmup-max", 20),
            a.Int("skus", 5000), a.Str("sku-prefix", "WCH-"), a.Double("drain-seconds", 30), a.Str("decode", "lite") == "full", a.Double("goal-ms", 25));
    }

    private sealed class Watcher(int capacity)
    {
        public readonly Latencies Latency = new(capacity);
        public readonly Latencies WarmupLatency = new(capacity / 4);
        public long Delivered;
        public long Header = -1;
        public long FirstHeader = -1;
        public Exception? Error;
    }

    /// <summary>Per second of sending (bucketed by send time): sent, delivered, delivered over the goal, worst latency.</summary>
    private sealed class Seconds(double length)
    {
        public readonly Timeline Sent = new(length);
        public readonly Timeline Delivered = new(length);
        public readonly Timeline OverGoal = new(length);
        public readonly Timeline Max = new(length);
    }

    private sealed class Writer
    {
        public long Applied;
        public long NotApplied;
        public long FinalRevision;
        public int Late;
        public long Sent;
        public long MeasureStart = long.MaxValue;
        public double WarmupSeconds;
        public bool Settled;
        public Latencies AckLatency = new(1024);
        public Exception? Error;
    }

    public static async Task RunAsync(Settings s, Ledger ledger, Results results, CpuMeter cpu)
    {
        WatchLite.SelfTest();
        // source_version must be > 0, grow per record and stay <= 2^53 - 1. The raw monotonic
        // timestamp does while the machine has been up for less than ~52 days (ns ticks); past
        // that, shift it and use SKUs of this process only, so no stored version is newer.
        var offset = 0L;
        var prefix = s.Prefix;
        if (Stopwatch.GetTimestamp() > MaxSourceVersion / 2)
        {
            offset = Stopwatch.GetTimestamp() - 1;
            prefix = $"{s.Prefix}{Environment.ProcessId}-";
        }
        var interval = (double)s.Batch / s.Rate;
        var records = s.Skus * Catalog.Warehouses.Length;
        Console.WriteLine($"watch: {s.Watchers} watchers ({(s.FullDecode ? "full" : "lite")} decode); writer sends batches of {s.Batch} every {interval * 1000:F1} ms "
            + $"({s.Rate} events/s), warm-up {s.Warmup}-{s.WarmupMax} s until settled, then {s.Seconds} s measured, over {records} records");

        var horizon = s.WarmupMax + s.Seconds + 2;
        using var hardStop = new CancellationTokenSource(TimeSpan.FromSeconds(horizon + s.DrainSeconds + 60));
        using var stopWatchers = CancellationTokenSource.CreateLinkedTokenSource(hardStop.Token);
        var watchers = Enumerable.Range(0, s.Watchers).Select(_ => new Watcher((int)(s.Seconds * s.Rate) + 1024)).ToArray();
        var readyCount = 0;
        var allReady = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writer = new Writer();
        var writeStart = long.MaxValue;
        var bySecond = new Seconds(horizon);
        var goalTicks = (long)(s.GoalMs / 1000 * Stopwatch.Frequency);

        void Receive(Watcher w, long header, IReadOnlyList<long> versions)
        {
            var now = Stopwatch.GetTimestamp();
            var from = Volatile.Read(ref writer.MeasureStart);
            var start = Volatile.Read(ref writeStart);
            foreach (var version in versions)
            {
                var sent = version + offset;
                if (sent < start)
                {
                    continue;
                }
                var latency = now - sent;
                (sent >= from ? w.Latency : w.WarmupLatency).Add(latency);
                var second = (sent - start) / (double)Stopwatch.Frequency;
                bySecond.Delivered.Add(second);
                bySecond.Max.Max(second, latency);
                if (latency > goalTicks)
                {
                    bySecond.OverGoal.Add(second);
                }
            }
            w.Delivered += versions.Count;
            Volatile.Write(ref w.Header, header);
            if (w.FirstHeader < 0)
            {
                w.FirstHeader = header;
                if (Interlocked.Increment(ref readyCount) == watchers.Length)
                {
                    allReady.TrySetResult();
                }
            }
        }

        var tasks = watchers.Select(w => Task.Run(async () =>
        {
            var request = new WatchRequest { StartRevision = 0, ProgressIntervalSeconds = 1 };
            try
            {
                if (s.FullDecode)
                {
                    using var call = ledger.Client().Watch(request, ledger.AuthHeaders, cancellationToken: stopWatchers.Token);
                    var versions = new List<long>(256);
                    await foreach (var response in call.ResponseStream.ReadAllAsync(stopWatchers.Token))
                    {
                        versions.Clear();
                        versions.AddRange(response.Changes.Select(c => c.Record.SourceVersion));
                        Receive(w, response.HeaderRevision, versions);
                    }
                }
                else
                {
                    using var call = ledger.Invoker().AsyncServerStreamingCall(WatchLite.Method, null, new CallOptions(ledger.AuthHeaders, cancellationToken: stopWatchers.Token), request);
                    await foreach (var response in call.ResponseStream.ReadAllAsync(stopWatchers.Token))
                    {
                        Receive(w, response.HeaderRevision, response.SourceVersions);
                    }
                }
            }
            catch (Exception ex) when (stopWatchers.IsCancellationRequested && ex is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
            {
                // Stopped by us once every change was delivered (or at the hard stop).
            }
            catch (Exception ex)
            {
                w.Error = ex;
                allReady.TrySetException(ex);
            }
        })).ToArray();

        await allReady.Task.WaitAsync(TimeSpan.FromSeconds(30), hardStop.Token);
        Console.WriteLine($"  {watchers.Length} watchers open at revision {watchers.Min(w => w.FirstHeader)}");

        // The paced writer, on a thread of its own so its timing does not depend on the busy pool.
        var writerClient = ledger.DedicatedClient();
        var started = Stopwatch.GetTimestamp();
        Volatile.Write(ref writeStart, started);
        var writerDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Write(s, ledger, writerClient, writer, bySecond, started, interval, records, prefix, offset, cpu, hardStop.Token);
            }
            catch (Exception ex)
            {
                writer.Error = ex;
            }
            writerDone.TrySetResult();
        })
        { IsBackground = true, Name = "paced writer" };
        thread.Start();
        await writerDone.Task.WaitAsync(hardStop.Token);
        if (writer.Error is not null)
        {
            await stopWatchers.CancelAsync();
            throw new InvalidOperationException($"the writer failed: {writer.Error.Message}", writer.Error);
        }
        var writeSeconds = Clock.Seconds(writer.MeasureStart);

        // Every watcher must reach the writer's last revision; bounded by the drain deadline.
        var drainStarted = Stopwatch.GetTimestamp();
        while (watchers.Any(w => Volatile.Read(ref w.Header) < writer.FinalRevision && w.Error is null) && Clock.Seconds(drainStarted) < s.DrainSeconds)
        {
            await Task.Delay(5, hardStop.Token);
        }
        var drainSeconds = Clock.Seconds(drainStarted);
        var split = cpu.Stop();
        await stopWatchers.CancelAsync();
        await Task.WhenAll(tasks);

        var latency = Latencies.Summarize(watchers.Select(w => w.Latency));
        var warm = Latencies.Summarize(watchers.Select(w => w.WarmupLatency));
        var delivered = watchers.Sum(w => w.Delivered);
        var errors = watchers.Count(w => w.Error is not null);
        var timelineSeconds = (int)Math.Ceiling(writer.WarmupSeconds + s.Seconds);
        results.Add("watchers", s.Watchers);
        results.Add("rate", s.Rate);
        results.Add("batch", s.Batch);
        results.Add("decode", s.FullDecode ? "full" : "lite");
        results.Add("warmup_s", writer.WarmupSeconds, "F1");
        results.Add("settled", writer.Settled ? "yes" : "NO");
        results.Add("seconds", writeSeconds, "F1");
        results.Add("events_sent", writer.Sent);
        results.Add("events_applied", writer.Applied);
        results.Add("events_not_applied", writer.NotApplied);
        results.Add("writer_late_batches", writer.Late);
        results.Add("delivered", delivered);
        results.Add("delivered_expected", writer.Applied * s.Watchers);
        results.Add("delivered_complete", delivered == writer.Applied * s.Watchers && errors == 0 ? "yes" : "NO");
        results.Add("watch_errors", errors);
        results.Add("drain_ms", drainSeconds * 1000, "F0");
        results.Add("deliveries_per_s", latency.Count / (writeSeconds + drainSeconds));
        results.Add("measured", latency.Count);
        results.Add("p50_ms", latency.Ms(50), "F2");
        results.Add("p90_ms", latency.Ms(90), "F2");
        results.Add("p99_ms", latency.Ms(99), "F2");
        results.Add("p999_ms", latency.Ms(99.9), "F2");
        results.Add("max_ms", latency.MaxMs, "F2");
        results.Add("warmup_p50_ms", warm.Ms(50), "F2");
        results.Add("warmup_p99_ms", warm.Ms(99), "F2");
        results.Add("warmup_max_ms", warm.MaxMs, "F2");
        results.Add("timeline_max_ms", bySecond.Max.Format(timelineSeconds, t => (t * 1000.0 / Stopwatch.Frequency).ToString("F0", CultureInfo.InvariantCulture)));
        results.Add("timeline_over_goal", bySecond.OverGoal.Format(timelineSeconds, n => n.ToString(CultureInfo.InvariantCulture)));
        var ack = Latencies.Summarize([writer.AckLatency]);
        results.Add("ack_p50_ms", ack.Ms(50), "F2");
        results.Add("ack_p99_ms", ack.Ms(99), "F2");
        results.Add("ack_max_ms", ack.MaxMs, "F2");
        results.AddCpu(split);
        foreach (var w in watchers.Where(w => w.Error is not null).Take(3))
        {
            Console.Error.WriteLine($"  watcher failed: {w.Error!.GetType().Name}: {w.Error.Message}");
        }
    }

    /// <summary>
    /// Batch k is due at start + k * interval; a late batch goes at once. Decides when the warm-up
    /// ends, then sends for the measured seconds. Blocking is fine: this is its own thread.
    /// </summary>
    private static void Write(Settings s, Ledger ledger, StockLedger.StockLedgerClient client, Writer writer, Seconds bySecond, long started,
        double interval, int records, string prefix, long offset, CpuMeter cpu, CancellationToken hardStop)
    {
        var sentAt = new ConcurrentQueue<long>();
        using var call = client.ApplyStockEvents(ledger.AuthHeaders, cancellationToken: hardStop);
        var reader = Task.Run(async () =>
        {
            await foreach (var ack in call.ResponseStream.ReadAllAsync(hardStop))
            {
                if (sentAt.TryDequeue(out var at))
                {
                    writer.AckLatency.Add(Stopwatch.GetTimestamp() - at);
                }
                var applied = ack.Results.Count(r => r.Outcome == EventOutcome.Applied);
                writer.Applied += applied;
                writer.NotApplied += ack.Results.Count - applied;
                writer.FinalRevision = Math.Max(writer.FinalRevision, ack.Revision);
            }
        }, hardStop);

        var position = 0;
        var lastVersion = 0L;
        var measureEnd = long.MaxValue;
        for (var k = 0; ; k++)
        {
            var due = started + Clock.Ticks(k * interval);
            if (writer.MeasureStart == long.MaxValue)
            {
                var elapsed = (due - started) / (double)Stopwatch.Frequency;
                writer.Settled = elapsed >= s.Warmup && Settled(s, bySecond, (int)elapsed);
                if (writer.Settled || elapsed >= s.WarmupMax)
                {
                    writer.WarmupSeconds = elapsed;
                    measureEnd = due + Clock.Ticks(s.Seconds);
                    cpu.Start();
                    Volatile.Write(ref writer.MeasureStart, due);
                }
            }
            else if (due >= measureEnd)
            {
                break;
            }
            long wait;
            while ((wait = due - Stopwatch.GetTimestamp()) > 0)
            {
                Thread.Sleep(TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond / 2, wait * TimeSpan.TicksPerSecond / Stopwatch.Frequency)));
            }
            if (-wait > Clock.Ticks(0.005))
            {
                writer.Late++;
            }
            var request = new ApplyStockEventsRequest { BatchId = k.ToString(CultureInfo.InvariantCulture) };
            var sourceTime = Timestamp.FromDateTime(DateTime.UtcNow);
            var events = new StockEvent[s.Batch];
            for (var i = 0; i < s.Batch; i++)
            {
                var record = position;
                position = (position + 1) % records;
                events[i] = new StockEvent
                {
                    WarehouseId = Catalog.Warehouses[record % Catalog.Warehouses.Length],
                    Sku = Catalog.Sku(prefix, record / Catalog.Warehouses.Length),
                    SourceTime = sourceTime,
                    Snapshot = new StockSnapshot { Quantities = new Quantities { OnHand = 100 + k % 100, Available = 90 + k % 90 } },
                };
            }
            request.Events.Add(events);
            // The send time goes into every snapshot of the batch, as late as possible.
            var version = Math.Max(Stopwatch.GetTimestamp(), lastVersion + 1);
            lastVersion = version;
            foreach (var e in events)
            {
                e.Snapshot.SourceVersion = version - offset;
            }
            sentAt.Enqueue(version);
            bySecond.Sent.Add((version - started) / (double)Stopwatch.Frequency, events.Length);
            call.RequestStream.WriteAsync(request, hardStop).GetAwaiter().GetResult();
            writer.Sent += events.Length;
        }
        call.RequestStream.CompleteAsync().GetAwaiter().GetResult();
        reader.GetAwaiter().GetResult();
    }

    /// <summary>
    /// The two seconds of sends before the one just finished were delivered to every watcher and
    /// none over the goal (the second just finished is left alone: its deliveries may be in flight).
    /// </summary>
    private static bool Settled(Settings s, Seconds bySecond, int currentSecond)
    {
        for (var b = currentSecond - 3; b < currentSecond - 1; b++)
        {
            if (b < 0 || bySecond.Sent[b] == 0 || bySecond.Delivered[b] < bySecond.Sent[b] * s.Watchers || bySecond.OverGoal[b] > 0)
            {
                return false;
            }
        }
        return true;
    }
}
