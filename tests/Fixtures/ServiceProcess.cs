using System.Net;
using Stockcast.Launch;

namespace Stockcast.Testing;

/// <summary>
/// A real service as a separate process (its build output next to this test run, started by
/// Stockcast.Launch), on free loopback ports, with its own Redis namespace and a writer API key.
/// <see cref="Stop"/> is SIGKILL — no shutdown hook, no flush — and <see cref="StartAsync"/> starts it
/// again on the same ports and namespace, as Kubernetes restarts a crashed pod.
/// </summary>
public class ServiceProcess : IDisposable
{
    private readonly LaunchedService _service;

    /// <param name="settings">Configuration keys (e.g. "Ledger:Warehouses:0:Id") and their values.</param>
    /// <param name="bindAddress">The loopback address it listens on (default 127.0.0.1; 127.0.0.2 and up for a second replica behind one name).</param>
    protected ServiceProcess(string name, BuiltProgram program, string redisConfiguration, string writerKey, IReadOnlyDictionary<string, string>? settings, IPAddress? bindAddress = null)
    {
        var all = new Dictionary<string, string> { ["Logging:LogLevel:Default"] = "Warning" };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            all[key] = value;
        }
        RedisNamespace = name[0] + Guid.NewGuid().ToString("N")[..12];
        _service = new LaunchedService(new ServiceSpec(name, BuildOutput.OfRunningProgram().AssemblyOf(program))
        {
            BindAddress = bindAddress ?? IPAddress.Loopback,
            Redis = new RedisTarget(redisConfiguration, RedisNamespace),
            ApiKeys = [new ApiKey("tests", writerKey, "Write")],
            Settings = all,
        });
    }

    public int GrpcPort => _service.GrpcPort;
    public int HttpPort => _service.HttpPort;
    public Uri GrpcAddress => _service.GrpcAddress;
    public Uri HttpAddress => _service.HttpAddress;
    public string RedisNamespace { get; }

    /// <summary>How many times the process has been started.</summary>
    public int Starts => _service.Starts;

    /// <summary>The last lines the process wrote (for failure messages).</summary>
    public string RecentOutput => _service.RecentOutput;

    /// <inheritdoc cref="LaunchedService.StartAsync"/>
    public Task StartAsync() => _service.StartAsync();

    /// <summary>SIGKILL: the process ends wherever it is, mid-read or mid-write, with no clean-up.</summary>
    public void Stop() => _service.Kill();

    public void Dispose()
    {
        _service.Dispose();
        GC.SuppressFinalize(this);
    }
}
