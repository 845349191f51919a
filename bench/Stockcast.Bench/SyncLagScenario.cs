using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Stockcast.Ledger.V1;

namespace Stockcast.Bench;

/// <summary>
/// Sync lag: from a stock change at the source to the change arriving on a ledger Watch, at a paced
/// rate, cycling over --skus SKUs that exist in the ledger already (created untimed first). Every
/// change gets a unique (SKU, on hand) pair; the bench
/// notes its Stopwatch time just before sending it and the Watch (filtered to the warehouse, in
/// this same process) subtracts it on arrival. Three sources, one after another:
///
///  - sim: POST /sim/adjust on tools/warehouse-sim, whose ShipHero warehouse changes its stock
///    and posts the signed "Inventory Update" webhook to the connector; the connector verifies,
///    normalises and delivers it to the ledger; the ledger applies it and its Watch sends it out.
///    The simulator handles one change (and its webhook) at a time, as a warehouse's sender does.
///  - webhook: the same signed ShipHero webhook, sent by the bench itself (no simulator).
///  - push: a one-record canonical push (POST /v1/warehouses/{id}/stock).
///
/// Sends are open-loop: change k is due at start + k / rate whatever the answers do, so a slow
/// path shows as lag rather than as a lower rate (a send more than 5 ms late is counted). Changes
/// due in the first --warmup seconds are not measured. Also reported: the time of the call itself
/// (the sim's adjust returns once its webhook was answered, which the connector does after the
/// ledger's acknowledgement) and, split at record.source_time (the connector's receipt time for
/// ShipHero; the bench's own stamp for a push), send-to-receipt and receipt-to-Watch by wall clock:
/// for the simulator, the first part is its own queue and sending.
/// </summary>
public static class SyncLagScenario
{
    private const int SimInitialOnHand = 1000;

    public sealed record Settings(string[] Via, int Rate, int SimRate, double Seconds, double Warmup, int Skus, int MaxInFlight, double DrainSeconds,
        string SimUrl, string SimWarehouse, string SimSecret, string WebhookWarehouse, string WebhookSecret, string PushWarehouse)
    {
        public static Settings From(BenchArgs a) => new(
            a.Str("via", "sim,webhook,push").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            a.Int("rate", 200), a.Int("sim-rate", 50), a.Double("seconds", 10), a.Double("warmup", 5), a.Int("skus", 1000), a.Int("max-in-flight", 256), a.Double("drain-seconds", 30),
            a.Str("sim", ""), a.Str("sim-warehouse", "cn-sim"), a.Str("sim-secret", Environment.GetEnvironmentVariable("STOCKCAST_BENCH_SIM_SECRET") ?? ""),
            a.Str("webhook-warehouse", "cn-shiphero"), a.Str("secret", Environment.GetEnvironmentVariable("STOCKCAST_BENCH_WEBHOOK_SECRET") ?? ""),
            a.Str("push-warehouse", "cn-push"));
    }

    /// <summary>One source's run: what was sent, what arrived, how long each took.</summary>
    private sealed class Run(int capacity)
    {
        public readonly ConcurrentDictionary<string, (long SentAt, long SentMicros, bool Measured)> Pending = new(StringComparer.Ordinal);
        public readonly Latencies Lag = new(capacity);
        public readonly Latencies SendToReceipt = new(capacity);
        public readonly Latencies ReceiptToWatch = new(capacity);
        public readonly Latencies Call = new(capacity);
        public long Sent;
        public long Measured;
        public long Delivered;
        public long Late;
        public long Failed;
        public string LastFailure = "";
        public double SendSeconds;
        public IReadOnlyList<(string Name, double Cores)> Cpu = [];
    }

