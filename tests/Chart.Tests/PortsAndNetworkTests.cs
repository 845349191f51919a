using System.Text.RegularExpressions;
using Stockcast.ServiceDefaults.Management;

namespace Stockcast.Chart.Tests;

/// <summary>
/// Metrics and health on a management port of their own, which only the monitoring namespace reaches
/// and the Ingress never routes to; the Ingress routes only page and webhook paths.
/// </summary>
public sealed partial class PortsAndNetworkTests
{
    private static readonly string ServiceTemplate = ChartFiles.ReadChartFile("templates", "_service.tpl");
    private static readonly string IngressTemplate = ChartFiles.ReadChartFile("templates", "ingress.yaml");

    public static TheoryData<string, string> RegionsAndServices => ServiceSettingsTests.RegionsAndServices;

    [Theory]
    [MemberData(nameof(RegionsAndServices))]
    public void EveryRegionsReleaseGivesTheServiceTheManagementPortItsPodDeclares(string region, string service)
    {
        var values = ChartFiles.RegionValues(region);
        var ports = values["services"]![service]!["ports"]!;

        var management = ManagementPort.From(ServiceSettings.Rendered(values, service)).Port;

        Assert.Equal((long)ports["management"]!, management);
        Assert.DoesNotContain((long)management, new[] { (long)ports["grpc"]!, (long)ports["http"]! });
    }

    [Fact]
    public void PrometheusScrapesTheManagementPortWhichOnlyTheMonitoringNamespaceReaches()
    {
        Assert.Contains("- name: management\n              containerPort: {{ .svc.ports.management }}", ServiceTemplate);
        Assert.Contains("- name: management\n      port: {{ .svc.ports.management }}\n      targetPort: management", ServiceTemplate);
        Assert.Contains("- port: management\n      path: /metrics", ServiceTemplate);
        Assert.DoesNotContain("port: http\n      path: /metrics", ServiceTemplate);

        var rules = NetworkPolicyRules();
        Assert.Equal("- ports:\n        - port: management\n      from:\n        {{- toYaml . | nindent 8 }}", Assert.Single(rules, r => r.Contains("port: management", StringComparison.Ordinal)));
        Assert.Contains("{{- with $root.Values.networkPolicy.metricsFrom }}", ServiceTemplate);
        // The HTTP port's peers are the service's own (httpFrom), no longer the metrics scrapers too.
        Assert.Contains("{{- $httpFrom := .svc.httpFrom -}}", ServiceTemplate);
        Assert.Equal("monitoring", (string)ChartFiles.DefaultValues()["networkPolicy"]!["metricsFrom"]![0]!["namespaceSelector"]!["matchLabels"]!["kubernetes.io/metadata.name"]!);
    }

    [Fact]
    public void ThePublicRuleOpensOnlyTheHttpPort()
    {
        var open = NetworkPolicyRules().Where(r => !r.Contains("from:", StringComparison.Ordinal)).ToList();

        Assert.Equal("- ports:\n        - port: http", Assert.Single(open));
    }

    [Fact]
    public void TheIngressRoutesOnlyPageAndWebhookPathsToHttpPorts()
    {
        var paths = IngressRoute().Matches(IngressTemplate).Select(m => (Path: m.Groups["path"].Value, Service: m.Groups["service"].Value, Port: m.Groups["port"].Value)).ToList();

        Assert.Equal(
            [("/overlay/", "overlay-broadcast", "$overlay.ports.http"), ("/board/", "overlay-broadcast", "$overlay.ports.http"), ("/webhooks/", "warehouse-connector", "$connector.ports.http")],
            paths);
        Assert.DoesNotContain("ports.management", IngressTemplate, StringComparison.Ordinal);
        Assert.Contains("number: {{ index . 2 }}", IngressTemplate);
        Assert.False((bool)ChartFiles.DefaultValues()["ingress"]!["webhooks"]!, "webhooks are published only where a region asks");
    }

    /// <summary>The NetworkPolicy's ingress rules, as the template writes them.</summary>
    private static List<string> NetworkPolicyRules()
    {
        var policy = ServiceTemplate[ServiceTemplate.IndexOf("define \"stockcast.service.networkPolicy\"", StringComparison.Ordinal)..];
        return RuleStart().Split(policy[policy.IndexOf("  ingress:", StringComparison.Ordinal)..])
            .Skip(1)
            .Select(r => "- ports:" + string.Join('\n', r.Split('\n').TakeWhile(l => !l.TrimStart().StartsWith("{{- ", StringComparison.Ordinal) || l.Contains("toYaml", StringComparison.Ordinal))).TrimEnd())
            .ToList();
    }

    [GeneratedRegex(@"\n\s*- ports:")]
    private static partial Regex RuleStart();

    [GeneratedRegex(@"list ""(?<path>/[^""]*)"" ""(?<service>[a-z-]+)"" (?<port>\$[a-z]+\.ports\.[a-z]+)\)")]
    private static partial Regex IngressRoute();
}
