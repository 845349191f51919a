using System.Globalization;
using System.Text;
using Stockcast.Bench.Harness;
using static Stockcast.Bench.Report.Figures;

namespace Stockcast.Bench.Report;

/// <summary>
/// The cluster part (BENCH_PARTS=...,cluster): the apply scenario on three ledgers at once, one per
/// namespace, each namespace's hash tag on a different primary of a local Redis Cluster: events/s and
/// CPU per shard (its ledger, its Redis node), beside the single-node apply of the same run.
/// </summary>
public static class ClusterSection
{
    public static string Write(RunFacts facts)
    {
        var f = facts.Figures;
        var rows = new StringBuilder();
        double total = 0;
        for (var i = 0; i < RedisClusterUnderTest.Primaries; i++)
        {
            var p = RedisClusterUnderTest.ShardName(i) + "_";
            total += IsNumber(f[p + "events_per_s"]) ? Parse(f[p + "events_per_s"]) : 0;
            rows.Append(CultureInfo.InvariantCulture, $"| shard {i} | {f[p + "streams"]} | **{f[p + "events_per_s"]}** | {f[p + "events_not_applied"]} | {f[p + "ack_p99_ms"]} ms | {f[p + "cpu_ledger"]} | {f[p + "cpu_redis"]} | {BenchReport.Micros(f[p + "cpu_redis"], f[p + "events_per_s"], " µs/event")} | {f[p + "cpu_bench"]} |\n");
        }
        var single = f["apply_events_per_s"];
        return $"""

            ## Apply on a three-primary Redis Cluster: one ledger per shard

            Three ledgers, each with its own namespace (all of one ledger's keys carry its hash tag, so each runs on
            one primary: its revision order needs one ordering point), the three hash tags on three different
            primaries; the apply scenario runs against all three at once ({facts.Knobs.ClusterStreams} streams each), on the same cores as everything else.

            | shard | streams | events/s applied | not applied | ack p99 | ledger cores | its Redis node's cores | Redis CPU per event | load generator cores |
            |---|---:|---:|---:|---:|---:|---:|---:|---:|
            {rows}
            In all: **{Format(Math.Round(total))} events/s** over the three shards; the single-node apply of this run: {single} events/s ({Ratio(Format(total), single)}).
            """;
    }
}
