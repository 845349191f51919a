using System.Text;
using static Stockcast.Bench.Report.Figures;

namespace Stockcast.Bench.Report;

/// <summary>The warehouse-connector's part: it ran after the ledger's scenarios, in front of the same ledger and Redis.</summary>
public static class ConnectorSection
{
    private static readonly string[] Formats = ["csv", "json"];

    private static readonly (string Via, string Description)[] Lags =
    [
        ("sim", "the simulator's change (POST /sim/adjust on its ShipHero warehouse, which posts the signed webhook) through the connector and the ledger to the Watch"),
        ("webhook", "a signed ShipHero webhook sent by the load generator, through the connector and the ledger to the Watch"),
        ("push", "a one-record canonical push, through the connector and the ledger to the Watch"),
    ];

    public static string Write(RunFacts facts)
    {
        var f = facts.Figures;
        var highWater = facts.HighWaterMib("connector");
        var setUnpipelined = facts.CeilingRps("plain", "SET");
        var results = new StringBuilder();
        var details = new StringBuilder();
        var cpu = new StringBuilder();
        foreach (var format in Formats.Where(x => f.Seen($"filedrop_{x}_records")))
        {
            var p = "filedrop_" + format;
            results.Line($"| File drop, {format}: {f[p + "_records"]} records ({f[p + "_file_mib"]} MiB), from the file landing in the folder to the last record on the ledger's Watch | **{f[p + "_records_per_s"]} records/s** normalised and delivered ({f[p + "_seconds"]} s; first record after {f[p + "_first_change_ms"]} ms, then {f[p + "_records_per_s_after_first"]} records/s); complete: {f[p + "_complete"]} | {Ratio(f[p + "_records_per_s"], f["apply_events_per_s"])} of the ledger's ApplyStockEvents rate in this run; {Ratio(f[p + "_records_per_s"], setUnpipelined)} of redis SET unpipelined |");
            cpu.Line(CpuRow(f, "filedrop " + format, p, f[p + "_records_per_s"]));
            var m = "filedrop_messy_" + format;
            if (f.Seen(m + "_records"))
            {
                var share = Share(f[m + "_records_per_s"], f[p + "_records_per_s"]);
                results.Line($"| The same, {f[m + "_bad_percent"]} % bad rows (on hand \"12 pcs\"; dead-lettered: {f[m + "_dead_lettered"]}, applied: {f[m + "_delivered"]}) | **{f[m + "_records_per_s"]} records/s** read ({f[m + "_seconds"]} s); complete: {f[m + "_complete"]} | **{share}** of the clean rate: {AtLeast(share, Goals.MessyThroughputShare)} (goal: within 10 % of it) |");
                cpu.Line(CpuRow(f, "filedrop " + format + ", 1 % bad", m, f[m + "_records_per_s"]));
            }
        }
        if (f.Seen("webhooks_senders"))
        {
            results.Line($"| Signed ShipHero \"Inventory Update\" webhooks, {f["webhooks_senders"]} concurrent senders (HTTP/1.1, one SKU per webhook), {f["webhooks_seconds"]} s | **{f["webhooks_records_accepted_per_s"]} records/s accepted** (HTTP 200), {f["webhooks_records_applied_per_s"]} applied; per webhook p50 {f["webhooks_p50_ms"]} ms, p99 {f["webhooks_p99_ms"]} ms, max {f["webhooks_max_ms"]} ms; on the Watch: {f["webhooks_watch_delivered"]} of {f["webhooks_applied_total"]} applied, complete: {f["webhooks_delivered_complete"]} | {Ratio(f["webhooks_records_accepted_per_s"], f["connector_health_ok_per_s"])} of the connector's /healthz ceiling; {Ratio(f["webhooks_records_accepted_per_s"], setUnpipelined)} of redis SET unpipelined |");
            cpu.Line(CpuRow(f, "webhooks", "webhooks", f["webhooks_records_accepted_per_s"]));
        }
        if (f.Seen("webhooks_messy_senders"))
        {
            var share = Share(f["webhooks_messy_records_accepted_per_s"], f["webhooks_records_accepted_per_s"]);
            results.Line($"| The same with {f["webhooks_messy_bad_percent"]} % bad records (on hand \"12 pcs\", signed; the connector dead-letters them: {f["webhooks_messy_dead_lettered"]}), {f["webhooks_messy_seconds"]} s | **{f["webhooks_messy_records_accepted_per_s"]} records/s accepted**, {f["webhooks_messy_records_applied_per_s"]} applied; per webhook p50 {f["webhooks_messy_p50_ms"]} ms, p99 {f["webhooks_messy_p99_ms"]} ms; on the Watch: {f["webhooks_messy_watch_delivered"]} of {f["webhooks_messy_applied_total"]} applied, complete: {f["webhooks_messy_delivered_complete"]} | **{share}** of the clean rate: {AtLeast(share, Goals.MessyThroughputShare)} (goal: within 10 % of it) |");
            cpu.Line(CpuRow(f, "webhooks, 1 % bad", "webhooks_messy", f["webhooks_messy_records_accepted_per_s"]));
        }
        if (f.Seen("connector_health_senders"))
        {
            results.Line($"| Reference: GET /healthz on the connector, same senders (Kestrel HTTP/1.1, nothing behind it) | {f["connector_health_ok_per_s"]} requests/s, p50 {f["connector_health_p50_ms"]} ms, p99 {f["connector_health_p99_ms"]} ms | |");
            cpu.Line(CpuRow(f, "connector /healthz (per request)", "connector_health", f["connector_health_ok_per_s"]));
        }
        foreach (var (via, description) in Lags.Where(l => f.Seen($"synclag_{l.Via}_rate")))
        {
            var p = "synclag_" + via;
            results.Line($"| Sync lag, {description}; {f[p + "_rate"]} changes/s for {f[p + "_seconds"]} s | p50 **{f[p + "_p50_ms"]} ms**, p99 **{f[p + "_p99_ms"]} ms** (p90 {f[p + "_p90_ms"]}, max {f[p + "_max_ms"]}); {f[p + "_delivered"]} of {f[p + "_sent"]} changes on the Watch, complete: {f[p + "_complete"]} | p99 {Within(f[p + "_p99_ms"], Goals.LiveLagBoundMs, "ms")} (the brief's bound) |");
            details.Line($"| synclag {via} | sent per second (measured) / sends > 5 ms late / refused / not on the Watch | {f[p + "_sent_per_s"]} / {f[p + "_late_sends"]} / {f[p + "_failed"]} / {f[p + "_lost"]} |");
            details.Line($"| synclag {via} | the sending call itself (send to answer) p50 / p99 | {f[p + "_call_p50_ms"]} / {f[p + "_call_p99_ms"]} ms |");
            details.Line($"| synclag {via} | split at record.source_time (ShipHero: the connector's receipt; push: the sender's stamp), wall clock: send to source_time p50 / p99; source_time to Watch p50 / p99 | {f[p + "_send_to_receipt_p50_ms"]} / {f[p + "_send_to_receipt_p99_ms"]} ms; {f[p + "_receipt_to_watch_p50_ms"]} / {f[p + "_receipt_to_watch_p99_ms"]} ms |");
            cpu.Line(CpuRow(f, "synclag " + via, p, f[p + "_sent_per_s"]));
        }
        string Peak(string? phase) => facts.Memory.PeakMib(phase, "connector");

        return $"""

            ## warehouse-connector

            Started after the ledger's scenarios, in front of the same ledger and redis-server: a file-drop feed
            polled every second, a ShipHero webhook feed for the load generator's senders and one for the
            warehouse simulator's, and a canonical push feed. "On the ledger's Watch" is counted from the
            ledger's own change stream, filtered to the feed's warehouse, not from the connector's answers.

            | scenario | measured | compared with |
            |---|---|---|
            {results}| Connector memory (whole run) | **peak VmRSS {Peak(null)} MiB**, VmHWM {highWater} MiB | |

            ### warehouse-connector details

            | scenario | figure | value |
            |---|---|---|
            | filedrop csv | records received / applied by the connector (its ListFeeds), dead-lettered | {f["filedrop_csv_connector_received"]} / {f["filedrop_csv_connector_applied"]}, {f["filedrop_csv_dead_lettered"]} |
            | filedrop json | records received / applied by the connector (its ListFeeds), dead-lettered | {f["filedrop_json_connector_received"]} / {f["filedrop_json_connector_applied"]}, {f["filedrop_json_dead_lettered"]} |
            | webhooks | requests in the window by HTTP status (0: no answer) | {f["webhooks_statuses"]} |
            | webhooks | accepted per second from the first send; the first {f["webhooks_warmup_s"]} s are the warm-up (settled, i.e. no longer climbing: {f["webhooks_settled"]}) | {f["webhooks_timeline"]} |
            | webhooks | accepted but not applied / dead-lettered | {f["webhooks_not_applied"]} / {f["webhooks_dead_lettered"]} |
            {details}
            ### warehouse-connector CPU split (cores busy over the measured window, from /proc/PID/stat; {facts.Machine.Cores} cores in all)

            | scenario | ledger | connector | redis-server | simulator | load generator | total | other processes | connector CPU per record | ledger CPU per record | redis CPU per record |
            |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
            {cpu}
            The file drop's window runs from the landing to the last record (it includes the wait for the next
            poll); the others' are the measured seconds. "Other processes": {f.BusyNote(["filedrop_csv", "filedrop_json", "filedrop_messy_csv", "filedrop_messy_json", "webhooks", "webhooks_messy", "connector_health", "synclag_sim", "synclag_webhook", "synclag_push"])}

            ### warehouse-connector memory by phase (VmRSS peak, MiB)

            | idle | filedrop | webhooks | connector /healthz | synclag | whole run | VmHWM at the end |
            |---:|---:|---:|---:|---:|---:|---:|
            | {Peak("connector-idle")} | {Peak("filedrop")} | {Peak("webhooks")} | {Peak("connector-health")} | {Peak("synclag")} | {Peak(null)} | {highWater} |

            ### Where redis-server spends its time in the connector's scenarios (INFO commandstats, top 8 by time)

            | scenario | command | calls | µs/call | share |
            |---|---|---:|---:|---:|
            {BenchReport.CommandRows(facts, "filedrop", "webhooks", "synclag")}
            """;
    }

    private static string CpuRow(Figures f, string label, string p, string perSecond)
        => $"| {label} | {f[p + "_cpu_ledger"]} | {f[p + "_cpu_connector"]} | {f[p + "_cpu_redis"]} | {f[p + "_cpu_sim"]} | {f[p + "_cpu_bench"]} | {f[p + "_cpu_total"]} | {f[p + "_cpu_others"]} | {BenchReport.Micros(f[p + "_cpu_connector"], perSecond)} | {BenchReport.Micros(f[p + "_cpu_ledger"], perSecond)} | {BenchReport.Micros(f[p + "_cpu_redis"], perSecond)} |";
}
