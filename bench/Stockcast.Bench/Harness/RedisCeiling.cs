using System.Globalization;
using Stockcast.Launch;

namespace Stockcast.Bench.Harness;

/// <summary>
/// redis-benchmark's SET, GET and INCR on the run's own redis-server, unpipelined and with -P 16,
/// before anything else runs: the ceiling the report compares the services' figures with.
/// </summary>
public sealed class RedisCeiling
{
    public static readonly string[] Tests = ["SET", "GET", "INCR"];
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(180);
    private readonly Dictionary<string, string> _figures = new(StringComparer.Ordinal);

    /// <summary>A figure ("rps", "p50", "p99") of a test, "plain" or "p16"; null when it did not run.</summary>
    public string? Figure(string label, string test, string figure) => _figures.GetValueOrDefault($"{label}.{test}.{figure}");

    public static async Task<RedisCeiling> MeasureAsync(RedisServer redis, string requests)
    {
        var ceiling = new RedisCeiling();
        foreach (var (label, extra) in new[] { ("plain", Array.Empty<string>()), ("p16", ["-P", "16"]) })
        {
            Console.WriteLine($"bench: redis-benchmark {label}");
            var csv = await Tool.OutputAsync("redis-benchmark",
                ["-h", "127.0.0.1", "-p", redis.Port.ToString(CultureInfo.InvariantCulture), "--csv", "-t", "set,get,incr", "-n", requests, .. extra], Bound);
            ceiling.Read(label, csv);
        }
        return ceiling;
    }

    /// <summary>Rows of "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms".</summary>
    private void Read(string label, string csv)
    {
        foreach (var line in csv.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var fields = line.Split(',').Select(f => f.Trim('"')).ToArray();
            if (fields.Length < 7 || fields[0] is "test" or "")
            {
                continue;
            }
            _figures[$"{label}.{fields[0]}.rps"] = fields[1];
            _figures[$"{label}.{fields[0]}.p50"] = fields[4];
            _figures[$"{label}.{fields[0]}.p99"] = fields[6];
        }
    }
}
