extern alias sim;

using System.Text;
using Stockcast.Testing;

namespace Stockcast.Connector.Tests;

/// <summary>The warehouse simulator in-process: its scenario clock moved by the test, or by itself every second.</summary>
public sealed class Simulator : InProcessHost<sim::Program>
{
    private readonly bool _realTime;

    public Simulator(bool realTime = false)
        : this(realTime, ports: null)
    {
    }

    private Simulator(bool realTime, LoopbackPorts? ports)
        : base(ports: ports) => _realTime = realTime;

    /// <summary>Where a client outside this process reaches it (see <see cref="OnLoopbackPort"/>).</summary>
    public Uri BaseAddress => Ports?.Address(LoopbackPorts.Http) ?? Server.BaseAddress;

    /// <summary>
    /// The simulator on a real loopback port (Kestrel rather than TestServer), so a connector
    /// running as a separate process can reach it. Its clock is moved by the test, or by itself.
    /// </summary>
    public static Simulator OnLoopbackPort(bool realTime = false) => StartOnSockets(() => new Simulator(realTime, LoopbackPorts.Free(LoopbackPorts.Http)));

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Sim:ScenarioFile"] = "",
        ["Sim:RealTime"] = _realTime ? "true" : "false",
    };

    public Task LoadAsync(string scenarioJson) => PostAsync("/sim/scenario", scenarioJson);

    public Task AdvanceAsync(int seconds) => PostAsync($"/sim/advance?seconds={seconds}", "");

    public Task MalformAsync(string warehouse, string sku, string kind)
        => PostAsync("/sim/malformed", $$"""{"warehouse":"{{warehouse}}","sku":"{{sku}}","kind":"{{kind}}"}""");

    public async Task<string> StateAsync() => await CreateClient().GetStringAsync("/sim/state");

    /// <summary>Who read each polled warehouse, and how (GET /sim/traffic).</summary>
    public async Task<string> TrafficAsync() => await CreateClient().GetStringAsync("/sim/traffic");

    public Task AdjustAsync(string warehouse, string sku, int delta)
        => PostAsync("/sim/adjust", $$"""{"warehouse":"{{warehouse}}","sku":"{{sku}}","delta":{{delta}}}""");

    private async Task PostAsync(string path, string json)
    {
        using var response = await CreateClient().PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
    }
}
