using System.Diagnostics;

namespace Stockcast.Testing;

/// <summary>
/// The real stock-ledger as a separate process (its build output), on free loopback ports, for
/// tests of the services that call it. Can be stopped and started again on the same ports.
/// </summary>
public sealed class LedgerProcess : IDisposable
{
    public const string WriterKey = "ledger-process-writer-key-0123456789";
    private readonly Dictionary<string, string> _environment;
    private Process? _process;
    private bool _started;

    public LedgerProcess(string redisConfiguration, IReadOnlyDictionary<string, string>? settings = null)
    {
        GrpcPort = FreePort.Next();
        HttpPort = FreePort.Next();
        _environment = new Dictionary<string, string>
        {
            ["Kestrel__Endpoints__Grpc__Url"] = $"http://127.0.0.1:{GrpcPort}",
            ["Kestrel__Endpoints__Http__Url"] = $"http://127.0.0.1:{HttpPort}",
            ["Redis__Configuration"] = redisConfiguration,
            ["Redis__Namespace"] = "l" + Guid.NewGuid().ToString("N")[..12],
            ["Auth__ApiKeys__0__Name"] = "tests",
            ["Auth__ApiKeys__0__Key"] = WriterKey,
            ["Auth__ApiKeys__0__Access"] = "Write",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            _environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
    }

    public int GrpcPort { get; private set; }
    public int HttpPort { get; private set; }
    public Uri GrpcAddress => new($"http://127.0.0.1:{GrpcPort}");

    /// <summary>The ledger's build output next to this test run (same configuration).</summary>
    public static string Binary => BuildOutput.Of("services/stock-ledger", "Stockcast.StockLedger.dll");

    /// <summary>
    /// Starts the ledger and waits until it is ready. The first start moves to fresh ports when the
    /// chosen ones were taken meanwhile (a free port can be grabbed before the process binds it);
    /// a restart keeps its ports, as clients hold them.
    /// </summary>
    public async Task StartAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await StartOnceAsync();
                _started = true;
                return;
            }
            catch (PortTakenException) when (!_started && attempt < 3)
            {
                GrpcPort = FreePort.Next();
                HttpPort = FreePort.Next();
                _environment["Kestrel__Endpoints__Grpc__Url"] = $"http://127.0.0.1:{GrpcPort}";
                _environment["Kestrel__Endpoints__Http__Url"] = $"http://127.0.0.1:{HttpPort}";
            }
        }
    }

    private async Task StartOnceAsync()
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Binary);
        foreach (var (key, value) in _environment)
        {
            start.Environment[key] = value;
        }
        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start the stock-ledger");
        var lastLines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        void Keep(string? line)
        {
            // The last few lines say why a process that died at start-up did (a port taken, say).
            if (line is not null)
            {
                lastLines.Enqueue(line);
                while (lastLines.Count > 20 && lastLines.TryDequeue(out _))
                {
                }
            }
        }
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        string? exited = null;
        await Eventually.TrueAsync(async () =>
        {
            if (_process.HasExited)
            {
                exited = $"the stock-ledger exited with {_process.ExitCode}: {string.Join('\n', lastLines)}";
                return true;
            }
            return (await http.GetAsync($"http://127.0.0.1:{HttpPort}/readyz")).IsSuccessStatusCode;
        }, "the stock-ledger process is ready");
        if (exited is not null)
        {
            throw exited.Contains("address already in use", StringComparison.OrdinalIgnoreCase) ? new PortTakenException(exited) : new InvalidOperationException(exited);
        }
    }

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

    public void Dispose() => Stop();
}

internal sealed class PortTakenException(string message) : Exception(message);
