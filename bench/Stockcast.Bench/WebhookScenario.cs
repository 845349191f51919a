using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace Stockcast.Bench;

/// <summary>
/// Signed ShipHero "Inventory Update" webhooks into the warehouse-connector: N concurrent senders,
/// each one webhook at a time over its own HTTP/1.1 connection (as a warehouse's sender delivers),
/// each webhook one SKU (as ShipHero sends one per changed item), signed with the feed's secret as
/// the connector verifies it. Each sender cycles over its own slice of SKUs, so two webhooks for one
/// SKU never land in the same millisecond (the connector versions ShipHero snapshots by receipt time
/// in ms); the SKUs are created in the ledger first (untimed), so webhooks update known records, as
/// they do in steady state. A warm-up runs first, 10 s by default: freshly started, the connector and
/// the ledger need 10-15 s of this load before their per-request path runs on optimised (tier-1)
/// code, and until then spend a third of their CPU in the JIT; only webhooks sent inside the measured window count, timed from
/// send to the connector's answer, which comes after the ledger acknowledged the record. A Watch
/// filtered to the warehouse confirms every applied record reached the ledger's change stream.
/// With health=true the same senders GET the connector's /healthz instead: Kestrel's HTTP/1.1 path
/// with nothing behind it, the ceiling of the framework on this machine. With --bad-percent P, every
/// (100/P)th webhook of each sender carries a malformed count ("12 pcs"), signed like the rest: the
/// connector answers 200 and dead-letters it; the report compares this run's rate with the clean one's.
/// </summary>
public static class WebhookScenario
{
    public sealed record Settings(string Warehouse, string Secret, int Senders, double Seconds, double Warmup, double WarmupMax, int Skus, string Prefix, double BadPercent)
    {
        public static Settings From(BenchArgs a) => new(
            a.Str("warehouse", "cn-shiphero"), a.Str("secret", Environment.GetEnvironmentVariable("STOCKCAST_BENCH_WEBHOOK_SECRET") ?? ""),
            a.Int("senders", 16), a.Double("seconds", 10), a.Double("warmup", 10), a.Double("warmup-max", 30), a.Int("skus", 2_000), a.Str("sku-prefix", "HOOK-"),
            a.Double("bad-percent", 0));

        /// <summary>Every how many webhooks of a sender one is bad (0: none).</summary>
        public long BadEvery => BadPercent > 0 ? (long)Math.Round(100 / BadPercent) : 0;
    }

    private sealed class Sender(int capacity)
    {
        public readonly Latencies Latency = new(capacity);
        public long Ok;
        public long Applied;
        public long AppliedTotal;
        public long Failed;
        public readonly Dictionary<int, long> Statuses = [];
    }

