using System.Net;
using Stockcast.Launch;

namespace Stockcast.Testing;

/// <summary>
/// A real service as a separate process (its build output next to this test run, started by
/// Stockcast.Launch), on free loopback ports, with its own Redis namespace and an API key per role.
/// <see cref="Stop"/> is SIGKILL — no shutdown hook, no flush — and <see cref="StartAsync"/> starts it
/// again on the same ports and namespace, as Kubernetes restarts a crashed pod.
/// </summary>
public class ServiceProcess : IDisposable
{
    private readonly LaunchedService _service;
    private readonly string? _outputFile;

    /// <param name="settings">Configuration keys (e.g. "Ledger:Warehouses:0:Id") and their values.</param>
    /// <param name="host">The loopback address it listens on (any of 127/8: replicas behind one name bind one each).</param>
    /// <param name="grpcPort">The gRPC port, when replicas must share it; 0 = a free one.</param>
    /// <param name="readinessPath">What a start waits for: /readyz, or /healthz (alive) for a service meant to start unready.</param>
    /// <param name="keepAllOutput">Keep everything it writes for <see cref="AllOutput"/> (a temporary file, deleted on dispose), not only the last lines.</param>
    protected ServiceProcess(string name, BuiltProgram program, string redisConfiguration, RoleKeys keys, IReadOnlyDictionary<string, string>? settings, string host = "127.0.0.1", int grpcPort = 0, string readinessPath = "/readyz", bool keepAllOutput = false)
    {
        _outputFile = keepAllOutput ? Path.GetTempFileName() : null;
        var all = new Dictionary<string, string> { ["Logging:LogLevel:Default"] = "Warning" };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            all[key] = value;
        }
        // Replicas of one deployment share a namespace given in the settings; otherwise each process has its own.
        RedisNamespace = all.GetValueOrDefault("Redis:Namespace") ?? name[0] + Guid.NewGuid().ToString("N")[..12];
        Host = host;
        _service = new LaunchedService(new ServiceSpec(name, BuildOutput.OfRunningProgram().AssemblyOf(program))
        {
            BindAddress = IPAddress.Parse(host),
            GrpcPort = grpcPort == 0 ? null : grpcPort,
            Redis = new RedisTarget(redisConfiguration, RedisNamespace),
            ApiKeys = keys.ApiKeys,
            Settings = all,
            ReadinessPath = readinessPath,
            LogFile = _outputFile,
        });
    }

    public string Host { get; }
    public int GrpcPort => _service.GrpcPort;
    public Uri GrpcAddress => _service.GrpcAddress;
    public Uri HttpAddress => _service.HttpAddress;

    /// <summary>Its management endpoint: metrics and health, never its public port.</summary>
    public Uri ManagementAddress => _service.ManagementAddress;

    /// <summary>One scrape of its Prometheus metrics, from its management port.</summary>
    public async Task<string> MetricsAsync()
    {
        using var http = new HttpClient();
        return await http.GetStringAsync(new Uri(ManagementAddress, "/metrics"));
    }
    public string RedisNamespace { get; }

    /// <summary>How many times the process has been started.</summary>
    public int Starts => _service.Starts;

    /// <inheritdoc cref="LaunchedService.StartAsync"/>
    public Task StartAsync() => _service.StartAsync();

    /// <summary>SIGKILL: the process ends wherever it is, mid-read or mid-write, with no clean-up.</summary>
    public void Stop() => _service.Kill();

    /// <summary>Everything the process has written so far, over all its starts (needs keepAllOutput).</summary>
    public string AllOutput()
    {
        var path = _outputFile ?? throw new InvalidOperationException("started without keepAllOutput: only its last lines are kept");
        using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        return reader.ReadToEnd();
    }

    public void Dispose()
    {
        _service.Dispose();
        if (_outputFile is not null)
        {
            File.Delete(_outputFile);
        }
        GC.SuppressFinalize(this);
    }
}
