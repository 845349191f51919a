using System.Collections.Concurrent;
using System.Diagnostics;

namespace Stockcast.Testing;

/// <summary>
/// The real warehouse-connector as a separate process (its build output), on free loopback ports,
/// for tests that kill it the hard way. <see cref="Kill"/> is SIGKILL — no shutdown hook, no
/// flush — and <see cref="StartAsync"/> starts it again on the same ports, Redis namespace and
/// feeds, as Kubernetes restarts a crashed pod.
/// </summary>
public sealed class ConnectorProcess : IDisposable
{
    public const string WriterKey = "connector-process-writer-key-0123456789";
    private const int OutputLinesKept = 40;
    private readonly Dictionary<string, string> _environment;
    private readonly ConcurrentQueue<string> _output = new();
    private Process? _process;

    /// <param name="settings">Configuration keys (e.g. "Connector:Feeds:0:Source") and their values.</param>
    public ConnectorProcess(string redisConfiguration, Uri ledgerAddress, string ledgerApiKey, IReadOnlyDictionary<string, string> settings)
    {
        GrpcPort = FreePort.Next();
        HttpPort = FreePort.Next();
        _environment = new Dictionary<string, string>
        {
            ["Kestrel__Endpoints__Grpc__Url"] = $"http://127.0.0.1:{GrpcPort}",
            ["Kestrel__Endpoints__Http__Url"] = $"http://127.0.0.1:{HttpPort}",
            ["Redis__Configuration"] = redisConfiguration,
            ["Redis__Namespace"] = "c" + Guid.NewGuid().ToString("N")[..12],
            ["Auth__ApiKeys__0__Name"] = "tests",
            ["Auth__ApiKeys__0__Key"] = WriterKey,
            ["Auth__ApiKeys__0__Access"] = "Write",
            ["Connector__LedgerAddress"] = ledgerAddress.ToString(),
            ["Connector__LedgerApiKey"] = ledgerApiKey,
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (key, value) in settings)
        {
            _environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
    }

    public int GrpcPort { get; }
    public int HttpPort { get; }
    public Uri GrpcAddress => new($"http://127.0.0.1:{GrpcPort}");
    public Uri HttpAddress => new($"http://127.0.0.1:{HttpPort}");
    public string RedisNamespace => _environment["Redis__Namespace"];

    /// <summary>How many times the process has been started.</summary>
    public int Starts { get; private set; }

    public static string Binary => BuildOutput.Of("services/warehouse-connector", "Stockcast.WarehouseConnector.dll");

    /// <summary>Starts the connector and waits until it is ready (its feeds start reading at once).</summary>
    public async Task StartAsync()
    {
        if (_process is not null)
        {
            throw new InvalidOperationException("the connector is already running");
        }
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Binary);
        foreach (var (key, value) in _environment)
        {
            start.Environment[key] = value;
        }
        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start the warehouse-connector");
        Starts++;
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var process = _process;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        await Eventually.TrueAsync(async () =>
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the warehouse-connector exited with {process.ExitCode}: {RecentOutput}");
            }
            return (await http.GetAsync(new Uri(HttpAddress, "/readyz"))).IsSuccessStatusCode;
        }, "the warehouse-connector process is ready");
    }

    /// <summary>SIGKILL: the process ends wherever it is, mid-read or mid-write, with no clean-up.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit();
        }
        _process?.Dispose();
        _process = null;
    }

    /// <summary>The last lines the process wrote (for failure messages).</summary>
    public string RecentOutput => string.Join(Environment.NewLine, _output);

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }
        _output.Enqueue(line);
        if (_output.Count > OutputLinesKept)
        {
            _output.TryDequeue(out _);
        }
    }

    public void Dispose() => Kill();
}