    public static async Task RunAsync(Settings s, Ledger ledger, ConnectorUnderTest connector, Results results, CpuMeter cpu, bool health = false)
    {
        if (!health && s.Secret.Length < 16)
        {
            throw new ArgumentException("--secret (or STOCKCAST_BENCH_WEBHOOK_SECRET): the feed's WebhookSecret");
        }
        Console.WriteLine(health
            ? $"connector-health: {s.Senders} senders of GET /healthz, {s.Warmup}-{s.WarmupMax} s warm-up until settled + {s.Seconds} s"
            : $"webhooks: {s.Senders} senders of signed ShipHero Inventory Updates to {s.Warehouse}, {s.Warmup}-{s.WarmupMax} s warm-up until settled + {s.Seconds} s, {s.Skus} SKUs, {s.BadPercent} % bad");
        using var hardStop = new CancellationTokenSource(TimeSpan.FromSeconds(s.WarmupMax + s.Seconds + 90));
        var counter = new LedgerChangeCounter();
        using var stopWatch = CancellationTokenSource.CreateLinkedTokenSource(hardStop.Token);
        if (!health)
        {
            await LedgerSeed.PopulateAsync(ledger, s.Warehouse, [.. Enumerable.Range(0, s.Skus).Select(i => Catalog.Sku(s.Prefix, i))], hardStop.Token);
            await counter.StartAsync(ledger, [s.Warehouse], stopWatch.Token);
        }
        var feedBefore = health ? null : await connector.FeedAsync(s.Warehouse);
        var changesBefore = counter.Changes;

        var started = Stopwatch.GetTimestamp();
        // Set once the warm-up has settled; until then every answer is warm-up.
        var measureFrom = long.MaxValue;
        var measureTo = long.MaxValue;
        var senders = Enumerable.Range(0, s.Senders).Select(_ => new Sender(100_000)).ToArray();
        // Answers per second from the first send, warm-up included: shows whether the rate was still
        // climbing (the services' JIT) or flat when the measured window began.
        var timeline = new Timeline(s.WarmupMax + s.Seconds);
        var healthUri = new Uri(connector.HttpBase, "healthz");
        var tasks = senders.Select((sender, i) => Task.Run(async () =>
        {
            var sku = i;
            var k = 0L;
            while (true)
            {
                var at = Stopwatch.GetTimestamp();
                if (at >= Volatile.Read(ref measureTo))
                {
                    return;
                }
                using var request = health
                    ? new HttpRequestMessage(HttpMethod.Get, healthUri)
                    : connector.ShipHeroRequest(s.Warehouse, s.Secret, ShipHero.InventoryUpdate(Catalog.Sku(s.Prefix, sku), 100 + k % 900, 90 + k % 800,
                        bad: s.BadEvery > 0 && k % s.BadEvery == s.BadEvery - 1));
                sku = (sku + s.Senders) % s.Skus;
                k++;
                int status;
                var applied = 0;
                try
                {
                    using var response = await connector.Http.SendAsync(request, hardStop.Token);
                    var body = await response.Content.ReadAsByteArrayAsync(hardStop.Token);
                    status = (int)response.StatusCode;
                    if (!health && response.StatusCode == HttpStatusCode.OK)
                    {
                        applied = ConnectorUnderTest.Applied(body);
                    }
                }
                catch (HttpRequestException)
                {
                    status = 0;
                }
                var took = Stopwatch.GetTimestamp() - at;
                sender.AppliedTotal += applied;
                if (status == 200)
                {
                    timeline.Add((at - started) / (double)Stopwatch.Frequency);
                }
                if (at < Volatile.Read(ref measureFrom))
                {
                    continue;
                }
                sender.Latency.Add(took);
                sender.Statuses[status] = sender.Statuses.GetValueOrDefault(status) + 1;
                if (status == 200)
                {
                    sender.Ok++;
                    sender.Applied += applied;
                }
                else
                {
                    sender.Failed++;
                }
            }
        }, hardStop.Token)).ToArray();

        // Warm-up: at least --warmup seconds, then until the rate stops climbing (the last 3 s no more
        // than 10 % above the 3 s before them), at most --warmup-max seconds.
        var warmupSeconds = (int)Math.Ceiling(s.Warmup);
        await Task.Delay(TimeSpan.FromSeconds(warmupSeconds), hardStop.Token);
        while (!Settled(timeline, warmupSeconds) && warmupSeconds < s.WarmupMax)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), hardStop.Token);
            warmupSeconds++;
        }
        var settled = Settled(timeline, warmupSeconds);
        cpu.Start();
        var from = Stopwatch.GetTimestamp();
        Volatile.Write(ref measureTo, from + Clock.Ticks(s.Seconds));
        Volatile.Write(ref measureFrom, from);
        await Task.Delay(TimeSpan.FromSeconds(s.Seconds), hardStop.Token);
        var split = cpu.Stop();
        await Task.WhenAll(tasks);

        var latency = Latencies.Summarize(senders.Select(x => x.Latency));
        var ok = senders.Sum(x => x.Ok);
        var statuses = senders.SelectMany(x => x.Statuses).GroupBy(p => p.Key).OrderBy(g => g.Key).Select(g => $"{g.Key}:{g.Sum(p => p.Value)}");
        results.Add("senders", s.Senders);
        results.Add("warmup_s", warmupSeconds);
        results.Add("settled", settled ? "yes" : "NO");
        results.Add("seconds", s.Seconds, "F1");
        results.Add("requests", latency.Count);
        results.Add("statuses", string.Join(' ', statuses));
        results.Add("ok_per_s", ok / s.Seconds);
        results.Add("p50_ms", latency.Ms(50), "F2");
        results.Add("p99_ms", latency.Ms(99), "F2");
        results.Add("max_ms", latency.MaxMs, "F2");
        results.Add("timeline", timeline.Format(warmupSeconds + (int)Math.Ceiling(s.Seconds), n => n.ToString(CultureInfo.InvariantCulture)));
        if (!health)
        {
            // Every record the connector reported applied (warm-up included) must show in the ledger's Watch.
            var appliedTotal = senders.Sum(x => x.AppliedTotal);
            await counter.WaitForAsync(changesBefore + appliedTotal, TimeSpan.FromSeconds(30), hardStop.Token);
            var delivered = counter.Changes - changesBefore;
            var feedAfter = await connector.FeedAsync(s.Warehouse);
            results.Add("records_accepted_per_s", ok / s.Seconds);
            results.Add("records_applied_per_s", senders.Sum(x => x.Applied) / s.Seconds);
            results.Add("applied_total", appliedTotal);
            results.Add("watch_delivered", delivered);
            results.Add("delivered_complete", delivered == appliedTotal ? "yes" : "NO");
            results.Add("dead_lettered", feedAfter.RecordsDeadLettered - feedBefore!.RecordsDeadLettered);
            results.Add("not_applied", senders.Sum(x => x.Ok) - senders.Sum(x => x.Applied));
            results.Add("bad_percent", s.BadPercent, "F1");
        }
        results.AddCpu(split);
        await stopWatch.CancelAsync();
        await counter.Task;
    }

    /// <summary>Whole seconds before <paramref name="second"/>: the last three no more than 10 % above the three before them.</summary>
    private static bool Settled(Timeline timeline, int second)
    {
        if (second < 6)
        {
            return false;
        }
        long recent = 0, before = 0;
        for (var i = 1; i <= 3; i++)
        {
            recent += timeline[second - i];
            before += timeline[second - 3 - i];
        }
        return recent > 0 && recent <= before * 1.1;
    }
}
