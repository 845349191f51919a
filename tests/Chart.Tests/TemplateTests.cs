using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Stockcast.Chart.Tests;

public sealed partial class TemplateTests
{
    private static IEnumerable<(string File, string Text)> Templates() =>
        Directory.GetFiles(Path.Combine(ChartFiles.ChartDir, "templates")).Order().Select(f => (Path.GetFileName(f), File.ReadAllText(f)));

    [Fact]
    public void EveryValuesReferenceInTheTemplatesExistsInValuesYaml()
    {
        var values = ChartFiles.DefaultValues();
        var missing = Templates()
            .SelectMany(t => ValuesReference().Matches(t.Text).Select(m => (t.File, Path: m.Groups[1].Value)))
            .Where(r => !Exists(values, r.Path))
            .Select(r => $"{r.File}: .Values{r.Path}")
            .Distinct()
            .ToList();

        Assert.True(missing.Count == 0, "templates read values that values.yaml does not have:" + Environment.NewLine + string.Join(Environment.NewLine, missing));
    }

    [Fact]
    public void EveryServiceValueTheTemplatesReadExistsInEachServiceBlock()
    {
        var services = ChartFiles.DefaultValues()["services"]!.AsObject();
        var paths = Templates().SelectMany(t => ServiceReference().Matches(t.Text).Select(m => m.Groups[1].Value)).Distinct().ToList();
        var missing = services.SelectMany(s => paths.Where(p => !Exists(s.Value!.AsObject(), p)).Select(p => $"services.{s.Key}{p}")).ToList();

        Assert.NotEmpty(paths);
        Assert.True(missing.Count == 0, "service blocks lack values the templates read:" + Environment.NewLine + string.Join(Environment.NewLine, missing));
        Assert.Equal(ChartFiles.Services.Order(), services.Select(s => s.Key).Order());
    }

    [Fact]
    public void OneTemplateRendersEveryServiceByRangingOverTheServices()
    {
        var kinds = new[] { "kind: Deployment\n", "kind: Service\n", "kind: HorizontalPodAutoscaler\n", "kind: PodDisruptionBudget\n", "kind: ServiceMonitor\n", "kind: NetworkPolicy\n" };
        var defining = Templates().Where(t => kinds.Any(t.Text.Contains)).Select(t => t.File).ToList();

        Assert.Equal(["_service.tpl"], defining);
        Assert.Contains("range $name, $svc := .Values.services", ChartFiles.ReadChartFile("templates", "services.yaml"));
        Assert.DoesNotContain(ChartFiles.Services, s => ChartFiles.ReadChartFile("templates", "_service.tpl").Contains(s));
    }

    [Fact]
    public void EveryServiceThatDialsAnotherIsLetInByTheOthersNetworkPolicy()
    {
        var services = ChartFiles.DefaultValues()["services"]!.AsObject();
        var shut = services
            .SelectMany(s => s.Value!["addresses"]!.AsObject().Select(a => (Caller: s.Key, Target: (string)a.Value!)))
            .Where(d => !d.Target.Contains("://", StringComparison.Ordinal))
            .Where(d => !services[d.Target]!["callers"]!.AsArray().Select(c => (string)c!).Contains(d.Caller))
            .Select(d => $"{d.Caller} -> {d.Target}")
            .ToList();

        // Through a headless Service too: the policy selects the pods and their named gRPC port, whichever Service led there.
        Assert.Contains("- port: grpc", ChartFiles.ReadChartFile("templates", "_service.tpl"));
        Assert.True(shut.Count == 0, "callers the target's NetworkPolicy keeps out: " + string.Join(", ", shut));
    }

    [Fact]
    public void PodsAreHardenedAndProbedOverGrpcHealth()
    {
        var deployment = ChartFiles.ReadChartFile("templates", "_service.tpl");

        foreach (var expected in new[] { "runAsNonRoot: true", "readOnlyRootFilesystem: true", "allowPrivilegeEscalation: false", "drop: [ALL]", "type: RuntimeDefault", "grpc:\n              port:", "service: liveness", "preStop:", "terminationGracePeriodSeconds:" })
        {
            Assert.Contains(expected, deployment);
        }
    }

    [Fact]
    public void ThePrometheusRuleAndDashboardEmbedTheirPlainFiles()
    {
        Assert.Contains(".Files.Get \"rules/stockcast.rules.yaml\"", ChartFiles.ReadChartFile("templates", "prometheusrule.yaml"));
        Assert.Contains(".Files.Get \"dashboards/stockcast.json\"", ChartFiles.ReadChartFile("templates", "grafana-dashboard.yaml"));
        Assert.True(File.Exists(Path.Combine(ChartFiles.ChartDir, "rules", "stockcast.rules.yaml")));
        Assert.NotNull(JsonNode.Parse(ChartFiles.ReadChartFile("dashboards", "stockcast.json"))?["panels"]);
    }

    private static bool Exists(JsonObject root, string dottedPath)
    {
        JsonNode? node = root;
        foreach (var part in dottedPath.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            if (node is not JsonObject obj || !obj.ContainsKey(part))
            {
                return false;
            }
            node = obj[part];
        }
        return true;
    }

    [GeneratedRegex(@"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")]
    private static partial Regex ValuesReference();

    [GeneratedRegex(@"\.svc((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")]
    private static partial Regex ServiceReference();
}
