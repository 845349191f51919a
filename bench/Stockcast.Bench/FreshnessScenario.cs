using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Stockcast.Ledger.V1;
using Stockcast.Overlay.V1;

namespace Stockcast.Bench;

/// <summary>
/// The whole path: a warehouse's change sent to the connector, to the value on the screens of
/// --viewers overlay viewers (SSE, spread over --rooms rooms), for each --via and each total --rates.
///
///  - The measured changes: each room features one SKU at the via's warehouse (cn-shiphero for
///    "webhook", a signed ShipHero Inventory Update per change, as a warehouse sends it; cn-push for
///    "push", a one-record canonical push). Each room's SKU changes --room-rate times a second, to
///    top - k for its change k, so the value says which change a viewer got.
///  - The rest of the rate: canonical pushes of --batch records each, of other SKUs at the push
///    warehouse, paced on a thread of their own, so the connector, the ledger and the overlay's
///    ledger feed carry the whole rate while the viewers watch a few SKUs of it (as in a live room).
///
/// Per measured change: send (this process) → the ledger's Watch (one in this process, filtered to
/// the rooms' SKUs: the connector and the ledger) → each viewer's arrival (the overlay). Also the
/// sending call (the connector answers after the ledger's acknowledgement). Every measured value must
/// reach every viewer and every background record must be answered 200 and applied (checked, reported).
/// An untimed run of the first source and rate comes first ("warmup_" results, at most 10 s).
/// </summary>
public static class FreshnessScenario
{
    public sealed record Settings(string[] Via, int[] Rates, int Viewers, int Rooms, double RoomRate, int Batch, double Seconds, double Warmup, double DrainSeconds,
        int BackgroundSkus, string WebhookWarehouse, string WebhookMarket, string PushWarehouse, string PushMarket, string Secret)
    {
        public static Settings From(BenchArgs a) => new(
            a.Str("via", "webhook,push").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            [.. a.Str("rates", "1000,10000").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(r => int.Parse(r, CultureInfo.InvariantCulture))],
            a.Int("viewers", 1000), a.Int("rooms", 10), a.Double("room-rate", 5), a.Int("batch", 100), a.Double("seconds", 10), a.Double("warmup", 3),
            a.Double("drain-seconds", 30), a.Int("background-skus", 5000),
            a.Str("webhook-warehouse", "cn-shiphero"), a.Str("webhook-market", "US"), a.Str("push-warehouse", "cn-push"), a.Str("push-market", "DE"),
            a.Str("secret", Environment.GetEnvironmentVariable("STOCKCAST_BENCH_WEBHOOK_SECRET") ?? ""));

        public int Changes => (int)Math.Round(RoomRate * (Warmup + Seconds));

        public int WarmupChanges => (int)Math.Round(RoomRate * Warmup);
    }

    /// <summary>One run's measured changes: change k of room r is number k * rooms + r.</summary>
    private sealed class Run(int rooms, int changes)
    {
        public readonly long[] Sent = new long[rooms * changes];
        public readonly long[] Answered = new long[rooms * changes];
        public readonly long[] Watched = new long[rooms * changes];
        /// <summary>When the first change was due: the per-second timeline counts from it.</summary>
        public long Started;
        public long BackgroundRecords;
        public long BackgroundApplied;
        public long Failed;
        public long Late;
        public string LastFailure = "";
        public IReadOnlyList<(string Name, double Cores)> Cpu = [];

        public int Index(int k, int room) => (k * rooms) + room;

        public void Fail(string why)
        {
            Interlocked.Increment(ref Failed);
            LastFailure = why;
        }
    }

