using System.Globalization;
using static Stockcast.Bench.Report.Figures;

namespace Stockcast.Bench.Report;

/// <summary>
/// The soak (BENCH_PARTS=soak): the watch scenario's paced writer and watchers for SOAK_SECONDS, and
/// whether anything drifts: a line fitted to the ledger's and Redis's memory after the first fifth, the
/// worst delivery latency minute by minute, and every applied change delivered to every watcher.
/// </summary>
public static class SoakSection
{
    // The first fifth of the samples is the working set being built (records, the change log up to its cap).
    private const double WarmupShare = 0.2;

    public static string Write(RunFacts facts)
    {
        var f = facts.Figures;
        return $"""

            ## Soak: {f["soak_seconds"]} s of ApplyStockEvents and Watch

            {f["soak_rate"]} events/s in batches of {f["soak_batch"]} to {f["soak_watchers"]} watchers of every change, after a {f["soak_warmup_s"]} s warm-up.
            Memory: a least-squares line through each process's VmRSS (sampled every 500 ms) after the first
            {WarmupShare:P0} of the soak; "drift" is the fitted change over the rest.

            | figure | measured | compared with |
            |---|---|---|
            | events applied / not applied; batches > 5 ms late | {f["soak_events_applied"]} / {f["soak_events_not_applied"]}; {f["soak_writer_late_batches"]} | nothing lost: not applied 0 |
            | deliveries / expected (watchers x applied); complete | {f["soak_delivered"]} / {f["soak_delivered_expected"]}; **{f["soak_delivered_complete"]}** | complete: yes |
            | delivery latency p50 / p99 / p99.9 / max | {f["soak_p50_ms"]} / **{f["soak_p99_ms"]}** / {f["soak_p999_ms"]} / {f["soak_max_ms"]} ms | p99 {Within(f["soak_p99_ms"], Goals.LiveLagBoundMs, "ms")} |
            | worst delivery latency per minute (ms) | {PerMinute(f["soak_timeline_max_ms"])} | flat |
            {Trend(facts, "soak", "ledger")}
            {Trend(facts, "soak", "redis")}

            CPU over the soak (cores): ledger {f["soak_cpu_ledger"]}, redis-server {f["soak_cpu_redis"]}, load generator {f["soak_cpu_bench"]}, other processes {f["soak_cpu_others"]} ({f.BusyNote(["soak"])})
            """;
    }

    /// <summary>A table row: the line fitted to a process's VmRSS over a phase, after its first fifth.</summary>
    internal static string Trend(RunFacts facts, string phase, string process)
        => facts.Memory.Trend(phase, process, WarmupShare) is { } t
            ? string.Create(CultureInfo.InvariantCulture, $"| {process} VmRSS: slope; fitted drift over the last {t.Samples / 120.0:F1} min | **{t.MibPerMinute:+0.00;-0.00} MiB/min**; {t.FromMib:F0} → {t.ToMib:F0} MiB | flat |")
            : $"| {process} VmRSS | {Missing} (too few samples) | |";

    /// <summary>The per-second maxima ("12 10 …") as the worst of each minute.</summary>
    internal static string PerMinute(string seconds)
        => seconds == Missing ? Missing : string.Join(' ', seconds.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(IsNumber).Select(Parse).Chunk(60).Select(m => m.Max().ToString("F0", CultureInfo.InvariantCulture)));
}
