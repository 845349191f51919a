using System.Globalization;
using System.Text;

namespace Stockcast.Bench.Report;

/// <summary>bench/results/latest.md: the machine, the Redis ceiling, then each part that ran, goal by goal.</summary>
public static class BenchReport
{
    public static string Write(RunFacts facts)
    {
        var report = new StringBuilder();
        report.Append(LedgerSection.Write(facts));
        if (facts.Knobs.Runs("connector"))
        {
            report.Append(ConnectorSection.Write(facts));
        }
        if (facts.Knobs.Runs("alerting"))
        {
            report.Append(AlertingSection.Write(facts));
        }
        if (facts.Knobs.Runs("overlay"))
        {
            report.Append(OverlaySection.Write(facts));
        }
        if (facts.Knobs.Runs("path"))
        {
            report.Append(PathSection.Write(facts));
        }
        if (facts.Knobs.Runs("cluster"))
        {
            report.Append(ClusterSection.Write(facts));
        }
        if (facts.Knobs.Runs("soak"))
        {
            report.Append(SoakSection.Write(facts));
        }
        if (facts.Failed.Count > 0)
        {
            report.Append(CultureInfo.InvariantCulture, $"\n**Scenarios that failed to run: {string.Join(' ', facts.Failed)}** (see the console output of this run).\n");
        }
        return report.ToString();
    }

    /// <summary>Whether a goal was missed (BENCH_STRICT=1 makes that the exit code).</summary>
    public static bool MissesAGoal(string report) => report.Contains("**FAIL", StringComparison.Ordinal);

    /// <summary>The CPU split's "per unit" cell: cores / rate in µs, with its unit.</summary>
    internal static string Micros(string cores, string rate, string unit = " µs") => Figures.PerUnitMicros(cores, rate) + unit;

    /// <summary>One row of a table being built.</summary>
    internal static void Line(this StringBuilder builder, string line) => builder.Append(line).Append('\n');

    /// <summary>INFO commandstats rows of several scenarios, one table.</summary>
    internal static string CommandRows(RunFacts facts, params string[] scenarios)
        => string.Concat(scenarios.Select(s => CommandStats.Rows(s, facts.CommandStatsOf(s))));
}