    public static async Task RunAsync(Settings s, Ledger ledger, ConnectorUnderTest connector, OverlayUnderTest overlay, Results results, CpuMeter cpu)
    {
        if (s.Via.Any(v => v is not ("webhook" or "push")) || s.Rates.Any(r => r is < 1 or > 50_000) || s.Viewers is < 1 or > 15_000 || s.Rooms is < 1 or > 100
            || s.RoomRate is <= 0 or > 10 || s.Batch is < 1 or > 1000 || s.Seconds <= 0)
        {
            throw new ArgumentException("--via webhook|push; --rates 1-50000 events/s; --viewers 1-15000; --rooms 1-100; --room-rate up to 10/s (a room sends at most 10 frames/s); --batch 1-1000");
        }
        if (s.Via.Contains("webhook") && s.Secret.Length < 16)
        {
            throw new ArgumentException("--via webhook needs --secret (or STOCKCAST_BENCH_WEBHOOK_SECRET)");
        }
        using var hardStop = new CancellationTokenSource(TimeSpan.FromSeconds(((s.Via.Length * s.Rates.Length) + 1) * (s.Warmup + s.Seconds + (2 * s.DrainSeconds) + 180)));
        var cancel = hardStop.Token;
        var endPoint = new IPEndPoint(IPAddress.Parse(overlay.HttpBase.Host), overlay.HttpBase.Port);
        var tag = (DateTimeOffset.UtcNow.ToUnixTimeSeconds() % 1_000_000).ToString("D6", CultureInfo.InvariantCulture);
        var background = Enumerable.Range(0, s.BackgroundSkus).Select(i => $"PATHBG{tag}-{i:D5}").ToArray();
        // Source versions, rising across both sending threads; the background records' figures, rising
        // across runs (a figure a SKU already holds would be answered "unchanged", not applied).
        var version = new[] { DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000 };
        long NextVersion() => Interlocked.Increment(ref version[0]);
        var units = new long[1];
        (string, long, long) NextBackground()
        {
            var next = Interlocked.Increment(ref units[0]);
            return (background[next % background.Length], next, NextVersion());
        }
        // First an untimed run of the first source and rate ("warmup_" results): a connector and an
        // overlay fresh from start run their first seconds of this load on unoptimised code.
        var runs = s.Via.SelectMany(via => s.Rates, (via, rate) => (Via: via, Rate: rate, Key: $"{via}_{rate}_")).ToList();
        results.Add("rooms", s.Rooms);
        results.Add("room_rate", s.RoomRate, "F0");
        results.Add("batch", s.Batch);
        runs.Insert(0, runs[0] with { Key = "warmup_" + runs[0].Key });
        foreach (var (via, rate, key) in runs)
        {
            var (warehouse, market) = via == "webhook" ? (s.WebhookWarehouse, s.WebhookMarket) : (s.PushWarehouse, s.PushMarket);
            Console.WriteLine($"freshness: --- {via}, {rate} events/s in all, {s.Viewers} viewers on {s.Rooms} rooms, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
            var rooms = Enumerable.Range(0, s.Rooms).Select(r => $"path-{tag}-{key.Replace('_', '-')}{r:D2}").ToArray();
            var skus = rooms.Select(r => "PATH" + r[5..].ToUpperInvariant()).ToArray();
            await LedgerSeed.PopulateAsync(ledger, warehouse, skus, cancel);
            // The rooms' SKUs at FanoutScenario.FirstValue, which the set-up probes wait for.
            foreach (var sku in skus)
            {
                await SendAsync(connector, Change(connector, via, warehouse, s.Secret, sku, FanoutScenario.FirstValue, NextVersion()), cancel);
            }
            var tokens = new string[s.Rooms];
            for (var r = 0; r < s.Rooms; r++)
            {
                await overlay.Client.UpsertRoomAsync(FanoutScenario.NewRoom(rooms[r], [skus[r]], market), overlay.AuthHeaders, cancellationToken: cancel);
                tokens[r] = (await overlay.Client.IssueTokenAsync(new IssueTokenRequest { RoomId = rooms[r] }, overlay.AuthHeaders, cancellationToken: cancel)).Token;
            }
            await FanoutScenario.WaitForRoomsAsync(endPoint, rooms, tokens, cancel);
            try
            {
                // The warm-up run is short whatever --seconds says (a soak is one long run after it).
                await MeasureAsync(key.StartsWith("warmup_", StringComparison.Ordinal) ? s with { Seconds = Math.Min(s.Seconds, 10) } : s, key, via, warehouse, rate, rooms, skus, tokens, NextBackground, NextVersion, endPoint, ledger, connector, results, cpu, cancel);
            }
            finally
            {
                foreach (var room in rooms)
                {
                    await overlay.Client.DeleteRoomAsync(new DeleteRoomRequest { RoomId = room }, overlay.AuthHeaders, cancellationToken: cancel);
                }
            }
        }
    }

    private static async Task MeasureAsync(Settings s, string key, string via, string warehouse, int rate, string[] rooms, string[] skus, string[] tokens,
        Func<(string Sku, long Units, long Version)> nextBackground, Func<long> nextVersion, IPEndPoint endPoint, Ledger ledger, ConnectorUnderTest connector, Results results, CpuMeter cpu, CancellationToken cancel)
    {
        var top = FanoutScenario.FirstValue - 1;
        var run = new Run(s.Rooms, s.Changes);
        var viewers = Enumerable.Range(0, s.Viewers).Select(i => new OverlayViewer(i % s.Rooms, top, s.Changes)).ToArray();
        using var stopReceiving = new CancellationTokenSource();
        var receiving = new List<Task>(viewers.Length);
        using var stopWatch = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var watchReady = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var watch = Task.Run(() => WatchAsync(ledger, skus, top, run, watchReady, stopWatch.Token), cancel);
        var requests = rooms.Select((room, r) => FanoutScenario.Request(endPoint, room, tokens[r], webSocket: false)).ToArray();
        try
        {
            await Parallel.ForEachAsync(viewers, new ParallelOptions { MaxDegreeOfParallelism = 100, CancellationToken = cancel }, async (viewer, ct) =>
            {
                if (!await viewer.OpenAsync(endPoint, requests[viewer.Room], webSocket: false, ct))
                {
                    throw new InvalidOperationException($"the overlay refused a viewer: {viewer.Failure}");
                }
                lock (receiving)
                {
                    receiving.Add(viewer.ReceiveAsync(stopReceiving.Token));
                }
            });
            if (!await FanoutScenario.WaitForAsync(() => viewers.All(v => v.FirstUpdateAt != 0), 60, cancel))
            {
                throw new TimeoutException("not every viewer was sent its room within 60 s");
            }
            await watchReady.Task.WaitAsync(TimeSpan.FromSeconds(30), cancel);

            var measuredRate = s.Rooms * s.RoomRate;
            var backgroundRequestsPerSecond = Math.Max(0, rate - measuredRate) / s.Batch;
            var calls = new List<Task>();
            var started = run.Started = Stopwatch.GetTimestamp();
            var changes = s.Changes * s.Rooms;
            var measuring = Paced("measured changes", changes, measuredRate, started, run, j =>
            {
                var (k, r) = Math.DivRem(j, s.Rooms);
                if (j == s.WarmupChanges * s.Rooms)
                {
                    cpu.Start();
                }
                run.Sent[j] = Stopwatch.GetTimestamp();
                var request = Change(connector, via, warehouse, s.Secret, skus[r], top - k, nextVersion());
                lock (calls)
                {
                    calls.Add(AnswerAsync(connector, request, run, j, cancel));
                }
            }, cancel);
            var backgroundRequests = (int)(backgroundRequestsPerSecond * (s.Warmup + s.Seconds));
            var loading = backgroundRequests == 0 ? Task.CompletedTask : Paced("background pushes", backgroundRequests, backgroundRequestsPerSecond, started, run, _ =>
            {
                var records = Enumerable.Range(0, s.Batch).Select(_ => nextBackground()).ToList();
                var request = connector.PushRequest(s.PushWarehouse, ConnectorUnderTest.Snapshots(records));
                lock (calls)
                {
                    calls.Add(BackgroundAsync(connector, request, s.Batch, run, cancel));
                }
            }, cancel);
            await Task.WhenAll(measuring, loading);
            run.Cpu = cpu.Stop();
            Task[] answered;
            lock (calls)
            {
                answered = [.. calls];
            }
            await Task.WhenAll(answered);
            var drained = await FanoutScenario.WaitForAsync(() => viewers.All(v => Volatile.Read(ref v.Received[s.Changes - 1]) != 0), s.DrainSeconds, cancel);
            Report(s, key, rate, run, viewers, drained, results);
        }
        finally
        {
            foreach (var viewer in viewers)
            {
                viewer.Reset();
            }
            await stopReceiving.CancelAsync();
            await stopWatch.CancelAsync();
            await Task.WhenAll(receiving);
            await watch;
        }
    }

    /// <summary>Item i at start + i / perSecond on a thread of its own (its timing does not wait for the busy pool); one more than 5 ms late is counted.</summary>
    private static Task Paced(string name, int count, double perSecond, long started, Run run, Action<int> send, CancellationToken cancel)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        new Thread(() =>
        {
            try
            {
                for (var i = 0; i < count && !cancel.IsCancellationRequested; i++)
                {
                    var due = started + Clock.Ticks(i / perSecond);
                    long wait;
                    while ((wait = due - Stopwatch.GetTimestamp()) > 0)
                    {
                        Thread.Sleep(TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond / 2, wait * TimeSpan.TicksPerSecond / Stopwatch.Frequency)));
                    }
                    if (Stopwatch.GetTimestamp() - due > Clock.Ticks(0.005))
                    {
                        Interlocked.Increment(ref run.Late);
                    }
                    send(i);
                }
                done.TrySetResult();
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
            }
        })
        { IsBackground = true, Name = name }.Start();
        return done.Task;
    }

    private static HttpRequestMessage Change(ConnectorUnderTest connector, string via, string warehouse, string secret, string sku, long units, long version) => via == "webhook"
        ? connector.ShipHeroRequest(warehouse, secret, ShipHero.InventoryUpdate(sku, units, units))
        : connector.PushRequest(warehouse, ConnectorUnderTest.Snapshots([(sku, units, version)]));

    /// <summary>Sends the request; the body of its 200 answer, or an exception naming what the connector answered.</summary>
    private static async Task<byte[]> SendAsync(ConnectorUnderTest connector, HttpRequestMessage request, CancellationToken cancel)
    {
        using (request)
        {
            using var response = await connector.Http.SendAsync(request, cancel);
            var body = await response.Content.ReadAsByteArrayAsync(cancel);
            return response.StatusCode == HttpStatusCode.OK
                ? body
                : throw new InvalidOperationException($"the connector answered {(int)response.StatusCode} {Encoding.UTF8.GetString(body)}");
        }
    }

    private static async Task AnswerAsync(ConnectorUnderTest connector, HttpRequestMessage request, Run run, int j, CancellationToken cancel)
    {
        try
        {
            await SendAsync(connector, request, cancel);
            run.Answered[j] = Stopwatch.GetTimestamp();
        }
        catch (Exception ex) when (ex is InvalidOperationException or HttpRequestException)
        {
            run.Fail(ex.Message);
        }
    }

    private static async Task BackgroundAsync(ConnectorUnderTest connector, HttpRequestMessage request, int records, Run run, CancellationToken cancel)
    {
        Interlocked.Add(ref run.BackgroundRecords, records);
        try
        {
            Interlocked.Add(ref run.BackgroundApplied, ConnectorUnderTest.Applied(await SendAsync(connector, request, cancel)));
        }
        catch (Exception ex) when (ex is InvalidOperationException or HttpRequestException)
        {
            run.Fail(ex.Message);
        }
    }

    /// <summary>Notes when each measured change came out of the ledger's Watch.</summary>
    private static Task WatchAsync(Ledger ledger, string[] skus, long top, Run run, TaskCompletionSource ready, CancellationToken stop)
    {
        var room = skus.Select((sku, r) => (sku, r)).ToDictionary(x => x.sku, x => x.r, StringComparer.Ordinal);
        return ledger.FollowAsync(new WatchRequest { Skus = { skus } }, (response, now) =>
        {
            foreach (var change in response.Changes)
            {
                var k = top - change.Record.Quantities.OnHand;
                if (k >= 0 && k < run.Sent.Length / skus.Length && room.TryGetValue(change.Record.Sku, out var r))
                {
                    run.Watched[run.Index((int)k, r)] = now;
                }
            }
        }, ready, stop);
    }

    private static void Report(Settings s, string key, int rate, Run run, OverlayViewer[] viewers, bool drained, Results results)
    {
        var capacity = viewers.Length * (s.Changes - s.WarmupChanges);
        var (whole, overlayHop) = (new Latencies(capacity), new Latencies(capacity));
        var (ledgerHop, call) = (new Latencies(run.Sent.Length), new Latencies(run.Sent.Length));
        var worst = new Timeline(s.Warmup + s.Seconds); // the worst change → screen per second the change was sent in
        long delivered = 0;
        for (var k = s.WarmupChanges; k < s.Changes; k++)
        {
            for (var r = 0; r < s.Rooms; r++)
            {
                var j = run.Index(k, r);
                if (run.Watched[j] != 0)
                {
                    ledgerHop.Add(run.Watched[j] - run.Sent[j]);
                }
                if (run.Answered[j] != 0)
                {
                    call.Add(run.Answered[j] - run.Sent[j]);
                }
            }
        }
        foreach (var v in viewers)
        {
            for (var k = s.WarmupChanges; k < s.Changes; k++)
            {
                var (at, j) = (v.Received[k], run.Index(k, v.Room));
                if (at == 0)
                {
                    continue;
                }
                delivered++;
                whole.Add(at - run.Sent[j]);
                worst.Max((run.Sent[j] - run.Started) / (double)Stopwatch.Frequency, at - run.Sent[j]);
                if (run.Watched[j] != 0)
                {
                    overlayHop.Add(Math.Max(0, at - run.Watched[j]));
                }
            }
        }
        var (w, l, o, c) = (Latencies.Summarize([whole]), Latencies.Summarize([ledgerHop]), Latencies.Summarize([overlayHop]), Latencies.Summarize([call]));
        results.Add(key + "rate", rate);
        results.Add(key + "viewers", viewers.Length);
        results.Add(key + "measured_changes", (s.Changes - s.WarmupChanges) * s.Rooms);
        results.AddPercentiles(key, w, "F1", 50, 99);
        results.Add(key + "max_ms", w.MaxMs, "F1");
        results.AddPercentiles(key + "to_watch_", l, "F1", 50, 99);
        results.AddPercentiles(key + "watch_to_viewer_", o, "F1", 50, 99);
        results.AddPercentiles(key + "call_", c, "F1", 50, 99);
        results.Add(key + "timeline_max_ms", worst.Format((int)Math.Ceiling(s.Warmup + s.Seconds), t => (t * 1000.0 / Stopwatch.Frequency).ToString("F0", CultureInfo.InvariantCulture)));
        results.Add(key + "delivered", delivered);
        results.Add(key + "expected", capacity);
        results.Add(key + "delivered_fraction", capacity == 0 ? 0 : (double)delivered / capacity, "F4");
        results.Add(key + "out_of_order", viewers.Sum(v => v.OutOfOrder));
        results.Add(key + "drained", drained ? "yes" : "no");
        results.Add(key + "background_records", run.BackgroundRecords);
        results.Add(key + "background_applied", run.BackgroundApplied);
        results.Add(key + "failed", run.Failed);
        results.Add(key + "late_sends", run.Late);
        results.AddCpu(run.Cpu, key);
        if (run.Failed > 0)
        {
            Console.Error.WriteLine($"  {key}: {run.Failed} requests failed, the last: {run.LastFailure}");
        }
    }
}
