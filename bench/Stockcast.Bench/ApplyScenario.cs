using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Stockcast.Ledger.V1;

namespace Stockcast.Bench;

/// <summary>
/// ApplyStockEvents throughput. Several bidi streams each own a disjoint slice of the records
/// (SKUs x warehouses) and send snapshot batches, a few batches in flight per stream. A first,
/// untimed pass creates every record (version 1); an untimed warm-up and then the timed run cycle
/// over the slice with a source_version that grows by one per pass, so every event is newer than
/// what is stored and should be APPLIED. Only APPLIED results from the acks are counted.
/// </summary>
public static class ApplyScenario
{
    public sealed record Settings(int Streams, int Batch, int Skus, double Seconds, double Warmup, int InFlight, string Prefix, bool Watch, double CatchUpSeconds)
    {
        public static Settings From(BenchArgs a) => new(
            a.Int("streams", 6), a.Int("batch", 500), a.Int("skus", 20_000), a.Double("seconds", 10), a.Double("warmup", 10),
            a.Int("in-flight", 2), a.Str("sku-prefix", "SKU-"), a.Str("watch", "yes") == "yes", a.Double("catch-up-seconds", 120));
    }

    /// <summary>
    /// One Watch stream open through the whole scenario: how far behind the writes a watcher
    /// falls under bulk load. Latency is receive wall-clock time minus record.source_time, which
    /// the writer sets to the wall-clock time it built the batch (same process).
    /// </summary>
    private sealed class BulkWatcher
    {
        public readonly Latencies Latency = new(1 << 20);
        public long Header = -1;
        public long Delivered;
        public long FromMicros = long.MaxValue;
        public Task Task = Task.CompletedTask;

        public static long NowMicros() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;

        public void Start(Ledger ledger, TaskCompletionSource ready, CancellationToken stop)
        {
            Task = Task.Run(async () =>
            {
                try
                {
                    var request = new WatchRequest { StartRevision = 0, ProgressIntervalSeconds = 1 };
                    using var call = ledger.Invoker().AsyncServerStreamingCall(WatchLite.Method, null, new CallOptions(ledger.AuthHeaders, cancellationToken: stop), request);
                    await foreach (var response in call.ResponseStream.ReadAllAsync(stop))
                    {
                        var now = NowMicros();
                        var from = Volatile.Read(ref FromMicros);
                        foreach (var sourceMicros in response.SourceTimesMicros)
                        {
                            if (sourceMicros >= from)
                            {
                                Latency.Add((now - sourceMicros) * Stopwatch.Frequency / 1_000_000);
                            }
                        }
                        Delivered += response.SourceTimesMicros.Count;
                        Volatile.Write(ref Header, response.HeaderRevision);
                        ready.TrySetResult();
                    }
                }
                catch (Exception ex) when (stop.IsCancellationRequested && ex is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
                {
                    // Stopped by us.
                }
                catch (Exception ex)
                {
                    ready.TrySetException(ex);
                    throw;
                }
            }, stop);
        }
    }

    /// <summary>Where a stream is in its slice: the next record and the version it gets.</summary>
    private sealed class Cursor(int[] slice)
    {
        public int[] Slice { get; } = slice;
        public int Position;
        public long Version = 1;
    }

    private sealed class Outcome
    {
        public long Applied;
        public long Other;
        public long Events;
        public long Batches;
        public long Revision;
        public readonly Latencies AckLatency = new(4096);
    }

    public static async Task RunAsync(Settings s, Ledger ledger, Results results, CpuMeter cpu)
    {
        var records = s.Skus * Catalog.Warehouses.Length;
        var cursors = Enumerable.Range(0, s.Streams)
            .Select(i => new Cursor([.. Enumerable.Range(0, records).Where(r => r % s.Streams == i)]))
            .ToArray();
        Console.WriteLine($"apply: {s.Streams} streams x {s.InFlight} batches in flight, {s.Batch} snapshots per batch, {s.Skus} SKUs x {Catalog.Warehouses.Length} warehouses = {records} records");
        using var hardStop = new CancellationTokenSource(TimeSpan.FromSeconds(180 + s.Warmup + s.Seconds + s.CatchUpSeconds));
        using var stopWatcher = CancellationTokenSource.CreateLinkedTokenSource(hardStop.Token);
        var watcher = new BulkWatcher();
        if (s.Watch)
        {
            var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            watcher.Start(ledger, ready, stopWatcher.Token);
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(30), hardStop.Token);
        }

