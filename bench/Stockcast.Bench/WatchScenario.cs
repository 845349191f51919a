using System.Collections.Concurrent;
using System.Diagnostics;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Stockcast.Ledger.V1;

namespace Stockcast.Bench;

/// <summary>
/// Watch delivery latency. Opens N Watch streams (no filter, start_revision 0), waits until each
/// has its first header, then a writer paces snapshot batches at a fixed rate on one
/// ApplyStockEvents stream. The writer puts Stopwatch.GetTimestamp() (this process's monotonic
/// clock) into each snapshot's source_version just before sending; every watcher subtracts the
/// delivered change's record.source_version from its receive time. That is end-to-end: client
/// send, validation, the Redis script, the pub/sub wake-up, the feed's read of the log, the
/// fan-out to every stream and the client's receive.
/// </summary>
public static class WatchScenario
{
    private const long MaxSourceVersion = (1L << 53) - 1;

    public sealed record Settings(int Watchers, int Rate, int Batch, double Seconds, int Skus, string Prefix, double DrainSeconds)
    {
        public static Settings From(BenchArgs a) => new(
            a.Int("watchers", 100), a.Int("rate", 5000), a.Int("batch", 50), a.Double("seconds", 10), a.Int("skus", 5000),
            a.Str("sku-prefix", "WCH-"), a.Double("drain-seconds", 30));
    }

    private sealed class Watcher(int capacity)
    {
        public readonly Latencies Latency = new(capacity);
        public long Delivered;
        public long Header = -1;
        public long FirstHeader = -1;
        public Exception? Error;
    }

