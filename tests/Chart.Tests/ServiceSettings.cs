using System.Collections;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;

namespace Stockcast.Chart.Tests;

/// <summary>
/// What each service reads (its options classes, found by their <c>Section</c> constant) and what the
/// chart gives it: the settings file from <c>config</c> (+ the region's warehouses) and the env vars of
/// templates/_service.tpl (Redis, Kestrel, shutdown, addresses, peers, API keys, secretConfig).
/// </summary>
public static class ServiceSettings
{
    private static readonly Assembly Defaults = typeof(Stockcast.ServiceDefaults.GrpcHostOptions).Assembly;

    public static Assembly AssemblyOf(string service) => service switch
    {
        "stock-ledger" => typeof(Stockcast.Ledger.LedgerOptions).Assembly,
        "warehouse-connector" => typeof(Stockcast.Connector.ConnectorOptions).Assembly,
        "alerting" => typeof(Stockcast.Alerting.AlertingOptions).Assembly,
        "overlay-broadcast" => typeof(Stockcast.Overlay.OverlayOptions).Assembly,
        _ => throw new ArgumentOutOfRangeException(nameof(service), service, null),
    };

    /// <summary>Every options class the service binds: section name -> type.</summary>
    public static IReadOnlyDictionary<string, Type> OptionsOf(string service) =>
        new[] { Defaults, AssemblyOf(service) }
            .SelectMany(a => a.GetExportedTypes())
            .Select(t => (Type: t, Field: t.GetField("Section", BindingFlags.Public | BindingFlags.Static)))
            .Where(x => x.Field is { IsLiteral: true } && x.Field.FieldType == typeof(string))
            .ToDictionary(x => (string)x.Field!.GetRawConstantValue()!, x => x.Type);

    /// <summary>Every setting the service reads, as configuration keys ("Connector:Feeds:0:BaseUrl").</summary>
    public static IReadOnlyList<string> KeysOf(string service)
    {
        return [.. OptionsOf(service).SelectMany(o => Leaves(o.Value, o.Key))];
    }

