using System.Globalization;
using System.Text;
using static Stockcast.Bench.Report.Figures;

namespace Stockcast.Bench.Report;

/// <summary>The overlay-broadcast fan-out's part: it ran last, following the same ledger, on the same Redis.</summary>
public static class OverlaySection
{
    private static readonly string[] WarmupSteps = ["sse:2000:10", "ws:2000:10"];

    public static string Write(RunFacts facts)
    {
        var (f, k) = (facts.Figures, facts.Knobs);
        var highWater = facts.HighWaterMib("overlay");
        var steps = Steps(k.FanoutSteps).ToList();
        var viewers = new StringBuilder();
        var cpu = new StringBuilder();
        foreach (var (transport, clients, rooms) in steps)
        {
            var p = $"fanout_{transport}_{clients}_r{rooms}_";
            if (!f.Seen(p + "clients"))
            {
                continue;
            }
            var ceiling = transport == "ceiling";
            var server = f[p + (ceiling ? "cpu_ceiling" : "cpu_overlay")];
            var verdict = !ceiling && int.Parse(clients, CultureInfo.InvariantCulture) >= Goals.FanoutViewers
                ? $"p99 {AtMost(f[p + "p99_ms"], Goals.FanoutP99Ms)}, memory {AtMost(f[p + "rss_end_mib"], Goals.FanoutRssMib)}"
                : "-";
            viewers.Line($"| {clients} {transport.ToUpperInvariant()} | {rooms} | {Connected(f, p)} | {Delivery(f, p)} (the last {f[p + "final_last_ms"]} ms after its ack) | {f[p + "rss_before_mib"]} → {f[p + "rss_connected_mib"]} MiB ({f[p + "kib_per_client"]} KiB; {f[p + "kib_per_client_from_idle"]} KiB from idle), {f[p + "rss_end_mib"]} MiB at the end | {verdict} |");
            cpu.Line($"| {clients} {transport.ToUpperInvariant()} | {rooms} | {f[p + "deliveries_per_s"]} | {f[p + "room_updates_per_s"]} | {server} | {f[p + "cpu_ledger"]} | {f[p + "cpu_redis"]} | {f[p + "cpu_bench"]} | {f[p + "cpu_others"]} | {BenchReport.Micros(server, f[p + "deliveries_per_s"])} | {f[p + "send_p50_ms"]} / {f[p + "send_p99_ms"]} ms | {f[p + "before_ack"]} / {f[p + "out_of_order"]} / {f[p + "refused"]} ({f[p + "first_refusal"]}) / {f[p + "writer_late_changes"]} |");
        }
        var ratios = new StringBuilder();
        foreach (var (_, clients, rooms) in steps.Where(x => x.Transport == "ceiling"))
        {
            var (sse, bare) = ($"fanout_sse_{clients}_r{rooms}_", $"fanout_ceiling_{clients}_r{rooms}_");
            if (f.Seen(sse + "clients") && f.Seen(bare + "clients"))
            {
                ratios.Line($"| {clients} SSE, {rooms} rooms | {BenchReport.Micros(f[sse + "cpu_overlay"], f[sse + "deliveries_per_s"])} | {BenchReport.Micros(f[bare + "cpu_ceiling"], f[bare + "deliveries_per_s"])} | {Ratio(f[sse + "cpu_overlay"], f[sse + "deliveries_per_s"], f[bare + "cpu_ceiling"], f[bare + "deliveries_per_s"])} | {f[sse + "p99_ms"]} ms | {f[bare + "p99_ms"]} ms |");
            }
        }
        foreach (var (transport, clients, rooms) in Steps(string.Join(',', WarmupSteps)))
        {
            var p = $"fanout_warmup_{transport}_{clients}_r{rooms}_";
            if (f.Seen(p + "clients"))
            {
                viewers.Line($"| warm-up (the overlay's first load since it started, on unoptimised code at first): {clients} {transport.ToUpperInvariant()} | {rooms} | {Connected(f, p)} | {Delivery(f, p)} | {f[p + "rss_before_mib"]} → {f[p + "rss_connected_mib"]} MiB, {f[p + "rss_end_mib"]} MiB at the end | (not measured against the goal) |");
            }
        }

        return $"""

            ## overlay-broadcast fan-out

            Started last, following the same ledger's Watch, on the same redis-server; load average {facts.FanoutLoadAtStart} at
            the start of the scenario, {facts.FanoutLoadAtEnd} at its end. {f["fanout_rooms_live_s"]} s from the rooms' creation until
            every room showed its seeded figure; the overlay's VmRSS then: {f["fanout_overlay_idle_rss_mib"]} MiB. Each step opens
            its viewers on raw loopback sockets (at most 200 connecting at once), spread evenly over its rooms (each room: 3
            featured SKUs, the first changing), then the ledger takes one change per room {k.FanoutRate} times a second for
            {k.Seconds} s after a 2 s warm-up (the rooms' changes spread evenly over each interval). Two warm-up steps
            (2,000 SSE, then 2,000 WebSocket viewers on 10 rooms) run first; they are reported last. Latency = the value's arrival at a viewer - the arrival of the ledger's
            acknowledgement of the change, both in the load generator (which shares the cores).

            | viewers | rooms | connected (all connected / all showing the room) | connect per viewer p50 / p99 / max | delivery p50 / p90 / **p99** / max | delivered; final value on | overlay VmRSS before → connected (per viewer) | goal (10,000 viewers: p99 < {Format(Goals.FanoutP99Ms)} ms, overlay < 1 GiB) |
            |---|---:|---|---|---|---|---|---|
            {viewers}
            Overlay memory over the whole run: peak VmRSS {facts.Memory.PeakMib(null, "overlay")} MiB, VmHWM {highWater} MiB.

            ### overlay-broadcast fan-out details and CPU (cores busy over the measured window; {facts.Machine.Cores} cores in all)

            | viewers | rooms | deliveries/s | room updates/s | overlay | ledger | redis-server | load generator | other processes | overlay CPU per delivery | send → viewer p50 / p99 | arrived before the ack / out of order / refused / changes written > 5 ms late |
            |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|
            {cpu}
            "Other processes": {f.BusyNote(steps.Select(s => $"fanout_{s.Transport}_{s.Clients}_r{s.Rooms}"))}
            A CEILING row is the same SSE viewers on a bare Kestrel writer (bench/Stockcast.Bench/Ceiling) sent the overlay's frame for
            each change; its CPU column is that writer's, and its latency counts from its answer to the post of the frame.

            | fan-out against its ceiling, same run | overlay CPU per delivery | bare Kestrel CPU per delivery | ratio (overlay / ceiling) | overlay p99 | ceiling p99 |
            |---|---:|---:|---:|---:|---:|
            {ratios}

            """;
    }

