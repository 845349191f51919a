using System.Collections.Concurrent;
using System.Diagnostics;

namespace Stockcast.Testing;

/// <summary>
/// A real service as a separate process (its build output next to this test run), on free loopback
/// ports, with its own Redis namespace and a writer API key. <see cref="Stop"/> is SIGKILL — no
/// shutdown hook, no flush — and <see cref="StartAsync"/> starts it again on the same ports and
/// namespace, as Kubernetes restarts a crashed pod.
/// </summary>
public class ServiceProcess : IDisposable
{
    private const int OutputLinesKept = 40;

    /// <summary>A .NET service starts in a second or two, but far slower on a machine loaded by other work.</summary>
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(90);
    private readonly string _name;
    private readonly string _binary;
    private readonly bool _fixedGrpcPort;
    private readonly Dictionary<string, string> _environment;
    private readonly ConcurrentQueue<string> _output = new();
    private Process? _process;

    /// <param name="settings">Configuration keys (e.g. "Ledger:Warehouses:0:Id") and their values.</param>
    /// <param name="host">The loopback address to bind (any of 127/8: replicas behind one name bind one each).</param>
    /// <param name="grpcPort">The gRPC port, when replicas must share it; 0 = a free one.</param>
    protected ServiceProcess(string name, string binary, string redisConfiguration, string writerKey, IReadOnlyDictionary<string, string>? settings, string host = "127.0.0.1", int grpcPort = 0)
    {
        _name = name;
        _binary = binary;
        Host = host;
        _fixedGrpcPort = grpcPort != 0;
        GrpcPort = _fixedGrpcPort ? grpcPort : FreePort.Next();
        HttpPort = FreePort.Next();
        _environment = new Dictionary<string, string>
        {
            ["Redis__Configuration"] = redisConfiguration,
            ["Redis__Namespace"] = name[0] + Guid.NewGuid().ToString("N")[..12],
            ["Auth__ApiKeys__0__Name"] = "tests",
            ["Auth__ApiKeys__0__Key"] = writerKey,
            ["Auth__ApiKeys__0__Access"] = "Write",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            _environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        UsePorts();
    }

    public string Host { get; }
    public int GrpcPort { get; private set; }
    public int HttpPort { get; private set; }
    public Uri GrpcAddress => new($"http://{Host}:{GrpcPort}");
    public Uri HttpAddress => new($"http://{Host}:{HttpPort}");
    public string RedisNamespace => _environment["Redis__Namespace"];

    /// <summary>How many times the process has been started.</summary>
    public int Starts { get; private set; }

    /// <summary>The last lines the process wrote (for failure messages).</summary>
    public string RecentOutput => string.Join(Environment.NewLine, _output);

    /// <summary>
    /// Starts the service and waits until it is ready. The first start moves to fresh ports when the
    /// chosen ones were taken meanwhile (a free port can be grabbed before the process binds it); a
    /// restart keeps its ports, as clients hold them.
    /// </summary>
    public async Task StartAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await StartOnceAsync();
                return;
            }
            catch (PortTakenException) when (Starts == 1 && attempt < 3)
            {
                Starts = 0;
                GrpcPort = _fixedGrpcPort ? GrpcPort : FreePort.Next();
                HttpPort = FreePort.Next();
                UsePorts();
            }
        }
    }

    /// <summary>SIGKILL: the process ends wherever it is, mid-read or mid-write, with no clean-up.</summary>
    public void Stop()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process?.Dispose();
        _process = null;
    }

    public void Dispose()
    {
        Stop();
        GC.SuppressFinalize(this);
    }

    private void UsePorts()
    {
        _environment["Kestrel__Endpoints__Grpc__Url"] = $"http://{Host}:{GrpcPort}";
        _environment["Kestrel__Endpoints__Http__Url"] = $"http://{Host}:{HttpPort}";
    }

    private async Task StartOnceAsync()
    {
        if (_process is not null)
        {
            throw new InvalidOperationException($"the {_name} is already running");
        }
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(_binary);
        foreach (var (key, value) in _environment)
        {
            start.Environment[key] = value;
        }
        var process = _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start the {_name}");
        Starts++;
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        string? exited = null;
        await Eventually.TrueAsync(async () =>
        {
            if (process.HasExited)
            {
                exited = $"the {_name} exited with {process.ExitCode}: {RecentOutput}";
                return true;
            }
            return (await http.GetAsync(new Uri(HttpAddress, "/readyz"))).IsSuccessStatusCode;
        }, $"the {_name} process is ready", StartDeadline);
        if (exited is not null)
        {
            process.Dispose();
            _process = null;
            throw exited.Contains("address already in use", StringComparison.OrdinalIgnoreCase) ? new PortTakenException(exited) : new InvalidOperationException(exited);
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }
        _output.Enqueue(line);
        while (_output.Count > OutputLinesKept && _output.TryDequeue(out _))
        {
        }
    }

    private sealed class PortTakenException(string message) : Exception(message);
}
