using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using k8s;
using k8s.Models;

namespace Stockcast.Chart.Tests;

/// <summary>One region's chart as `helm template` renders it, each built-in object parsed strictly into its
/// KubernetesClient model (an unknown field fails), the custom resources named.</summary>
public sealed record Rendered(string Region, IReadOnlyList<IKubernetesObject<V1ObjectMeta>> Objects, IReadOnlyList<(string Kind, string Text)> CustomResources)
{
    public IEnumerable<T> All<T>() => Objects.OfType<T>();
}

/// <summary>
/// Renders the chart with the pinned helm that `make chart-lint` fetches (tools/pinned/fetch.sh, at
/// .build/helm/bin/helm; STOCKCAST_HELM names another), once per region per test run.
/// </summary>
public static partial class RenderedChart
{
    /// <summary>Custom resources the chart renders (their CRDs are not KubernetesClient models): apiVersion/kind.</summary>
    public static readonly string[] CustomKinds = ["monitoring.coreos.com/v1/ServiceMonitor", "monitoring.coreos.com/v1/PrometheusRule", "dapr.io/v1alpha1/Component"];

    private static readonly ConcurrentDictionary<string, Lazy<Rendered>> Cache = new();

    public static string Helm => Environment.GetEnvironmentVariable("STOCKCAST_HELM") is { Length: > 0 } helm ? helm : Path.Combine(ChartFiles.RepoRoot, ".build", "helm", "bin", "helm");

    public static Rendered Of(string region) => Cache.GetOrAdd(region, r => new Lazy<Rendered>(() => Parse(r, Template(r)))).Value;

    /// <summary>`helm template` of the region's values; <paramref name="extra"/> goes on the command line. Throws with helm's message when it fails.</summary>
    public static string Template(string region, params string[] extra)
    {
        if (!File.Exists(Helm))
        {
            throw new InvalidOperationException($"no helm at {Helm}: `make chart-lint` (tools/pinned/fetch.sh) fetches the pinned one");
        }
        var start = new ProcessStartInfo(Helm, ["template", $"stockcast-{region}", ChartFiles.ChartDir, "-f", Path.Combine(ChartFiles.ChartDir, $"values-{region}.yaml"), "--namespace", "stockcast", .. extra])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var helm = Process.Start(start)!;
        var error = helm.StandardError.ReadToEndAsync();
        var output = helm.StandardOutput.ReadToEnd();
        helm.WaitForExit();
        return helm.ExitCode == 0 ? output : throw new InvalidOperationException($"helm template failed for {region}: {error.Result}");
    }

    /// <summary>Rendered YAML as objects: built-in kinds strictly into their models, the <see cref="CustomKinds"/> as text; any other kind fails.</summary>
    public static Rendered Parse(string region, string yaml)
    {
        var objects = new List<IKubernetesObject<V1ObjectMeta>>();
        var custom = new List<(string, string)>();
        foreach (var document in DocumentSeparator().Split(yaml).Where(d => Kind().IsMatch(d)))
        {
            var kind = $"{ApiVersion().Match(document).Groups[1].Value.Trim()}/{Kind().Match(document).Groups[1].Value.Trim()}";
            if (CustomKinds.Contains(kind))
            {
                custom.Add((kind, document));
                continue;
            }
            // strict: a field the model does not know (a typo, a field of another API version) fails here.
            objects.Add((IKubernetesObject<V1ObjectMeta>)KubernetesYaml.LoadAllFromString(document, strict: true).Single());
        }
        return new Rendered(region, objects, custom);
    }

    [GeneratedRegex(@"^---\s*$", RegexOptions.Multiline)]
    private static partial Regex DocumentSeparator();

    [GeneratedRegex(@"^kind:\s*(\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex Kind();

    [GeneratedRegex(@"^apiVersion:\s*(\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex ApiVersion();
}
