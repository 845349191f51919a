using static Stockcast.Bench.Report.Figures;

namespace Stockcast.Bench.Report;

/// <summary>The alerting service's part: it ran after the other scenarios, following the same ledger, on the same Redis.</summary>
public static class AlertingSection
{
    public static string Write(RunFacts facts)
    {
        var f = facts.Figures;
        var highWater = facts.HighWaterMib("alerting");
        var evaluations = f["alerts_evaluations_per_s"];
        var changes = f["alerts_ledger_changes_per_s"];
        string Peak(string? phase) => facts.Memory.PeakMib(phase, "alerting");

        return $"""

            ## alerting

            Started after the other scenarios, following the same ledger's Watch, on the same redis-server (feed
            anomalies off: no connector address). {f["alerts_rooms"]} live rooms x {f["alerts_skus_per_room"]} SKUs
            ({f["alerts_skus"]} SKUs, market {f["alerts_market"]}, one warehouse), each room's rule: low stock at
            {f["alerts_threshold"]} units, no percentage, re-arm at {f["alerts_rearm_level"]}, no cool-down. A background
            writer keeps changing those SKUs (always above the re-arm level) while probe cycles take one SKU at a
            time to {f["alerts_probe_low"]} units (RAISED) and back to {f["alerts_base_stock"]} (RESOLVED). Latency = the
            notification's arrival on a WatchAlerts console stream - the arrival of the ledger's acknowledgement of
            the probe, both in the load generator.

            | figure | measured | compared with |
            |---|---|---|
            | Stock change in the ledger -> alert on the console stream; {f["alerts_probe_rate"]} cycles/s ({f["alerts_probes_measured"]} probes in {f["alerts_seconds"]} s) under {f["alerts_load_applied_per_s"]} background changes/s | p50 **{f["alerts_p50_ms"]} ms**, p99 **{f["alerts_p99_ms"]} ms** (p90 {f["alerts_p90_ms"]}, max {f["alerts_max_ms"]}); exactly one notification per probe: {f["alerts_exactly_one"]} of {f["alerts_probes_measured"]}, complete: {f["alerts_complete"]} | p99 {Within(f["alerts_p99_ms"], Goals.LiveLagBoundMs, "ms")} (the brief's bound for stock shown live) |
            | RAISED (below the threshold) / RESOLVED (back above the re-arm level) | p50 {f["alerts_raise_p50_ms"]} / {f["alerts_resolve_p50_ms"]} ms, p99 {f["alerts_raise_p99_ms"]} / {f["alerts_resolve_p99_ms"]} ms, max {f["alerts_raise_max_ms"]} / {f["alerts_resolve_max_ms"]} ms | |
            | Rules evaluated | **{evaluations} SKU evaluations/s** x {f["alerts_rules_per_evaluation"]} stock rules x {f["alerts_rule_contexts_per_evaluation"]} room = **{f["alerts_rules_per_s"]} rules/s**; {f["alerts_evaluation_mean_us"]} µs per SKU evaluation (the engine evaluating {f["alerts_evaluation_busy"]} of the time) | {changes} ledger changes/s to those SKUs ({Ratio(evaluations, changes)} evaluations per change); {Ratio(changes, facts.CeilingRps("plain", "SET"))} of redis SET unpipelined |
            | Alerting memory (whole run) | **peak VmRSS {Peak(null)} MiB**, VmHWM {highWater} MiB | the ledger: {facts.Memory.PeakMib(null, "ledger")} MiB |

            ### alerting details

            | figure | value |
            |---|---|
            | set-up: ledger seeded / the service's stock view had it / rules and streams until every start stock was recorded | {f["alerts_seed_s"]} s / {f["alerts_view_s"]} s / {f["alerts_start_stock_s"]} s |
            | cycles (warm-up {f["alerts_warmup_s"]} s included) / measured; failed cycles | {f["alerts_cycles"]} / {f["alerts_cycles_measured"]}; {f["alerts_failed_cycles"]} |
            | notifications: missing / repeated or other types / for bench SKUs not being probed / other alerts on the stream | {f["alerts_missing"]} / {f["alerts_repeats"]} / {f["alerts_unexpected"]} / {f["alerts_foreign"]} |
            | alerts in ListAlerts for the probed SKUs at the end / still firing | {f["alerts_alerts_listed"]} / {f["alerts_alerts_open_at_end"]} |
            | notifications that arrived before the ledger's acknowledgement (counted as 0 ms) | {f["alerts_notified_before_ack"]} |
            | warm-up (the service's first seconds of this load): p50 / p99 / max | {f["alerts_warmup_p50_ms"]} / {f["alerts_warmup_p99_ms"]} / {f["alerts_warmup_max_ms"]} ms |
            | probe: send -> ledger acknowledgement p50 / p99; send -> notification p50 / p99 | {f["alerts_probe_ack_p50_ms"]} / {f["alerts_probe_ack_p99_ms"]} ms; {f["alerts_send_p50_ms"]} / {f["alerts_send_p99_ms"]} ms |
            | the service's own stock_change_to_alert histogram (change received from the ledger -> alert in its log; raises only): mean, p99 bucket, count | {f["alerts_service_change_to_alert_mean_ms"]} ms, <= {f["alerts_service_change_to_alert_p99_le_ms"]} ms, {f["alerts_service_change_to_alert_count"]} |
            | background writer: sent / applied / not applied / skipped (SKU under probe) / batches > 5 ms late; ack p50 / p99 | {f["alerts_load_sent"]} / {f["alerts_load_applied"]} / {f["alerts_load_not_applied"]} / {f["alerts_load_skipped"]} / {f["alerts_load_late_batches"]}; {f["alerts_load_ack_p50_ms"]} / {f["alerts_load_ack_p99_ms"]} ms |
            | SKU evaluations in the window (stockcast_alerting_rule_evaluations_total) | {f["alerts_evaluations"]} |

            ### alerting CPU split (cores busy over the measured window, from /proc/PID/stat; {facts.Machine.Cores} cores in all)

            | ledger | alerting | redis-server | load generator | total | other processes | alerting CPU per SKU evaluation | alerting CPU per ledger change | ledger CPU per change | redis CPU per change |
            |---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
            | {f["alerts_cpu_ledger"]} | {f["alerts_cpu_alerting"]} | {f["alerts_cpu_redis"]} | {f["alerts_cpu_bench"]} | {f["alerts_cpu_total"]} | {f["alerts_cpu_others"]} | {BenchReport.Micros(f["alerts_cpu_alerting"], evaluations)} | {BenchReport.Micros(f["alerts_cpu_alerting"], changes)} | {BenchReport.Micros(f["alerts_cpu_ledger"], changes)} | {BenchReport.Micros(f["alerts_cpu_redis"], changes)} |

            "Total" includes the connector and the simulator when they ran before (idle here). "Other processes": {f.BusyNote(["alerts"])}

            ### alerting memory by phase (VmRSS peak, MiB)

            | idle (after listing the ledger) | alerts | whole run | VmHWM at the end |
            |---:|---:|---:|---:|
            | {Peak("alerting-idle")} | {Peak("alerts")} | {Peak(null)} | {highWater} |

            ### Where redis-server spends its time in the alerting scenario (INFO commandstats, top 8 by time)

            Set-up included: recording each SKU's start stock reloads the service's whole catalogue (an HGETALL per
            room and three more, twice), so HGETALL counts grow with SKUs x rooms.

            | scenario | command | calls | µs/call | share |
            |---|---|---:|---:|---:|
            {BenchReport.CommandRows(facts, "alerts")}
            """;
    }
}