    private static IEnumerable<string> Leaves(Type type, string prefix)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is { IsPublic: true }))
        {
            var key = $"{prefix}:{property.Name}";
            var t = property.PropertyType;
            if (IsScalar(t) || IsDictionary(t) || (IsList(t, out var element) && IsScalar(element)))
            {
                yield return key;
            }
            else if (IsList(t, out var item))
            {
                foreach (var leaf in Leaves(item, key + ":0"))
                {
                    yield return leaf;
                }
            }
            else
            {
                foreach (var leaf in Leaves(t, key))
                {
                    yield return leaf;
                }
            }
        }
    }

    public static bool IsScalar(Type t)
    {
        t = Nullable.GetUnderlyingType(t) ?? t;
        return t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(decimal) || t == typeof(Uri) || t == typeof(TimeSpan);
    }

    private static bool IsDictionary(Type t) => t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Dictionary<,>);

    private static bool IsList(Type t, out Type element)
    {
        element = t.IsGenericType && t.GetGenericTypeDefinition() == typeof(List<>) ? t.GetGenericArguments()[0] : typeof(void);
        return element != typeof(void);
    }

    /// <summary>
    /// The configuration a service's pod starts with in a release with these values: its appsettings.json,
    /// then the chart's appsettings.Production.json, then the env vars (secrets stand in as fixed strings).
    /// </summary>
    public static IConfiguration Rendered(JsonObject values, string service)
    {
        var svc = values["services"]![service]!.AsObject();
        var env = new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:Grpc:Url"] = $"{Scheme(values)}://0.0.0.0:{svc["ports"]!["grpc"]}",
            ["Kestrel:Endpoints:Http:Url"] = $"http://0.0.0.0:{svc["ports"]!["http"]}",
            ["Kestrel:Endpoints:Management:Url"] = $"http://0.0.0.0:{svc["ports"]!["management"]}",
            ["Grpc:ShutdownTimeoutSeconds"] = svc["shutdown"]!["drainSeconds"]!.ToString(),
            ["Redis:Configuration"] = (string)values["redis"]!["address"]!,
            ["Redis:Namespace"] = (string)values["redis"]!["namespace"]!,
        };
        if (TlsEnabled(values))
        {
            env["Kestrel:Endpoints:Grpc:Certificate:Path"] = "/etc/stockcast/tls/tls.crt";
            env["Kestrel:Endpoints:Grpc:Certificate:KeyPath"] = "/etc/stockcast/tls/tls.key";
            env["Tls:CaPath"] = "/etc/stockcast/tls/ca.crt";
        }
        foreach (var (key, target) in svc["addresses"]!.AsObject())
        {
            env[key] = Address(values, (string)target!);
        }
        var apiKeys = svc["apiKeys"]!.AsArray();
        for (var i = 0; i < apiKeys.Count; i++)
        {
            env[$"Auth:ApiKeys:{i}:Name"] = (string)apiKeys[i]!["name"]!;
            env[$"Auth:ApiKeys:{i}:Access"] = (string)apiKeys[i]!["access"]!;
            env[$"Auth:ApiKeys:{i}:Key"] = SecretStandIn((string)apiKeys[i]!["secretName"]!, (string)apiKeys[i]!["secretKey"]!);
        }
        var peersSection = (string?)svc["peersSection"];
        var peers = values["peers"]!.AsArray();
        for (var i = 0; i < peers.Count && !string.IsNullOrEmpty(peersSection); i++)
        {
            env[$"{peersSection}:PeerLedgers:{i}:Region"] = (string)peers[i]!["region"]!;
            env[$"{peersSection}:PeerLedgers:{i}:Address"] = (string)peers[i]!["ledgerAddress"]!;
            if (peers[i]!["apiKeySecret"] is { } secret)
            {
                env[$"{peersSection}:PeerLedgers:{i}:ApiKey"] = SecretStandIn((string)secret["name"]!, (string)secret["key"]!);
            }
        }
        foreach (var (key, reference) in svc["secretConfig"]!.AsObject())
        {
            env[key] = SecretStandIn((string)reference!["secretName"]!, (string)reference["key"]!);
        }
        return new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(ChartFiles.RepoRoot, "services", service, "appsettings.json"))
            .AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(SettingsFile(values, service).ToJsonString())))
            .AddInMemoryCollection(env)
            .Build();
    }

    /// <summary>
    /// What an address in <c>addresses</c> becomes (the <c>.svc.addresses</c> range of _service.tpl): a URL
    /// as given; a service of the release at its gRPC port, through its headless Service with dns:/// when it has one.
    /// </summary>
    public static string Address(JsonObject values, string target)
    {
        if (target.Contains("://", StringComparison.Ordinal))
        {
            return target;
        }
        var service = values["services"]![target]!;
        var port = service["ports"]!["grpc"];
        return (bool?)service["headless"] == true ? $"dns:///stockcast-{target}-headless:{port}" : $"{Scheme(values)}://stockcast-{target}:{port}";
    }

    /// <summary>tls.enabled: the gRPC ports serve https and the clients dial it.</summary>
    public static bool TlsEnabled(JsonObject values) => (bool?)values["tls"]?["enabled"] == true;

    private static string Scheme(JsonObject values) => TlsEnabled(values) ? "https" : "http";

    /// <summary>The appsettings.Production.json the chart renders ("stockcast.settings" in _helpers.tpl).</summary>
    public static JsonObject SettingsFile(JsonObject values, string service)
    {
        var svc = values["services"]![service]!;
        var settings = (JsonObject)(svc["config"]?.DeepClone() ?? new JsonObject());
        var section = (string?)svc["warehousesSection"];
        if (!string.IsNullOrEmpty(section))
        {
            var warehouses = new JsonArray(values["warehouses"]!.AsArray().Select(w => (JsonNode)new JsonObject
            {
                ["Id"] = w!["id"]!.DeepClone(),
                ["Region"] = w["region"]!.DeepClone(),
                ["Markets"] = w["markets"]!.DeepClone(),
                ["AllocationDelayMs"] = w["allocationDelayMs"]?.DeepClone() ?? 0,
            }).ToArray());
            var target = settings[section] as JsonObject ?? [];
            target["Warehouses"] = warehouses;
            settings[section] = target;
        }
        return settings;
    }

    // At least 24 characters (ApiKey.MinimumLength), distinct per secret key.
    private static string SecretStandIn(string secret, string key) => $"secret:{secret}/{key}".PadRight(32, '*');

    public static bool IsEmpty(object? value) => value is null || (value is string s && s.Length == 0) || (value is ICollection c && c.Count == 0);
}
