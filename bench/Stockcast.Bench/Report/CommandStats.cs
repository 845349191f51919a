using System.Globalization;
using System.Text;

namespace Stockcast.Bench.Report;

/// <summary>Where redis-server spent its time in a scenario: its INFO commandstats, top commands by time.</summary>
public static class CommandStats
{
    private const int Top = 8;

    /// <summary>Markdown rows "| scenario | command | calls | µs/call | share |" (none when Redis did not answer).</summary>
    public static string Rows(string scenario, string info)
    {
        // cmdstat_evalsha:calls=2555,usec=14306603,usec_per_call=5599.45,rejected_calls=0,failed_calls=0
        var commands = info.Split('\n', StringSplitOptions.TrimEntries)
            .Where(line => line.StartsWith("cmdstat_", StringComparison.Ordinal))
            .Select(line =>
            {
                var fields = line["cmdstat_".Length..].Split(':', 2);
                var values = fields[1].Split(',').Select(f => f.Split('=', 2)).ToDictionary(f => f[0], f => f[1], StringComparer.Ordinal);
                return (Name: fields[0].Replace('|', '/'), Calls: values["calls"], Micros: double.Parse(values["usec"], CultureInfo.InvariantCulture), PerCall: values["usec_per_call"]);
            })
            .ToList();
        var total = commands.Sum(c => c.Micros);
        var rows = new StringBuilder();
        foreach (var c in commands.OrderByDescending(c => c.Micros).Take(Top))
        {
            var share = total > 0 ? 100 * c.Micros / total : 0;
            rows.Append(CultureInfo.InvariantCulture, $"| {scenario} | {c.Name} | {c.Calls} | {c.PerCall} | {share:F1}% |\n");
        }
        return rows.ToString();
    }
}