    public static async Task RunAsync(Settings s, Ledger ledger, Results results, CpuMeter cpu)
    {
        // source_version must be > 0, grow per record and stay <= 2^53 - 1. The raw monotonic
        // timestamp does while the machine has been up for less than ~104 days (ns ticks); past
        // that, shift it and use SKUs of this process only, so no stored version is newer.
        var offset = 0L;
        var prefix = s.Prefix;
        if (Stopwatch.GetTimestamp() > MaxSourceVersion / 2)
        {
            offset = Stopwatch.GetTimestamp() - 1;
            prefix = $"{s.Prefix}{Environment.ProcessId}-";
        }
        var batches = (int)Math.Round(s.Seconds * s.Rate / s.Batch);
        var interval = TimeSpan.FromSeconds((double)s.Batch / s.Rate);
        var records = s.Skus * Catalog.Warehouses.Length;
        Console.WriteLine($"watch: {s.Watchers} watchers; writer sends {batches} batches of {s.Batch} every {interval.TotalMilliseconds:F1} ms ({s.Rate} events/s for {s.Seconds} s) over {records} records");

        using var hardStop = new CancellationTokenSource(TimeSpan.FromSeconds(s.Seconds + s.DrainSeconds + 60));
        using var stopWatchers = CancellationTokenSource.CreateLinkedTokenSource(hardStop.Token);
        var expected = batches * s.Batch;
        var watchers = Enumerable.Range(0, s.Watchers).Select(_ => new Watcher(expected + 1024)).ToArray();
        var readyCount = 0;
        var allReady = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = watchers.Select(w => Task.Run(async () =>
        {
            try
            {
                using var call = ledger.Client().Watch(new WatchRequest { StartRevision = 0, ProgressIntervalSeconds = 1 }, cancellationToken: stopWatchers.Token);
                await foreach (var response in call.ResponseStream.ReadAllAsync(stopWatchers.Token))
                {
                    var now = Stopwatch.GetTimestamp();
                    foreach (var change in response.Changes)
                    {
                        w.Latency.Add(now - (change.Record.SourceVersion + offset));
                    }
                    w.Delivered += response.Changes.Count;
                    Volatile.Write(ref w.Header, response.HeaderRevision);
                    if (w.FirstHeader < 0)
                    {
                        w.FirstHeader = response.HeaderRevision;
                        if (Interlocked.Increment(ref readyCount) == watchers.Length)
                        {
                            allReady.TrySetResult();
                        }
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

        // Paced writer: batch k is due at start + k * interval; a late batch is sent at once.
        cpu.Start();
        var applied = 0L;
        var notApplied = 0L;
        var finalRevision = 0L;
        var late = 0;
        var ackLatency = new Latencies(batches);
        var sentAt = new ConcurrentQueue<long>();
        var started = Stopwatch.GetTimestamp();
        using (var call = ledger.Client().ApplyStockEvents(ledger.WriteHeaders, cancellationToken: hardStop.Token))
        {
            var reader = Task.Run(async () =>
            {
                await foreach (var ack in call.ResponseStream.ReadAllAsync(hardStop.Token))
                {
                    if (sentAt.TryDequeue(out var at))
                    {
                        ackLatency.Add(Stopwatch.GetTimestamp() - at);
                    }
                    foreach (var result in ack.Results)
                    {
                        if (result.Outcome == EventOutcome.Applied)
                        {
                            applied++;
                        }
                        else
                        {
                            notApplied++;
                        }
                    }
                    finalRevision = Math.Max(finalRevision, ack.Revision);
                }
            });
            var position = 0;
            var lastVersion = 0L;
            for (var k = 0; k < batches; k++)
            {
                var due = started + (long)(k * interval.TotalSeconds * Stopwatch.Frequency);
                var wait = due - Stopwatch.GetTimestamp();
                if (wait > 0)
                {
                    await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency), hardStop.Token);
                }
                else if (wait < -Stopwatch.Frequency / 1000 * 5)
                {
                    late++;
                }
                var request = new ApplyStockEventsRequest { BatchId = k.ToString(System.Globalization.CultureInfo.InvariantCulture) };
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
                await call.RequestStream.WriteAsync(request, hardStop.Token);
            }
            await call.RequestStream.CompleteAsync();
            await reader;
        }
        var writeSeconds = Clock.Seconds(started);

        // Every watcher must reach the writer's last revision; bounded by the drain deadline.
        var drainStarted = Stopwatch.GetTimestamp();
        while (watchers.Any(w => Volatile.Read(ref w.Header) < finalRevision && w.Error is null) && Clock.Seconds(drainStarted) < s.DrainSeconds)
        {
            await Task.Delay(5, hardStop.Token);
        }
        var drainSeconds = Clock.Seconds(drainStarted);
        var split = cpu.Stop();
        await stopWatchers.CancelAsync();
        await Task.WhenAll(tasks);

        var latency = Latencies.Summarize(watchers.Select(w => w.Latency));
        var delivered = watchers.Sum(w => w.Delivered);
        var errors = watchers.Count(w => w.Error is not null);
        results.Add("watchers", s.Watchers);
        results.Add("rate", s.Rate);
        results.Add("batch", s.Batch);
        results.Add("seconds", writeSeconds, "F1");
        results.Add("events_applied", applied);
        results.Add("events_not_applied", notApplied);
        results.Add("writer_late_batches", late);
        results.Add("delivered", delivered);
        results.Add("delivered_expected", applied * s.Watchers);
        results.Add("delivered_complete", delivered == applied * s.Watchers && errors == 0 ? "yes" : "NO");
        results.Add("watch_errors", errors);
        results.Add("drain_ms", drainSeconds * 1000, "F0");
        results.Add("deliveries_per_s", delivered / (writeSeconds + drainSeconds));
        results.Add("p50_ms", latency.Ms(50), "F2");
        results.Add("p90_ms", latency.Ms(90), "F2");
        results.Add("p99_ms", latency.Ms(99), "F2");
        results.Add("p999_ms", latency.Ms(99.9), "F2");
        results.Add("max_ms", latency.MaxMs, "F2");
        var ack = Latencies.Summarize([ackLatency]);
        results.Add("ack_p50_ms", ack.Ms(50), "F2");
        results.Add("ack_p99_ms", ack.Ms(99), "F2");
        results.AddCpu(split);
        foreach (var w in watchers.Where(w => w.Error is not null).Take(3))
        {
            Console.Error.WriteLine($"  watcher failed: {w.Error!.GetType().Name}: {w.Error.Message}");
        }
    }
}