    public static async Task RunAsync(Settings s, Ledger ledger, ConnectorUnderTest connector, Results results, CpuMeter cpu)
    {
        if (s.Via.Any(v => v is not ("sim" or "webhook" or "push")))
        {
            throw new ArgumentException("--via: sim, webhook and/or push");
        }
        if (s.Via.Contains("sim") && (s.SimUrl.Length == 0 || s.SimSecret.Length < 16))
        {
            throw new ArgumentException("--via sim needs --sim URL and --sim-secret (or STOCKCAST_BENCH_SIM_SECRET)");
        }
        if (s.Via.Contains("webhook") && s.WebhookSecret.Length < 16)
        {
            throw new ArgumentException("--via webhook needs --secret (or STOCKCAST_BENCH_WEBHOOK_SECRET)");
        }
        using var sim = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = s.MaxInFlight, UseProxy = false })
        {
            BaseAddress = s.SimUrl.Length > 0 ? new Uri(s.SimUrl.TrimEnd('/') + "/") : null,
            Timeout = TimeSpan.FromSeconds(30),
        };
        foreach (var via in s.Via)
        {
            Console.WriteLine($"synclag {via}: {RateOf(s, via)} changes/s, {s.Warmup} s warm-up + {s.Seconds} s measured, over {s.Skus} SKUs");
            var run = await MeasureAsync(s, via, ledger, connector, sim, cpu);
            Report(s, via, run, results);
        }
    }

    private static async Task<Run> MeasureAsync(Settings s, string via, Ledger ledger, ConnectorUnderTest connector, HttpClient sim, CpuMeter cpu)
    {
        using var hardStop = new CancellationTokenSource(TimeSpan.FromSeconds(s.Warmup + s.Seconds + s.DrainSeconds + 60));
        var warehouse = via switch { "sim" => s.SimWarehouse, "webhook" => s.WebhookWarehouse, _ => s.PushWarehouse };
        var prefix = $"LAG-{via.ToUpperInvariant()}-";
        if (via == "sim")
        {
            await LoadSimScenarioAsync(s, sim, connector, prefix, hardStop.Token);
        }
        await LedgerSeed.PopulateAsync(ledger, warehouse, [.. Enumerable.Range(0, s.Skus).Select(i => Catalog.Sku(prefix, i))], hardStop.Token);
        var rate = RateOf(s, via);
        var run = new Run((int)(rate * (s.Seconds + 1)) + 1024);

        // The Watch, open (first header received) before the first change is sent.
        using var stopWatch = CancellationTokenSource.CreateLinkedTokenSource(hardStop.Token);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var watch = Task.Run(() => WatchAsync(ledger, warehouse, run, ready, stopWatch.Token), hardStop.Token);
        await ready.Task.WaitAsync(TimeSpan.FromSeconds(30), hardStop.Token);

        // Per SKU: how many changes the simulator has been asked for (its on hand is initial + that).
        var simChanges = new int[s.Skus];
        var versionBase = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        var calls = new List<Task>((int)(rate * (s.Warmup + s.Seconds)) + 16);
        using var inFlight = new SemaphoreSlim(s.MaxInFlight);
        var interval = 1.0 / rate;
        var total = (int)Math.Round(rate * (s.Warmup + s.Seconds));
        var firstMeasured = (int)Math.Round(rate * s.Warmup);

        // The paced sender, on a thread of its own so its timing does not depend on the busy pool.
        var started = Stopwatch.GetTimestamp();
        var sendingDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Send();
                sendingDone.TrySetResult();
            }
            catch (Exception ex)
            {
                sendingDone.TrySetException(ex);
            }
        })
        { IsBackground = true, Name = "paced changes" };
        thread.Start();
        await sendingDone.Task.WaitAsync(hardStop.Token);
        await Task.WhenAll(calls).WaitAsync(hardStop.Token);

        // Every change that was accepted must arrive; bounded by the drain deadline.
        var drainStarted = Stopwatch.GetTimestamp();
        while (!run.Pending.IsEmpty && !watch.IsCompleted && Clock.Seconds(drainStarted) < s.DrainSeconds)
        {
            await Task.Delay(5, hardStop.Token);
        }
        await stopWatch.CancelAsync();
        await watch;
        return run;

        // Change k is due at start + k * interval; a late one goes at once. Blocking is fine: this is its own thread.
        void Send()
        {
            for (var k = 0; k < total && !hardStop.IsCancellationRequested; k++)
            {
                var due = started + Clock.Ticks(k * interval);
                long wait;
                while ((wait = due - Stopwatch.GetTimestamp()) > 0)
                {
                    Thread.Sleep(TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond / 2, wait * TimeSpan.TicksPerSecond / Stopwatch.Frequency)));
                }
                if (k == firstMeasured)
                {
                    cpu.Start();
                }
                inFlight.Wait(hardStop.Token);
                if (Stopwatch.GetTimestamp() - due > Clock.Ticks(0.005))
                {
                    run.Late++;
                }
                var measured = k >= firstMeasured;
                var skuIndex = k % s.Skus;
                var sku = Catalog.Sku(prefix, skuIndex);
                // A unique (SKU, on hand) per change: the Watch tells the changes apart by it.
                var onHand = via == "sim" ? SimInitialOnHand + ++simChanges[skuIndex] : k + 1L;
                var request = via switch
                {
                    "sim" => SimAdjust(s.SimWarehouse, sku),
                    "webhook" => connector.ShipHeroRequest(warehouse, s.WebhookSecret, ShipHero.InventoryUpdate(sku, onHand, onHand)),
                    _ => connector.PushRequest(warehouse, ConnectorUnderTest.Snapshots([(sku, onHand, versionBase + k)])),
                };
                var key = Key(sku, onHand);
                var sentAt = Stopwatch.GetTimestamp();
                run.Pending[key] = (sentAt, WallMicros(), measured);
                run.Sent++;
                if (measured)
                {
                    run.Measured++;
                }
                calls.Add(CallAsync(via == "sim" ? sim : connector.Http, request, run, key, sentAt, measured, inFlight, hardStop.Token));
            }
            run.Cpu = cpu.Stop();
            run.SendSeconds = Clock.Seconds(started) - s.Warmup;
        }
    }

    private static async Task CallAsync(HttpClient http, HttpRequestMessage request, Run run, string key, long sentAt, bool measured, SemaphoreSlim inFlight, CancellationToken cancel)
    {
        try
        {
            using var response = await http.SendAsync(request, cancel);
            var body = await response.Content.ReadAsStringAsync(cancel);
            if (measured)
            {
                lock (run.Call)
                {
                    run.Call.Add(Stopwatch.GetTimestamp() - sentAt);
                }
            }
            if (response.StatusCode != HttpStatusCode.OK)
            {
                Fail(run, key, $"{(int)response.StatusCode} {body}");
            }
        }
        catch (HttpRequestException ex)
        {
            Fail(run, key, ex.Message);
        }
        finally
        {
            request.Dispose();
            inFlight.Release();
        }
    }

    /// <summary>A refused change never reaches the Watch: it is counted as failed, not waited for.</summary>
    private static void Fail(Run run, string key, string why)
    {
        Interlocked.Increment(ref run.Failed);
        run.Pending.TryRemove(key, out _);
        run.LastFailure = why.Length > 200 ? why[..200] : why;
    }

    private static Task WatchAsync(Ledger ledger, string warehouse, Run run, TaskCompletionSource ready, CancellationToken stop)
        => ledger.FollowAsync(new WatchRequest { WarehouseIds = { warehouse } }, (response, now) =>
        {
            var wallMicros = WallMicros();
            foreach (var change in response.Changes)
            {
                if (!run.Pending.TryRemove(Key(change.Record.Sku, change.Record.Quantities.OnHand), out var sent))
                {
                    continue;
                }
                run.Delivered++;
                if (sent.Measured)
                {
                    run.Lag.Add(now - sent.SentAt);
                    var source = change.Record.SourceTime;
                    var sourceMicros = (source.Seconds * 1_000_000) + (source.Nanos / 1000);
                    run.ReceiptToWatch.Add(Math.Max(0, wallMicros - sourceMicros) * Stopwatch.Frequency / 1_000_000);
                    run.SendToReceipt.Add(Math.Max(0, sourceMicros - sent.SentMicros) * Stopwatch.Frequency / 1_000_000);
                }
            }
        }, ready, stop);

    /// <summary>
    /// The simulator sends one change's webhook at a time and costs itself about a millisecond of CPU
    /// per HTTP request on the 2-core bench machine, so near 200 changes/s it queues and its own queue
    /// would be most of the lag measured; it runs at --sim-rate (50/s, a busy warehouse) instead.
    /// </summary>
    private static int RateOf(Settings s, string via) => via == "sim" ? s.SimRate : s.Rate;

    private static long WallMicros() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;

    private static string Key(string sku, long onHand) => sku + "|" + onHand.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// One ShipHero warehouse in the simulator, sending only "Inventory Update" (what the connector
    /// applies by default) to the connector's receiver, with --skus SKUs at SimInitialOnHand.
    /// Loading resets the simulator's stock, so on hand starts from the same figure every run.
    /// </summary>
    private static async Task LoadSimScenarioAsync(Settings s, HttpClient sim, ConnectorUnderTest connector, string prefix, CancellationToken cancel)
    {
        var stock = new JsonArray();
        for (var i = 0; i < s.Skus; i++)
        {
            stock.Add(new JsonObject { ["sku"] = Catalog.Sku(prefix, i), ["onHand"] = SimInitialOnHand });
        }
        var scenario = new JsonObject
        {
            ["warehouses"] = new JsonArray(new JsonObject
            {
                ["id"] = s.SimWarehouse,
                ["kind"] = "ShipHero",
                ["externalId"] = ShipHero.WarehouseId,
                ["webhook"] = new JsonObject
                {
                    ["url"] = new Uri(connector.HttpBase, $"webhooks/shiphero/{s.SimWarehouse}").ToString(),
                    ["secret"] = s.SimSecret,
                    ["types"] = new JsonArray("Inventory Update"),
                },
                ["stock"] = stock,
            }),
        };
        using var content = new StringContent(scenario.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await sim.PostAsync("sim/scenario", content, cancel);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"the simulator refused the scenario: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancel)}");
        }
    }

    private static HttpRequestMessage SimAdjust(string warehouse, string sku)
        => new(HttpMethod.Post, "sim/adjust") { Content = JsonContent.Create(new { warehouse, sku, delta = 1, reason = "bench" }) };

    private static void Report(Settings s, string via, Run run, Results results)
    {
        var lag = Latencies.Summarize([run.Lag]);
        var receipt = Latencies.Summarize([run.ReceiptToWatch]);
        var toReceipt = Latencies.Summarize([run.SendToReceipt]);
        var call = Latencies.Summarize([run.Call]);
        var lost = run.Pending.Count;
        var p = via + "_";
        results.Add(p + "rate", RateOf(s, via));
        results.Add(p + "seconds", run.SendSeconds, "F1");
        results.Add(p + "sent", run.Sent);
        results.Add(p + "measured", run.Measured);
        results.Add(p + "sent_per_s", run.Measured / run.SendSeconds, "F0");
        results.Add(p + "late_sends", run.Late);
        results.Add(p + "failed", run.Failed);
        results.Add(p + "delivered", run.Delivered);
        results.Add(p + "lost", lost);
        results.Add(p + "complete", lost == 0 && run.Failed == 0 && run.Delivered == run.Sent ? "yes" : "NO");
        results.AddPercentiles(p, lag, "F2", 50, 90, 99);
        results.Add(p + "max_ms", lag.MaxMs, "F2");
        results.AddPercentiles(p + "call_", call, "F2", 50, 99);
        results.AddPercentiles(p + "send_to_receipt_", toReceipt, "F2", 50, 99);
        results.AddPercentiles(p + "receipt_to_watch_", receipt, "F2", 50, 99);
        results.AddCpu(run.Cpu, p);
        if (run.Failed > 0)
        {
            Console.Error.WriteLine($"  {via}: {run.Failed} changes refused, the last: {run.LastFailure}");
        }
    }
}
