extern alias sim;

using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Stockcast.Testing;

namespace Stockcast.Connector.Tests;

/// <summary>The warehouse simulator in-process: its scenario clock moved by the test, or by itself every second.</summary>
public sealed class Simulator(bool realTime = false) : WebApplicationFactory<sim::Program>
{
    private int? _port;

    /// <summary>Where a client outside this process reaches it (see <see cref="OnLoopbackPort"/>).</summary>
    public Uri BaseAddress => _port is { } port ? new Uri($"http://127.0.0.1:{port}/") : Server.BaseAddress;

    /// <summary>
    /// The simulator on a real loopback port (Kestrel rather than TestServer), so a connector
    /// running as a separate process can reach it. Its clock is moved by the test.
    /// </summary>
    public static Simulator OnLoopbackPort()
    {
        var simulator = new Simulator { _port = FreePort.Next() };
        simulator.UseKestrel();
        simulator.StartServer();
        return simulator;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseSetting("Sim:ScenarioFile", "");
        builder.UseSetting("Sim:RealTime", realTime ? "true" : "false");
        if (_port is { } port)
        {
            // The configured endpoint wins over any other address: point it at the free port.
            builder.UseSetting("Kestrel:Endpoints:Http:Url", $"http://127.0.0.1:{port}");
        }
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
