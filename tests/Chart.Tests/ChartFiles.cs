using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;
using YamlDotNet.RepresentationModel;

namespace Stockcast.Chart.Tests;

/// <summary>The chart's files, read as Helm reads them: YAML values merged over values.yaml, checked by values.schema.json.</summary>
public static partial class ChartFiles
{
    public static readonly string RepoRoot = FindRepoRoot();
    public static readonly string ChartDir = Path.Combine(RepoRoot, "charts", "stockcast");
    public static readonly string[] Regions = ["us", "eu", "sea"];
    public static readonly string[] Services = ["stock-ledger", "warehouse-connector", "alerting", "overlay-broadcast"];

    private static readonly Lazy<JsonSchema> LazySchema = new(() => JsonSchema.FromText(File.ReadAllText(Path.Combine(ChartDir, "values.schema.json"))));

    public static JsonSchema Schema => LazySchema.Value;

    public static JsonObject DefaultValues() => LoadYaml(Path.Combine(ChartDir, "values.yaml"));

    /// <summary>values.yaml with a region's file on top, as `helm install -f values-REGION.yaml` sees them.</summary>
    public static JsonObject RegionValues(string region) => Merge(DefaultValues(), LoadYaml(Path.Combine(ChartDir, $"values-{region}.yaml")));

    /// <summary>values.yaml with an overlay given as YAML text on top.</summary>
    public static JsonObject ValuesWith(string overlayYaml) => Merge(DefaultValues(), ParseYaml(overlayYaml));

    public static JsonObject LoadYaml(string path) => ParseYaml(File.ReadAllText(path));

    public static JsonObject ParseYaml(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents.Count == 0 ? [] : ToJson(stream.Documents[0].RootNode) as JsonObject ?? [];
    }

    /// <summary>The schema's verdict, with every error's location for the assertion message.</summary>
    public static (bool Valid, string Errors) Validate(JsonNode values)
    {
        using var document = JsonDocument.Parse(values.ToJsonString());
        var result = Schema.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (result.IsValid)
        {
            return (true, "");
        }
        var errors = (result.Details ?? [])
            .Where(d => !d.IsValid)
            .Select(d => $"{d.InstanceLocation} ({d.EvaluationPath}): {string.Join("; ", d.Errors?.Values.AsEnumerable() ?? [])}")
            .Distinct();
        return (false, string.Join(Environment.NewLine, errors));
    }

    /// <summary>Helm's merge: maps merge key by key, anything else (lists too) is replaced, null removes.</summary>
    public static JsonObject Merge(JsonObject baseValues, JsonObject overlay)
    {
        var merged = (JsonObject)baseValues.DeepClone();
        foreach (var (key, value) in overlay)
        {
            if (value is null)
            {
                merged.Remove(key);
            }
            else if (value is JsonObject child && merged[key] is JsonObject existing)
            {
                merged[key] = Merge(existing, child);
            }
            else
            {
                merged[key] = value.DeepClone();
            }
        }
        return merged;
    }

    public static string ReadChartFile(params string[] path) => File.ReadAllText(Path.Combine([ChartDir, .. path]));

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value ?? "", ToJson(c.Value)))),
        YamlSequenceNode list => new JsonArray(list.Children.Select(ToJson).ToArray()),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new NotSupportedException(node.NodeType.ToString()),
    };

    // YAML's core schema, as Helm reads plain scalars: null, booleans, integers, floats; quoted = string.
    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style is not YamlDotNet.Core.ScalarStyle.Plain)
        {
            return JsonValue.Create(text);
        }
        if (text is "" or "~" || text.Equals("null", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        if (text.Equals("true", StringComparison.OrdinalIgnoreCase) || text.Equals("false", StringComparison.OrdinalIgnoreCase))
        {
            return JsonValue.Create(text.Equals("true", StringComparison.OrdinalIgnoreCase));
        }
        if (IntegerPattern().IsMatch(text) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return JsonValue.Create(integer);
        }
        if (FloatPattern().IsMatch(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real))
        {
            return JsonValue.Create(real);
        }
        return JsonValue.Create(text);
    }

    [GeneratedRegex("^[-+]?[0-9]+$")]
    private static partial Regex IntegerPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Microservices.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Microservices.sln not found above " + AppContext.BaseDirectory);
    }
}