        // Untimed populate pass: creates every record (the creating path also indexes it).
        var started = Stopwatch.GetTimestamp();
        var populate = await Task.WhenAll(cursors.Select(c => DriveAsync(ledger, s, c, onePass: true, long.MaxValue, null, hardStop.Token)));
        var populateSeconds = Clock.Seconds(started);
        var populated = populate.Sum(o => o.Applied);
        Console.WriteLine($"  populate: {populated} records applied in {populateSeconds:F1} s ({populated / populateSeconds:F0} events/s)");
        if (populated != records)
        {
            throw new InvalidOperationException($"populate applied {populated} of {records} records ({populate.Sum(o => o.Other)} not applied)");
        }

        // Untimed warm-up on the update path, then the timed run from where it stopped.
        var warmup = 0.0;
        if (s.Warmup > 0)
        {
            started = Stopwatch.GetTimestamp();
            var warm = await Task.WhenAll(cursors.Select(c => DriveAsync(ledger, s, c, onePass: false, started + Clock.Ticks(s.Warmup), null, hardStop.Token)));
            warmup = warm.Sum(o => o.Applied) / Clock.Seconds(started);
            Console.WriteLine($"  warm-up: {warmup:F0} events/s for {s.Warmup} s");
        }

        var timeline = new Timeline(s.Seconds);
        cpu.Start();
        Volatile.Write(ref watcher.FromMicros, BulkWatcher.NowMicros());
        var headerAtStart = Volatile.Read(ref watcher.Header);
        started = Stopwatch.GetTimestamp();
        var deadline = started + Clock.Ticks(s.Seconds);
        var run = await Task.WhenAll(cursors.Select(c => DriveAsync(ledger, s, c, onePass: false, deadline, timeline, hardStop.Token, started)));
        var seconds = Clock.Seconds(started);
        var split = cpu.Stop();
        var finalRevision = run.Max(o => o.Revision);

        // How long the open Watch stream needs to reach the last applied revision.
        var catchUp = Stopwatch.GetTimestamp();
        var headerAtEnd = Volatile.Read(ref watcher.Header);
        var lagAtEnd = finalRevision - headerAtEnd;
        while (s.Watch && Volatile.Read(ref watcher.Header) < finalRevision && !watcher.Task.IsCompleted && Clock.Seconds(catchUp) < s.CatchUpSeconds)
        {
            await Task.Delay(10, hardStop.Token);
        }
        var catchUpSeconds = Clock.Seconds(catchUp);
        var caughtUp = Volatile.Read(ref watcher.Header) >= finalRevision;
        await stopWatcher.CancelAsync();
        await watcher.Task;

        var applied = run.Sum(o => o.Applied);
        var ack = Latencies.Summarize(run.Select(o => o.AckLatency));
        results.Add("streams", s.Streams);
        results.Add("batch", s.Batch);
        results.Add("in_flight", s.InFlight);
        results.Add("records", records);
        results.Add("populate_events_per_s", populated / populateSeconds);
        results.Add("warmup_events_per_s", warmup);
        results.Add("seconds", seconds, "F1");
        results.Add("events_sent", run.Sum(o => o.Events));
        results.Add("events_applied", applied);
        results.Add("events_not_applied", run.Sum(o => o.Other));
        results.Add("batches", run.Sum(o => o.Batches));
        results.Add("events_per_s", applied / seconds);
        results.Add("timeline_k", timeline.Format((int)Math.Ceiling(seconds), n => (n / 1000.0).ToString("F1", CultureInfo.InvariantCulture)));
        results.Add("ack_p50_ms", ack.Ms(50), "F1");
        results.Add("ack_p99_ms", ack.Ms(99), "F1");
        results.Add("ack_max_ms", ack.MaxMs, "F1");
        results.Add("revision", finalRevision);
        if (s.Watch)
        {
            var lag = Latencies.Summarize([watcher.Latency]);
            results.Add("watch_p50_ms", lag.Ms(50), "F0");
            results.Add("watch_p99_ms", lag.Ms(99), "F0");
            results.Add("watch_max_ms", lag.MaxMs, "F0");
            results.Add("watch_lag_revisions_at_end", lagAtEnd);
            results.Add("watch_feed_revisions_per_s", (headerAtEnd - headerAtStart) / seconds);
            results.Add("watch_catch_up_ms", catchUpSeconds * 1000, "F0");
            results.Add("watch_caught_up", caughtUp ? "yes" : "NO");
        }
        results.AddCpu(split);
    }

