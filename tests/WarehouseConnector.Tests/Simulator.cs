extern alias sim;

using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Stockcast.Connector.Tests;

/// <summary>The warehouse simulator in-process: its scenario clock moved by the test, or by itself every second.</summary>
public sealed class Simulator(bool realTime = false) : WebApplicationFactory<sim::Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseSetting("Sim:ScenarioFile", "");
        builder.UseSetting("Sim:RealTime", realTime ? "true" : "false");
    }

    public Task LoadAsync(string scenarioJson) => PostAsync("/sim/scenario", scenarioJson);

    public Task AdvanceAsync(int seconds) => PostAsync($"/sim/advance?seconds={seconds}", "");

    public Task MalformAsync(string warehouse, string sku, string kind)
        => PostAsync("/sim/malformed", $$"""{"warehouse":"{{warehouse}}","sku":"{{sku}}","kind":"{{kind}}"}""");

    public async Task<string> StateAsync() => await CreateClient().GetStringAsync("/sim/state");

    private async Task PostAsync(string path, string json)
    {
        using var response = await CreateClient().PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
    }
}
