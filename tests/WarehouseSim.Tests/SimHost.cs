using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stockcast.Testing;
using Stockcast.WarehouseSim.Model;

namespace Stockcast.WarehouseSim.Tests;

/// <summary>The simulator in-process (TestServer), with scenario time that only moves when a test advances it.</summary>
/// <param name="scenarioFile">A scenario loaded at start (none: the test loads its own).</param>
public sealed class SimHost(bool realTime = false, string scenarioFile = "", double messRate = 0) : InProcessHost<Program>
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Sim:ScenarioFile"] = scenarioFile,
        ["Sim:RealTime"] = realTime ? "true" : "false",
        ["Sim:MessRate"] = messRate.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public async Task<SimHost> LoadAsync(Scenario scenario)
    {
        using var response = await CreateClient().PostAsJsonAsync("/sim/scenario", scenario, Scenario.Json);
        response.EnsureSuccessStatusCode();
        return this;
    }

    public async Task AdvanceAsync(int seconds)
    {
        using var response = await CreateClient().PostAsync($"/sim/advance?seconds={seconds}", null);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>A stock change at one SKU, as POST /sim/adjust makes it (and sends its webhooks).</summary>
    public async Task AdjustAsync(string warehouse, string sku, int delta)
    {
        using var response = await CreateClient().PostAsJsonAsync("/sim/adjust", new { warehouse, sku, delta });
        response.EnsureSuccessStatusCode();
    }

    public async Task<SimState> StateAsync() =>
        (await CreateClient().GetFromJsonAsync<SimState>("/sim/state", Scenario.Json))!;

    public async Task<SkuTruth> TruthAsync(string warehouse, string sku) =>
        (await StateAsync()).Warehouses.Single(w => w.Id == warehouse).Skus.Single(s => s.Sku == sku);

    public HttpClient ShipBob(string? token = Scenarios.ShipBobToken)
    {
        var client = CreateClient();
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        }
        return client;
    }

    public HttpClient Amazon(string? token = Scenarios.AmazonToken)
    {
        var client = CreateClient();
        if (token is not null)
        {
            client.DefaultRequestHeaders.Add("x-amz-access-token", token);
        }
        return client;
    }

    public HttpClient Ck1(string? token = Scenarios.Ck1Token) => ShipBob(token);

    public static async Task<JsonNode> JsonAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    public static JsonSerializerOptions Json => Scenario.Json;
}