    /// <summary>One bidi stream over one slice; stops sending at the deadline (or after one pass) and drains the acks.</summary>
    private static async Task<Outcome> DriveAsync(Ledger ledger, Settings s, Cursor cursor, bool onePass, long deadline, Timeline? timeline,
        CancellationToken hardStop, long timelineStart = 0)
    {
        var outcome = new Outcome();
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(hardStop);
        using var call = ledger.Client().ApplyStockEvents(ledger.AuthHeaders, cancellationToken: hardStop);
        using var slots = new SemaphoreSlim(s.InFlight);
        var sentAt = new ConcurrentQueue<long>();
        var reader = Task.Run(async () =>
        {
            try
            {
                await foreach (var ack in call.ResponseStream.ReadAllAsync(hardStop))
                {
                    var now = Stopwatch.GetTimestamp();
                    if (sentAt.TryDequeue(out var at))
                    {
                        outcome.AckLatency.Add(now - at);
                    }
                    var applied = 0;
                    foreach (var result in ack.Results)
                    {
                        if (result.Outcome == EventOutcome.Applied)
                        {
                            applied++;
                        }
                    }
                    outcome.Applied += applied;
                    outcome.Other += ack.Results.Count - applied;
                    timeline?.Add((now - timelineStart) / (double)Stopwatch.Frequency, applied);
                    outcome.Revision = Math.Max(outcome.Revision, ack.Revision);
                    slots.Release();
                }
            }
            catch
            {
                await failed.CancelAsync();
                throw;
            }
        }, hardStop);

        try
        {
            var finished = false;
            while (!finished && Stopwatch.GetTimestamp() < deadline)
            {
                await slots.WaitAsync(failed.Token);
                var request = new ApplyStockEventsRequest { BatchId = outcome.Batches.ToString(CultureInfo.InvariantCulture) };
                var sourceTime = Timestamp.FromDateTime(DateTime.UtcNow);
                for (var k = 0; k < s.Batch && !finished; k++)
                {
                    var record = cursor.Slice[cursor.Position];
                    var version = cursor.Version;
                    var onHand = (record * 7 + version * 13) % 1000;
                    request.Events.Add(new StockEvent
                    {
                        WarehouseId = Catalog.Warehouses[record % Catalog.Warehouses.Length],
                        Sku = Catalog.Sku(s.Prefix, record / Catalog.Warehouses.Length),
                        SourceTime = sourceTime,
                        Snapshot = new StockSnapshot
                        {
                            SourceVersion = version,
                            Quantities = new Quantities { OnHand = onHand, Available = onHand * 9 / 10, Reserved = onHand / 10, Inbound = version % 50 },
                        },
                    });
                    if (++cursor.Position == cursor.Slice.Length)
                    {
                        cursor.Position = 0;
                        cursor.Version++;
                        finished = onePass;
                    }
                }
                sentAt.Enqueue(Stopwatch.GetTimestamp());
                await call.RequestStream.WriteAsync(request, failed.Token);
                outcome.Events += request.Events.Count;
                outcome.Batches++;
            }
            await call.RequestStream.CompleteAsync();
        }
        catch (OperationCanceledException) when (failed.IsCancellationRequested && !hardStop.IsCancellationRequested)
        {
            // The ack reader failed: awaiting it below throws why.
        }
        await reader;
        return outcome;
    }
}
