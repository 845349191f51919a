using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Stockcast.ServiceDefaults.Clients;

namespace Stockcast.Chart.Tests;

public sealed partial class ServiceSettingsTests
{
    public static TheoryData<string> Services => new(ChartFiles.Services);

    public static TheoryData<string, string> RegionsAndServices
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var region in ChartFiles.Regions)
            {
                foreach (var service in ChartFiles.Services)
                {
                    data.Add(region, service);
                }
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void EverySettingAServiceReadsIsSettableFromValues(string service)
    {
        var keys = ServiceSettings.KeysOf(service);
        var unsettable = keys.Where(key => !SettableThroughTemplateEnv(service, key) && !SettableThroughValues(service, key)).ToList();

        Assert.True(keys.Count > 5, $"found only {keys.Count} settings of {service}");
        Assert.True(unsettable.Count == 0, $"{service} reads settings the chart cannot set:{Environment.NewLine}{string.Join(Environment.NewLine, unsettable)}");
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void SecretSettingsCanOnlyComeFromSecrets(string service)
    {
        var secrets = ServiceSettings.KeysOf(service).Where(k => SecretName().IsMatch(k) && !SettableThroughTemplateEnv(service, k)).ToList();

        Assert.Contains(ServiceSettings.KeysOf(service), k => SecretName().IsMatch(k));

        foreach (var key in secrets)
        {
            Assert.False(ChartFiles.Validate(ChartFiles.ValuesWith(ConfigOverlay(service, key))).Valid, $"{key} may be written into values in plain text");
            Assert.True(ChartFiles.Validate(ChartFiles.ValuesWith(SecretOverlay(service, key))).Valid, $"{key} cannot come from a Secret");
        }
    }

    [Theory]
    [MemberData(nameof(RegionsAndServices))]
    public void EveryRegionsSettingsFileHoldsOnlySettingsTheServiceReads(string region, string service)
    {
        var settings = ServiceSettings.SettingsFile(ChartFiles.RegionValues(region), service);
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(settings.ToJsonString()))).Build();
        var options = ServiceSettings.OptionsOf(service);

        foreach (var section in configuration.GetChildren().Where(s => s.Key != "Logging"))
        {
            Assert.True(options.TryGetValue(section.Key, out var type), $"{service} reads no section {section.Key}");
            var error = Record.Exception(() => section.Bind(Activator.CreateInstance(type)!, o => o.ErrorOnUnknownConfiguration = true));
            Assert.Null(error);
        }
    }

    [Theory]
    [MemberData(nameof(RegionsAndServices))]
    public void EveryRegionsReleaseGivesTheServiceSettingsItAccepts(string region, string service)
    {
        var configuration = ServiceSettings.Rendered(ChartFiles.RegionValues(region), service);
        var problems = new List<string>();

        foreach (var (section, type) in ServiceSettings.OptionsOf(service))
        {
            var options = Activator.CreateInstance(type)!;
            configuration.GetSection(section).Bind(options);
            var results = new List<ValidationResult>();
            if (!Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
            {
                problems.AddRange(results.Select(r => $"{section}: {r.ErrorMessage}"));
            }
        }

        Assert.True(problems.Count == 0, $"{service} in region {region} would refuse to start:{Environment.NewLine}{string.Join(Environment.NewLine, problems)}");
    }

    [Theory]
    [MemberData(nameof(RegionsAndServices))]
    public void EveryRegionsReleaseKeepsReadsBehindAKeyAndGivesEachCallerAKeyForThePeerItReads(string region, string service)
    {
        var configuration = ServiceSettings.Rendered(ChartFiles.RegionValues(region), service);
        // The section holding the addresses of the services it reads (none for the ledger).
        var section = ServiceSettings.KeysOf(service).Select(k => k.Split(':')).FirstOrDefault(p => p is [_, var name] && name.EndsWith("Address", StringComparison.Ordinal))?[0];

        Assert.False(configuration.GetValue<bool>("Auth:AllowAnonymousReads"), $"{service} in {region} lets anyone read");
        foreach (var peer in section is null ? [] : configuration.GetSection(section).GetChildren().Where(c => c.Key.EndsWith("Address", StringComparison.Ordinal) && !string.IsNullOrEmpty(c.Value)))
        {
            var key = $"{section}:{peer.Key[..^"Address".Length]}ApiKey";
            Assert.False(string.IsNullOrEmpty(configuration[key]), $"{service} in {region} reads {peer.Value} without a key ({key})");
        }
    }

    [Theory]
    [InlineData("warehouse-connector", "Connector:LedgerAddress")]
    [InlineData("alerting", "Alerting:LedgerAddress")]
    [InlineData("overlay-broadcast", "Overlay:LedgerAddress")]
    public void TheLedgersCallersDialEveryLedgerPodThroughItsHeadlessService(string service, string key)
    {
        foreach (var region in ChartFiles.Regions)
        {
            Assert.Equal("dns:///stockcast-stock-ledger-headless:5101", ServiceSettings.Rendered(ChartFiles.RegionValues(region), service)[key]);
        }
        Assert.Contains("printf \"dns:///%s-headless:%v\" $host $peer.ports.grpc", ChartFiles.ReadChartFile("templates", "_service.tpl"));
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void OnlyAddressesWhoseClientBalancesPointAtAHeadlessService(string service)
    {
        var values = ChartFiles.DefaultValues();
        var options = ServiceSettings.OptionsOf(service);

        foreach (var (key, target) in values["services"]![service]!["addresses"]!.AsObject())
        {
            var parts = key.Split(':');
            var balanced = options[parts[0]].GetProperty(parts[1])?.GetCustomAttribute<ServiceAddressAttribute>() is not null;
            Assert.True(balanced || !ServiceSettings.Address(values, (string)target!).StartsWith("dns:///", StringComparison.Ordinal), $"{service}'s {key} would get a dns:/// address its client cannot dial");
        }
    }

    // Settings the template sets itself from dedicated values (redis, shutdown, apiKeys, warehouses, peers).
    private static bool SettableThroughTemplateEnv(string service, string key)
    {
        var template = ChartFiles.ReadChartFile("templates", "_service.tpl");
        var helpers = ChartFiles.ReadChartFile("templates", "_helpers.tpl");
        var parts = key.Split(':');
        if (key is "Redis:Configuration" or "Redis:Namespace" or "Grpc:ShutdownTimeoutSeconds" or "Tls:CaPath")
        {
            return template.Contains($"name: {key.Replace(":", "__")}\n");
        }
        if (parts is ["Auth", "ApiKeys", "0", var field])
        {
            return template.Contains($"name: Auth__ApiKeys__{{{{ $i }}}}__{field}\n");
        }
        if (parts is [var section, "Warehouses", "0", var property])
        {
            var sectionInValues = (string?)ChartFiles.DefaultValues()["services"]![service]!["warehousesSection"];
            var valuesName = char.ToLowerInvariant(property[0]) + property[1..];
            return sectionInValues == section && Regex.IsMatch(helpers, $"\"{property}\" (\\(get \\. \"{valuesName}\"|\\.{valuesName}\\b)");
        }
        if (parts is [var peersSection, "PeerLedgers", "0", var peerField])
        {
            var sectionInValues = (string?)ChartFiles.DefaultValues()["services"]![service]!["peersSection"];
            return sectionInValues == peersSection && template.Contains($"name: {{{{ $section }}}}__PeerLedgers__{{{{ $i }}}}__{peerField}\n");
        }
        return false;
    }

    // Settings a values file sets: the service's config, a Secret reference, or an address.
    private static bool SettableThroughValues(string service, string key) =>
        new[] { ConfigOverlay(service, key), SecretOverlay(service, key), AddressOverlay(service, key) }
            .Any(overlay => ChartFiles.Validate(ChartFiles.ValuesWith(overlay)).Valid);

    private static string ConfigOverlay(string service, string key)
    {
        JsonNode node = Sample(service, key);
        foreach (var part in key.Split(':').Reverse())
        {
            node = part == "0" ? new JsonArray(node) : new JsonObject { [part] = node };
        }
        return new JsonObject { ["services"] = new JsonObject { [service] = new JsonObject { ["config"] = node } } }.ToJsonString();
    }

    private static string SecretOverlay(string service, string key) =>
        new JsonObject { ["services"] = new JsonObject { [service] = new JsonObject { ["secretConfig"] = new JsonObject { [key] = new JsonObject { ["secretName"] = "stockcast-keys", ["key"] = "k" } } } } }.ToJsonString();

    private static string AddressOverlay(string service, string key) =>
        new JsonObject { ["services"] = new JsonObject { [service] = new JsonObject { ["addresses"] = new JsonObject { [key] = "http://h:1" } } } }.ToJsonString();

    // A value of the setting's own type: its default when it has one (defaults pass the service's own checks).
    private static JsonNode Sample(string service, string key)
    {
        var parts = key.Split(':');
        if (!ServiceSettings.OptionsOf(service).TryGetValue(parts[0], out var type))
        {
            return JsonValue.Create("x");
        }
        PropertyInfo? property = null;
        object? owner = null;
        foreach (var part in parts.Skip(1))
        {
            if (part == "0")
            {
                type = type.GetGenericArguments()[0];
                continue;
            }
            property = type.GetProperty(part);
            if (property is null)
            {
                return JsonValue.Create(part.EndsWith("Address", StringComparison.Ordinal) ? "http://h:1" : "x");
            }
            owner = Activator.CreateInstance(type);
            type = property.PropertyType;
        }
        var value = property?.GetValue(owner);
        var t = Nullable.GetUnderlyingType(type) ?? type;
        JsonNode? sample = t switch
        {
            _ when t == typeof(bool) => JsonValue.Create((bool)value!),
            _ when t == typeof(int) || t == typeof(long) => JsonValue.Create(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture)),
            _ when t == typeof(double) => JsonValue.Create((double)value!),
            _ when t == typeof(Uri) => JsonValue.Create("http://h:1"),
            _ when t.IsEnum => JsonValue.Create(value!.ToString()),
            _ when t == typeof(string) && !ServiceSettings.IsEmpty(value) => JsonValue.Create((string)value!),
            _ when t == typeof(string) && UrlName().IsMatch(parts[^1]) => JsonValue.Create("http://h:1"),
            _ when t == typeof(string) => JsonValue.Create("x"),
            _ when t.IsGenericType && t.GetGenericTypeDefinition() == typeof(List<>) => new JsonArray("x"),
            _ when t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Dictionary<,>) => new JsonObject { ["a"] = t.GetGenericArguments()[1] == typeof(string) ? "b" : new JsonObject() },
            _ => throw new NotSupportedException($"{key}: {t}"),
        };
        return sample!;
    }

    [GeneratedRegex("(Key|Secret|Credentials|Token)$")]
    private static partial Regex SecretName();

    [GeneratedRegex("(Endpoint|Url|Address)$")]
    private static partial Regex UrlName();
}