    /// <summary>FANOUT_STEPS' "transport:viewers:rooms" entries, as given.</summary>
    private static IEnumerable<(string Transport, string Clients, string Rooms)> Steps(string list)
        => list.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(step => step.Split(':')).Where(parts => parts.Length == 3).Select(parts => (parts[0], parts[1], parts[2]));

    private static string Ratio(string cores, string perSecond, string ceilingCores, string ceilingPerSecond)
    {
        static double Per(string c, string r) => double.Parse(c, CultureInfo.InvariantCulture) / double.Parse(r, CultureInfo.InvariantCulture);
        try
        {
            return (Per(cores, perSecond) / Per(ceilingCores, ceilingPerSecond)).ToString("F2", CultureInfo.InvariantCulture) + "×";
        }
        catch (FormatException)
        {
            return "-";
        }
    }

    private static string Connected(Figures f, string p)
        => $"{f[p + "connected"]} ({f[p + "connect_s"]} s / {f[p + "all_showing_s"]} s) | {f[p + "connect_p50_ms"]} / {f[p + "connect_p99_ms"]} / {f[p + "connect_max_ms"]} ms";

    private static string Delivery(Figures f, string p)
        => $"{f[p + "p50_ms"]} / {f[p + "p90_ms"]} / **{f[p + "p99_ms"]}** / {f[p + "max_ms"]} ms | {f[p + "delivered_fraction"]} of {f[p + "expected"]}; final on {f[p + "final_fraction"]} of viewers";
}
