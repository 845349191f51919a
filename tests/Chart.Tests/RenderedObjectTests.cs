using k8s.Models;

namespace Stockcast.Chart.Tests;

/// <summary>The chart as a cluster would receive it: every region rendered by the pinned helm and checked as Kubernetes objects.</summary>
public sealed class RenderedObjectTests
{
    public static TheoryData<string> Regions => [.. ChartFiles.Regions];

    private static string Component(V1ObjectMeta metadata) => metadata.Labels["app.kubernetes.io/component"];

    [Theory]
    [MemberData(nameof(Regions))]
    public void EveryRenderedObjectParsesStrictlyAsItsKindAndEveryServiceHasItsDeployment(string region)
    {
        var rendered = RenderedChart.Of(region);

        Assert.Equal(ChartFiles.Services.Order(), rendered.All<V1Deployment>().Select(d => Component(d.Metadata)).Order());
        Assert.Contains("monitoring.coreos.com/v1/PrometheusRule", rendered.CustomResources.Select(c => c.Kind));
        Assert.All(rendered.Objects, o => Assert.StartsWith($"stockcast-{region}", o.Metadata.Name, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Regions))]
    public void EveryPodRunsAsNonRootOnAReadOnlyRootWithEveryCapabilityDropped(string region)
    {
        foreach (var deployment in RenderedChart.Of(region).All<V1Deployment>())
        {
            var pod = deployment.Spec.Template.Spec;
            Assert.True(pod.SecurityContext.RunAsNonRoot, deployment.Metadata.Name);
            Assert.Equal("RuntimeDefault", pod.SecurityContext.SeccompProfile.Type);
            Assert.False(pod.AutomountServiceAccountToken, deployment.Metadata.Name);
            Assert.All(pod.Containers, container =>
            {
                Assert.True(container.SecurityContext.ReadOnlyRootFilesystem, container.Name);
                Assert.False(container.SecurityContext.AllowPrivilegeEscalation, container.Name);
                Assert.Equal(["ALL"], container.SecurityContext.Capabilities.Drop);
            });
        }
    }

    [Theory]
    [MemberData(nameof(Regions))]
    public void EveryContainerHasNativeGrpcProbesOnItsGrpcPortAndRequestsAndAMemoryLimit(string region)
    {
        foreach (var deployment in RenderedChart.Of(region).All<V1Deployment>())
        {
            var container = Assert.Single(deployment.Spec.Template.Spec.Containers);
            var grpc = container.Ports.Single(p => p.Name == "grpc").ContainerPort;
            Assert.Equal(grpc, container.ReadinessProbe.Grpc.Port);
            Assert.Equal(grpc, container.LivenessProbe.Grpc.Port);
            Assert.Contains("cpu", container.Resources.Requests.Keys);
            Assert.Contains("memory", container.Resources.Requests.Keys);
            Assert.Contains("memory", container.Resources.Limits.Keys);
            Assert.True(container.Resources.Limits["memory"].ToInt64() >= container.Resources.Requests["memory"].ToInt64(), deployment.Metadata.Name);
        }
    }

    [Theory]
    [MemberData(nameof(Regions))]
    public void DisruptionBudgetsAutoscalersAndNetworkPoliciesSelectTheirServicesPods(string region)
    {
        var rendered = RenderedChart.Of(region);
        var pods = rendered.All<V1Deployment>().ToDictionary(d => d.Metadata.Name, d => d.Spec.Template.Metadata.Labels);
        bool Selects(IDictionary<string, string> selector) => pods.Values.Count(labels => selector.All(s => labels.TryGetValue(s.Key, out var v) && v == s.Value)) == 1;

        Assert.All(rendered.All<V1PodDisruptionBudget>(), pdb => Assert.True(Selects(pdb.Spec.Selector.MatchLabels), pdb.Metadata.Name));
        Assert.All(rendered.All<V2HorizontalPodAutoscaler>(), hpa => Assert.Contains(hpa.Spec.ScaleTargetRef.Name, pods.Keys));
        // Every service's pods have their own policy, each admitting traffic only from named peers.
        var policies = rendered.All<V1NetworkPolicy>().ToList();
        Assert.All(policies, policy => Assert.True(Selects(policy.Spec.PodSelector.MatchLabels), policy.Metadata.Name));
        Assert.Equal(pods.Count, policies.Count);
        Assert.All(policies, policy => Assert.Contains("Ingress", policy.Spec.PolicyTypes));
        Assert.NotEmpty(rendered.All<V1PodDisruptionBudget>());
    }

    [Fact]
    public void AFieldItsKindDoesNotHaveFailsTheParse()
    {
        const string Typo = """
            apiVersion: v1
            kind: Service
            metadata:
              name: stockcast-us-typo
            spec:
              prots: [{ port: 5101 }]
            """;

        Assert.ThrowsAny<Exception>(() => RenderedChart.Parse("us", Typo));
        Assert.Single(RenderedChart.Parse("us", Typo.Replace("prots", "ports", StringComparison.Ordinal)).Objects);
    }

    [Fact]
    public void TheChartRefusesAClusterOlderThanItsKubeVersion()
    {
        var refused = Assert.Throws<InvalidOperationException>(() => RenderedChart.Template("us", "--kube-version", "1.29.0"));

        Assert.Contains("requires kubeVersion", refused.Message, StringComparison.Ordinal);
        Assert.NotEmpty(RenderedChart.Template("us", "--kube-version", "1.30.0"));
    }

    [Theory]
    [MemberData(nameof(Regions))]
    public void EveryAlertLinksItsRunbookSectionAtTheConfiguredBase(string region)
    {
        var rules = RenderedChart.Of(region).CustomResources.Single(c => c.Kind == "monitoring.coreos.com/v1/PrometheusRule").Text;
        var links = System.Text.RegularExpressions.Regex.Matches(rules, @"runbook_url:\s*(\S+)").Select(m => m.Groups[1].Value).ToList();
        var overridden = RenderedChart.Template(region, "--set", "metrics.prometheusRule.runbookBaseUrl=https://docs.example.com/stockcast/");

        Assert.NotEmpty(links);
        Assert.All(links, link => Assert.Matches(@"^https://example\.invalid/stockcast/blob/main/docs/runbook\.md#stockcast[a-z]+$", link));
        Assert.Contains("runbook_url: https://docs.example.com/stockcast/docs/runbook.md#", overridden, StringComparison.Ordinal);
        Assert.DoesNotContain("runbook_url: docs/", overridden, StringComparison.Ordinal);
    }
}
