using System.Text;
using static Stockcast.Bench.Report.Figures;

namespace Stockcast.Bench.Report;

/// <summary>
/// The whole path (the freshness scenario): a warehouse change sent to the connector until the new
/// value is on every viewer's screen, per source and total rate, split at the ledger's Watch.
/// </summary>
public static class PathSection
{
    private static readonly string[] Processes = ["connector", "ledger", "redis", "overlay"];

    /// <summary>The memory sampler's phase: the scenario's name, which the runner sets.</summary>
    private const string Phase = "freshness";

    public static string Write(RunFacts facts)
    {
        var f = facts.Figures;
        var runs = facts.Knobs.PathRuns;
        var table = new StringBuilder();
        table.Line("| source, total rate | viewers | change → screen p50 / p99 / max | goal p99 | → ledger Watch p50 / p99 (connector + ledger) | Watch → screen p50 / p99 (overlay) | sending call p50 / p99 | delivered (of expected); in order | background records applied / sent; failed | CPU (cores): connector, ledger, redis, overlay, load generator | cost: CPU-s per 1M events (services + Redis); overlay CPU-s per 1,000 viewers per hour |");
        table.Line("|---|---:|---|---|---|---|---|---|---|---|---|");
        foreach (var (via, rate) in runs)
        {
            var p = $"freshness_{via}_{rate}_";
            table.Line($"| {via}, {rate} events/s | {f[p + "viewers"]} | {f[p + "p50_ms"]} / **{f[p + "p99_ms"]}** / {f[p + "max_ms"]} ms | ≤ {Goals.PathP99Ms} ms: {AtMost(f[p + "p99_ms"], Goals.PathP99Ms)} "
                + $"| {f[p + "to_watch_p50_ms"]} / {f[p + "to_watch_p99_ms"]} ms | {f[p + "watch_to_viewer_p50_ms"]} / {f[p + "watch_to_viewer_p99_ms"]} ms | {f[p + "call_p50_ms"]} / {f[p + "call_p99_ms"]} ms "
                + $"| {f[p + "delivered"]} ({f[p + "expected"]}); out of order {f[p + "out_of_order"]} | {f[p + "background_applied"]} / {f[p + "background_records"]}; {f[p + "failed"]} "
                + $"| {f[p + "cpu_connector"]}, {f[p + "cpu_ledger"]}, {f[p + "cpu_redis"]}, {f[p + "cpu_overlay"]}, {f[p + "cpu_bench"]} | {Cost(f, p, rate)} |");
        }
        return $"""

            ## The whole path: warehouse change → viewers' screens

            Each run: {f["freshness_rooms"]} rooms, each featuring one SKU at the source's warehouse that changes {f["freshness_room_rate"]} times a second (a signed ShipHero
            webhook per change to `cn-shiphero`, or a one-record canonical push to `cn-push`); the rest of the total rate is
            canonical pushes of {f["freshness_batch"]} records of other SKUs, all through the connector. Viewers are raw SSE clients of the overlay.
            Times are from just before the change is sent; the ledger's Watch (in the load generator) splits the path.

            {table}
            Memory over the whole path part (all runs above; run it alone for a soak: `PATH_SECONDS=600 PATH_VIA=push
            PATH_RATES=10000 BENCH_PARTS=path`), a line fitted after the first fifth, as for the soak:

            | figure | measured | compared with |
            |---|---|---|
            {string.Join("\n", Processes.Select(process => SoakSection.Trend(facts, Phase, process)))}

            Peak VmRSS over the part (MiB): {string.Join(", ", Processes.Select(process => $"{process} {facts.Memory.PeakMib(Phase, process)}"))}.
            Worst change → screen per minute (ms), per run: {string.Join("; ", runs.Select(r => $"{r.Via} {r.Rate}: {SoakSection.PerMinute(f[$"freshness_{r.Via}_{r.Rate}_timeline_max_ms"])}"))}.
            """;
    }

    /// <summary>The services' and Redis's cores over the rate, per million events; the overlay's cores per thousand viewers over an hour.</summary>
    private static string Cost(Figures f, string p, string rate)
    {
        string[] cores = [f[p + "cpu_connector"], f[p + "cpu_ledger"], f[p + "cpu_redis"], f[p + "cpu_overlay"]];
        if (!cores.All(IsNumber) || !IsNumber(rate) || !IsNumber(f[p + "viewers"]))
        {
            return Missing;
        }
        var perMillion = cores.Sum(Parse) / Parse(rate) * 1e6;
        var perThousandViewers = Parse(f[p + "cpu_overlay"]) * 3600 / (Parse(f[p + "viewers"]) / 1000);
        return $"{Format(Math.Round(perMillion))}; {Format(Math.Round(perThousandViewers))}";
    }
}
