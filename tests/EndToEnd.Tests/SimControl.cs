using System.Net.Http.Json;
using System.Text.Json;

namespace Stockcast.EndToEnd.Tests;

/// <summary>The warehouse simulator's control API (/sim, docs/warehouse-sim.md): the warehouses' truth and the faults put on them.</summary>
public sealed class SimControl(Uri address) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };

    public async Task LoadAsync(string scenarioJson)
    {
        using var response = await _http.PostAsync("/sim/scenario", new StringContent(scenarioJson, System.Text.Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
    }

    /// <summary>A stock change in the warehouse (a count, a receipt, a shipment): on-hand moves by <paramref name="delta"/>.</summary>
    public async Task AdjustAsync(string warehouse, string sku, int delta)
    {
        using var response = await _http.PostAsJsonAsync("/sim/adjust", new { warehouse, sku, delta });
        response.EnsureSuccessStatusCode();
    }

    /// <summary>What each warehouse can sell right now (its "available": on hand less what it has committed itself), by warehouse and SKU.</summary>
    public async Task<Dictionary<(string Warehouse, string Sku), long>> TruthAsync()
    {
        using var state = JsonDocument.Parse(await _http.GetStringAsync("/sim/state"));
        return state.RootElement.GetProperty("warehouses").EnumerateArray()
            .SelectMany(w => w.GetProperty("skus").EnumerateArray().Select(s => (Warehouse: w.GetProperty("id").GetString()!, Sku: s.GetProperty("sku").GetString()!, Available: s.GetProperty("available").GetInt64())))
            .ToDictionary(x => (x.Warehouse, x.Sku), x => x.Available);
    }

    /// <summary>Every read of the warehouse's API answers <paramref name="answer"/> (ServerError, Throttled, Garbage) until <see cref="HealAsync"/>.</summary>
    public async Task FailAsync(string warehouse, string answer)
    {
        using var response = await _http.PostAsJsonAsync("/sim/failing", new { warehouse, answer });
        response.EnsureSuccessStatusCode();
    }

    public async Task HealAsync()
    {
        using var response = await _http.DeleteAsync("/sim/failing");
        response.EnsureSuccessStatusCode();
    }

    /// <summary>How many failing answers the warehouse's API has given so far.</summary>
    public async Task<int> FailingAnswersAsync(string warehouse)
    {
        using var report = JsonDocument.Parse(await _http.GetStringAsync("/sim/failing"));
        return report.RootElement.GetProperty("served").TryGetProperty(warehouse, out var served) ? served.GetInt32() : 0;
    }

    public void Dispose() => _http.Dispose();
}
