using System.Collections.Concurrent;
using System.Diagnostics;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Stockcast.Ledger.V1;

namespace Stockcast.Bench;

/// <summary>
/// ApplyStockEvents throughput. Several bidi streams each own a disjoint slice of the records
/// (SKUs x warehouses) and send snapshot batches, a few batches in flight per stream. A first,
/// untimed pass creates every record (version 1); the timed run then cycles over the slice with
/// a source_version that grows by one per pass, so every event is newer than what is stored and
/// should be APPLIED. Only APPLIED results from the acks are counted.
/// </summary>
public static class ApplyScenario
{
    public sealed record Settings(int Streams, int Batch, int Skus, double Seconds, int InFlight, string Prefix)
    {
        public static Settings From(BenchArgs a) => new(
            a.Int("streams", 6), a.Int("batch", 500), a.Int("skus", 20_000), a.Double("seconds", 10), a.Int("in-flight", 2), a.Str("sku-prefix", "SKU-"));
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
        var slices = Enumerable.Range(0, s.Streams)
            .Select(i => Enumerable.Range(0, records).Where(r => r % s.Streams == i).ToArray())
            .ToArray();
        Console.WriteLine($"apply: {s.Streams} streams x {s.InFlight} batches in flight, {s.Batch} snapshots per batch, {s.Skus} SKUs x {Catalog.Warehouses.Length} warehouses = {records} records");

        // Untimed populate pass: creates every record (the creating path also indexes it).
        var hardStop = new CancellationTokenSource(TimeSpan.FromSeconds(120 + s.Seconds));
        var started = Stopwatch.GetTimestamp();
        var populate = await Task.WhenAll(slices.Select(slice => DriveAsync(ledger, s, slice, firstVersion: 1, onePass: true, deadline: long.MaxValue, hardStop.Token)));
        var populateSeconds = Clock.Seconds(started);
        var populated = populate.Sum(o => o.Applied);
        Console.WriteLine($"  populate: {populated} records applied in {populateSeconds:F1} s");
        if (populated != records)
        {
            throw new InvalidOperationException($"populate applied {populated} of {records} records ({populate.Sum(o => o.Other)} not applied)");
        }

        // Timed run.
        cpu.Start();
        started = Stopwatch.GetTimestamp();
        var deadline = started + (long)(s.Seconds * Stopwatch.Frequency);
        var run = await Task.WhenAll(slices.Select(slice => DriveAsync(ledger, s, slice, firstVersion: 2, onePass: false, deadline, hardStop.Token)));
        var seconds = Clock.Seconds(started);
        var split = cpu.Stop();

        var applied = run.Sum(o => o.Applied);
        var ack = Latencies.Summarize(run.Select(o => o.AckLatency));
        results.Add("streams", s.Streams);
        results.Add("batch", s.Batch);
        results.Add("records", records);
        results.Add("populate_events_per_s", populated / populateSeconds);
        results.Add("seconds", seconds, "F1");
        results.Add("events_sent", run.Sum(o => o.Events));
        results.Add("events_applied", applied);
        results.Add("events_not_applied", run.Sum(o => o.Other));
        results.Add("batches", run.Sum(o => o.Batches));
        results.Add("events_per_s", applied / seconds);
        results.Add("ack_p50_ms", ack.Ms(50), "F1");
        results.Add("ack_p99_ms", ack.Ms(99), "F1");
        results.Add("ack_max_ms", ack.MaxMs, "F1");
        results.Add("revision", run.Max(o => o.Revision));
        results.AddCpu(split);
    }

    /// <summary>One bidi stream over one slice; stops sending at the deadline (or after one pass) and drains the acks.</summary>
    private static async Task<Outcome> DriveAsync(Ledger ledger, Settings s, int[] slice, long firstVersion, bool onePass, long deadline, CancellationToken hardStop)
    {
        var outcome = new Outcome();
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(hardStop);
        using var call = ledger.Client().ApplyStockEvents(ledger.WriteHeaders, cancellationToken: hardStop);
        using var slots = new SemaphoreSlim(s.InFlight);
        var sentAt = new ConcurrentQueue<long>();
        var reader = Task.Run(() => ReadAcksAsync(call, outcome, slots, sentAt, failed, hardStop), hardStop);
        try
        {
            await SendAsync(call, s, slice, firstVersion, onePass, deadline, outcome, slots, sentAt, failed.Token);
            await call.RequestStream.CompleteAsync();
        }
        catch (OperationCanceledException) when (failed.IsCancellationRequested && !hardStop.IsCancellationRequested)
        {
            // The ack reader failed: its exception below says why.
        }
        await reader;
        return outcome;
    }

    private static async Task ReadAcksAsync(AsyncDuplexStreamingCall<ApplyStockEventsRequest, ApplyStockEventsResponse> call, Outcome outcome,
        SemaphoreSlim slots, ConcurrentQueue<long> sentAt, CancellationTokenSource failed, CancellationToken hardStop)
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
                foreach (var result in ack.Results)
                {
                    if (result.Outcome == EventOutcome.Applied)
                    {
                        outcome.Applied++;
                    }
                    else
                    {
                        outcome.Other++;
                    }
                }
                outcome.Revision = Math.Max(outcome.Revision, ack.Revision);
                slots.Release();
            }
        }
        catch
        {
            await failed.CancelAsync();
            throw;
        }
    }

    private static async Task SendAsync(AsyncDuplexStreamingCall<ApplyStockEventsRequest, ApplyStockEventsResponse> call, Settings s, int[] slice,
        long firstVersion, bool onePass, long deadline, Outcome outcome, SemaphoreSlim slots, ConcurrentQueue<long> sentAt, CancellationToken token)
    {
        var position = 0;
        var version = firstVersion;
        var finished = false;
        while (!finished && Stopwatch.GetTimestamp() < deadline)
        {
            await slots.WaitAsync(token);
            var request = new ApplyStockEventsRequest { BatchId = outcome.Batches.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            var sourceTime = Timestamp.FromDateTime(DateTime.UtcNow);
            for (var k = 0; k < s.Batch; k++)
            {
                var record = slice[position];
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
                if (++position == slice.Length)
                {
                    position = 0;
                    version++;
                    if (onePass)
                    {
                        finished = true;
                        break;
                    }
                }
            }
            sentAt.Enqueue(Stopwatch.GetTimestamp());
            await call.RequestStream.WriteAsync(request, token);
            outcome.Events += request.Events.Count;
            outcome.Batches++;
        }
    }
}
