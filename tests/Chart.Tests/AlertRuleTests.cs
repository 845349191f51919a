using System.Diagnostics;
using System.Text.RegularExpressions;
using Stockcast.Testing;

namespace Stockcast.Chart.Tests;

public sealed partial class AlertRuleTests
{
    private static readonly string RulesDir = Path.Combine(ChartFiles.ChartDir, "rules");

    [Fact]
    [Trait(Lane.Name, Lane.Slow)]
    public void PromtoolAcceptsTheAlertRules() => Promtool("check", "rules", "stockcast.rules.yaml");

    [Fact]
    [Trait(Lane.Name, Lane.Slow)]
    public void PromtoolUnitTestsOfTheAlertRulesPass() => Promtool("test", "rules", "stockcast.rules.test.yaml");

    [Fact]
    public void TheIssuesAlertsAreAllThere()
    {
        var alerts = AlertNames();

        Assert.Superset(new HashSet<string>
        {
            "StockcastSyncLagHigh", "StockcastWarehouseFeedStale", "StockcastLedgerUnavailable", "StockcastOverlayUnavailable",
            "StockcastWatchSubscribersDropping", "StockcastDeadLettersGrowing", "StockcastRedisErrors", "StockcastWarehouseFeedDegraded",
        }, alerts.ToHashSet());
    }

    [Fact]
    public void EveryAlertHasARunbookSection()
    {
        var runbook = File.ReadAllText(Path.Combine(ChartFiles.RepoRoot, "docs", "runbook.md"));
        var rules = File.ReadAllText(Path.Combine(RulesDir, "stockcast.rules.yaml"));

        foreach (var alert in AlertNames())
        {
            Assert.Contains($"\n## {alert}\n", runbook);
            Assert.Contains($"runbook_url: docs/runbook.md#{alert.ToLowerInvariant()}", rules);
            foreach (var part in new[] { "What it means", "Impact on a live seller", "How to check", "What to do" })
            {
                var section = runbook[runbook.IndexOf($"\n## {alert}\n", StringComparison.Ordinal)..];
                var end = section.IndexOf("\n## ", 4, StringComparison.Ordinal);
                Assert.Contains(part, end < 0 ? section : section[..end]);
            }
        }
    }

    [Fact]
    public void AlertRulesAndTheDashboardUseOnlyMetricsTheServicesExport()
    {
        var exported = Directory.GetFiles(Path.Combine(ChartFiles.RepoRoot, "services"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => ExportedMetric().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value))
            .ToHashSet();
        var used = new[] { Path.Combine(RulesDir, "stockcast.rules.yaml"), Path.Combine(ChartFiles.ChartDir, "dashboards", "stockcast.json") }
            .SelectMany(f => UsedMetric().Matches(File.ReadAllText(f)).Select(m => (File: Path.GetFileName(f), Metric: m.Value)))
            .Where(u => u.Metric != "stockcast_service") // the label the ServiceMonitors add
            .Distinct();

        var unknown = used.Where(u => !exported.Contains(u.Metric) && !exported.Contains(HistogramSeries().Replace(u.Metric, ""))).ToList();

        Assert.Contains("stockcast_redis_errors_total", exported);
        Assert.True(unknown.Count == 0, "metrics no service exports: " + string.Join(", ", unknown));
    }

    private static List<string> AlertNames() =>
        AlertName().Matches(File.ReadAllText(Path.Combine(RulesDir, "stockcast.rules.yaml"))).Select(m => m.Groups[1].Value).ToList();

    private static void Promtool(params string[] args)
    {
        var start = new ProcessStartInfo("promtool") { WorkingDirectory = RulesDir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Assert.Fail("promtool is not installed: `make deps` installs Debian's prometheus package");
            return;
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), "promtool did not finish in 2 minutes");
            Assert.True(process.ExitCode == 0, $"promtool {string.Join(' ', args)} failed:{Environment.NewLine}{stdout.Result}{stderr.Result}");
        }
    }

    [GeneratedRegex(@"- alert: (\w+)")]
    private static partial Regex AlertName();

    [GeneratedRegex("\"(stockcast_[a-z0-9_]+|grpc_server_[a-z_]+)\"")]
    private static partial Regex ExportedMetric();

    [GeneratedRegex(@"\b(stockcast_[a-z0-9_]+|grpc_server_[a-z_]+)\b")]
    private static partial Regex UsedMetric();

    [GeneratedRegex("_(bucket|sum|count)$")]
    private static partial Regex HistogramSeries();
}
