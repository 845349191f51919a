using System.Globalization;
using System.Text;
using Stockcast.Bench.Harness;
using static Stockcast.Bench.Report.Figures;

namespace Stockcast.Bench.Report;

/// <summary>The report's head (machine, Redis ceiling) and the stock-ledger's part.</summary>
public static class LedgerSection
{
    public static string Write(RunFacts facts)
    {
        var (f, m, k) = (facts.Figures, facts.Machine, facts.Knobs);
        var applied = f["apply_events_per_s"];
        var availability = f["availability_calls_per_s"];
        var ceiling = f["ceiling_calls_per_s"];
        var watchP99 = f["watch_p99_ms"];
        var watchComplete = f["watch_delivered_complete"];
        var watchVerdict = watchComplete == "yes" ? AtMost(watchP99, Goals.WatchP99Ms) : "**FAIL** (deliveries incomplete)";
        var peakRss = facts.Memory.PeakMib(null, "ledger");
        var highWater = facts.HighWaterMib("ledger");
        var ceilingRows = new StringBuilder();
        foreach (var t in RedisCeiling.Tests)
        {
            ceilingRows.Append(CultureInfo.InvariantCulture, $"| {t} | {Rb("plain", t, "rps")} | {Rb("plain", t, "p50")} | {Rb("plain", t, "p99")} | {Rb("p16", t, "rps")} | {Rb("p16", t, "p50")} | {Rb("p16", t, "p99")} |\n");
        }
        string Rb(string label, string test, string figure) => facts.Ceiling.Figure(label, test, figure) ?? Missing;
        string Cpu(string scenario, string process) => f[$"{scenario}_cpu_{process}"];

        return $"""
            # Stockcast benchmark: stock-ledger, warehouse-connector, alerting and overlay-broadcast on loopback

            Run {m.StartedAt.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)}, commit {m.Revision}, configuration {facts.Configuration}. Produced by `make bench` (bench/Stockcast.Bench).

            ## Machine

            | | |
            |---|---|
            | CPU | {m.CpuModel} |
            | cores (nproc) | {m.Cores} |
            | memory | {m.Memory} |
            | kernel | {m.Kernel} |
            | load average at the start | {m.LoadAverage} |
            | .NET SDK | {m.DotnetVersion} |
            | redis-server | {m.RedisVersion} (fresh, `{k.RedisPersistenceText}`, loopback) |

            Everything (redis-server, the ledger, the connector, the simulator, the alerting service, the overlay, the load generator) shares these {m.Cores} cores.

            ## Ceiling: redis-benchmark on the same redis-server

            `redis-benchmark -q -t set,get,incr -n {k.RedisBenchmarkRequests}` (50 clients), before the ledger starts.

            | test | unpipelined req/s | p50 ms | p99 ms | `-P 16` req/s | p50 ms | p99 ms |
            |---|---:|---:|---:|---:|---:|---:|
            {ceilingRows}
            ## Results and goals

            | scenario | measured | goal | verdict | compared with |
            |---|---|---|---|---|
            | ApplyStockEvents ({f["apply_streams"]} streams x {f["apply_in_flight"]} in flight x {f["apply_batch"]} snapshots, {f["apply_records"]} records, {f["apply_seconds"]} s) | **{applied} events/s** applied | >= {Format(Goals.ApplyEventsPerSecond)} events/s | {AtLeast(applied, Goals.ApplyEventsPerSecond)} | {Ratio(applied, facts.CeilingRps("p16", "SET"))} of redis SET -P 16, {Ratio(applied, facts.CeilingRps("plain", "SET"))} of SET unpipelined |
            | Watch ({f["watch_watchers"]} streams, writer {f["watch_rate"]} events/s in batches of {f["watch_batch"]}, {f["watch_seconds"]} s measured after the warm-up) | p50 {f["watch_p50_ms"]} ms, **p99 {watchP99} ms**, max {f["watch_max_ms"]} ms | p99 <= {Format(Goals.WatchP99Ms)} ms, every change delivered | {watchVerdict} | {f["watch_deliveries_per_s"]} deliveries/s |
            | Watch warm-up: the ledger's first Watch fan-out since it started, {f["watch_warmup_s"]} s until 2 s in a row were complete and within {Format(Goals.WatchP99Ms)} ms (settled: {f["watch_settled"]}) | p50 {f["watch_warmup_p50_ms"]} ms, p99 {f["watch_warmup_p99_ms"]} ms, max {f["watch_warmup_max_ms"]} ms | (not the goal; shown so a cold replica is not hidden) | p99 {Within(f["watch_warmup_p99_ms"], Goals.WatchP99Ms, "ms")} | |
            | Watch during the ApplyStockEvents run (1 stream, latency = receive time - source_time) | p50 {f["apply_watch_p50_ms"]} ms, p99 {f["apply_watch_p99_ms"]} ms, max {f["apply_watch_max_ms"]} ms | (not a goal here; the product brief says stock shown live must never lag more than 10 s) | p99 {Within(f["apply_watch_p99_ms"], Goals.LiveLagBoundMs, "ms")} | feed read {f["apply_watch_feed_revisions_per_s"]} revisions/s while {applied} were applied |
            | GetAvailability ({f["availability_callers"]} callers, {f["availability_seconds"]} s) | **{availability} calls/s**, p50 {f["availability_p50_ms"]} ms, p99 {f["availability_p99_ms"]} ms | >= {Format(Goals.AvailabilityShareOfCeiling)}x the bare gRPC ceiling's calls/s | {AtLeast(Share(availability, ceiling), Goals.AvailabilityShareOfCeiling)} | **{Ratio(availability, ceiling)} of the bare gRPC ceiling**; {Ratio(availability, facts.CeilingRps("plain", "GET"))} of redis GET unpipelined |
            | Ceiling: the same callers and GetAvailability calls on a bare grpc-dotnet server (bench/Stockcast.Bench.Ceiling: the ledger's Kestrel endpoints, no interceptors, middleware, auth or logging, a fixed reply) | {ceiling} calls/s, p50 {f["ceiling_p50_ms"]} ms, p99 {f["ceiling_p99_ms"]} ms | (reference) | | |
            | grpc.health.v1 Check on the ledger (same callers; the ledger's per-call path, no Redis, no ledger logic) | {f["health_calls_per_s"]} calls/s, p50 {f["health_p50_ms"]} ms, p99 {f["health_p99_ms"]} ms | (reference) | | {Ratio(f["health_calls_per_s"], ceiling)} of the bare gRPC ceiling |
            | Ledger memory (whole run) | **peak VmRSS {peakRss} MiB**, VmHWM {highWater} MiB | < {Format(Goals.LedgerRssMib)} MiB | {AtMost(highWater, Goals.LedgerRssMib - 1)} | redis-server peak RSS {facts.Memory.PeakMib(null, "redis")} MiB |

            ### Details

            | scenario | figure | value |
            |---|---|---|
            | apply | populate pass (creates every record) / warm-up | {f["apply_populate_events_per_s"]} / {f["apply_warmup_events_per_s"]} events/s |
            | apply | events sent / applied / not applied | {f["apply_events_sent"]} / {f["apply_events_applied"]} / {f["apply_events_not_applied"]} |
            | apply | applied per second of the run (thousands) | {f["apply_timeline_k"]} |
            | apply | batch ack latency (send to ack) p50 / p99 / max | {f["apply_ack_p50_ms"]} / {f["apply_ack_p99_ms"]} / {f["apply_ack_max_ms"]} ms |
            | apply | ledger revision at the end; the open watcher was {f["apply_watch_lag_revisions_at_end"]} revisions behind and caught up in | {f["apply_revision"]}; {f["apply_watch_catch_up_ms"]} ms (caught up: {f["apply_watch_caught_up"]}) |
            | watch | events applied / not applied, writer batches sent > 5 ms late | {f["watch_events_applied"]} / {f["watch_events_not_applied"]}, {f["watch_writer_late_batches"]} |
            | watch | deliveries / expected (watchers x applied) / complete | {f["watch_delivered"]} / {f["watch_delivered_expected"]} / {watchComplete} |
            | watch | latency p50 / p90 / p99 / p99.9 / max | {f["watch_p50_ms"]} / {f["watch_p90_ms"]} / {f["watch_p99_ms"]} / {f["watch_p999_ms"]} / {f["watch_max_ms"]} ms |
            | watch | max latency per second of writing, the first {f["watch_warmup_s"]} s are the warm-up (ms) | {f["watch_timeline_max_ms"]} |
            | watch | deliveries over {Format(Goals.WatchP99Ms)} ms per second of writing (same seconds) | {f["watch_timeline_over_goal"]} |
            | watch | writer's batch ack latency p50 / p99 / max | {f["watch_ack_p50_ms"]} / {f["watch_ack_p99_ms"]} / {f["watch_ack_max_ms"]} ms |
            | watch | time for the last watcher to catch up after the writer stopped | {f["watch_drain_ms"]} ms |
            | availability | calls, p50 / p99 / max | {f["availability_calls"]}, {f["availability_p50_ms"]} / {f["availability_p99_ms"]} / {f["availability_max_ms"]} ms |
            | availability | warehouses per reply (US: 2, DE: 1), empty replies | {f["availability_warehouses_per_reply"]}, {f["availability_empty_replies"]} |
            | memory | VmRSS samples every 500 ms | {facts.Memory.Count} |

            ### CPU split (cores busy over the measured window, from /proc/PID/stat utime+stime; {m.Cores} cores in all)

            | scenario | ledger | redis-server | load generator | total | other processes | ledger CPU per unit | redis CPU per unit |
            |---|---:|---:|---:|---:|---:|---:|---:|
            | apply | {Cpu("apply", "ledger")} | {Cpu("apply", "redis")} | {Cpu("apply", "bench")} | {Cpu("apply", "total")} | {Cpu("apply", "others")} | {BenchReport.Micros(Cpu("apply", "ledger"), applied, " µs/event")} | {BenchReport.Micros(Cpu("apply", "redis"), applied, " µs/event")} |
            | watch | {Cpu("watch", "ledger")} | {Cpu("watch", "redis")} | {Cpu("watch", "bench")} | {Cpu("watch", "total")} | {Cpu("watch", "others")} | {BenchReport.Micros(Cpu("watch", "ledger"), f["watch_deliveries_per_s"], " µs/delivery")} | {BenchReport.Micros(Cpu("watch", "redis"), f["watch_rate"], " µs/event")} |
            | availability | {Cpu("availability", "ledger")} | {Cpu("availability", "redis")} | {Cpu("availability", "bench")} | {Cpu("availability", "total")} | {Cpu("availability", "others")} | {BenchReport.Micros(Cpu("availability", "ledger"), availability, " µs/call")} | {BenchReport.Micros(Cpu("availability", "redis"), availability, " µs/call")} |
            | health | {Cpu("health", "ledger")} | {Cpu("health", "redis")} | {Cpu("health", "bench")} | {Cpu("health", "total")} | {Cpu("health", "others")} | {BenchReport.Micros(Cpu("health", "ledger"), f["health_calls_per_s"], " µs/call")} | - |
            | ceiling (bare gRPC server in the ledger column) | {Cpu("ceiling", "ceiling")} | {Cpu("ceiling", "redis")} | {Cpu("ceiling", "bench")} | {Cpu("ceiling", "total")} | {Cpu("ceiling", "others")} | {BenchReport.Micros(Cpu("ceiling", "ceiling"), ceiling, " µs/call")} | - |

            The load generator runs on the same cores; "per unit" divides each process's cores by the scenario's rate.
            "Other processes" is the rest of the machine's busy time (/proc/stat): {f.BusyNote(["apply", "watch", "availability", "health", "ceiling"])}

            ### Ledger memory by phase (VmRSS peak, MiB)

            | idle | apply | watch | availability | health | after | whole run | VmHWM at the end |
            |---:|---:|---:|---:|---:|---:|---:|---:|
            | {Peak("idle")} | {Peak("apply")} | {Peak("watch")} | {Peak("availability")} | {Peak("health")} | {Peak("done")} | {peakRss} | {highWater} |

            ### Where redis-server spends its time (INFO commandstats per scenario, top 8 by time)

            Commands run inside the ledger's Lua scripts are counted on their own lines and also inside `evalsha`.

            | scenario | command | calls | µs/call | share |
            |---|---|---:|---:|---:|
            {BenchReport.CommandRows(facts, "apply", "watch", "availability")}
            """;

        string Peak(string phase) => facts.Memory.PeakMib(phase, "ledger");
    }
}
