using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace Stockcast.Launch;

/// <summary>
/// A service started from its build output as a process (see <see cref="ServiceSpec"/>). A start
/// returns once the service answers its readiness path; <see cref="Kill"/> is SIGKILL and
/// <see cref="StopAsync"/> a graceful stop; a later start runs it again on the same ports, as
/// Kubernetes restarts a pod behind its Service.
/// </summary>
public sealed class LaunchedService : ILaunched, IDisposable
{
    private const int AttemptsWhenPortTaken = 3;
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan LongestPause = TimeSpan.FromMilliseconds(200);
    private readonly ServiceSpec _spec;
    private ChildProcess _process;

    public LaunchedService(ServiceSpec spec)
    {
        _spec = spec;
        PickPorts();
        _process = NewProcess();
    }

    public string Name => _spec.Name;
    public int GrpcPort { get; private set; }
    public int HttpPort { get; private set; }
    public int ManagementPort { get; private set; }
    public Uri GrpcAddress => Address(GrpcPort);
    public Uri HttpAddress => Address(HttpPort);

    /// <summary>Where its metrics are (/metrics); only a program with gRPC has it.</summary>
    public Uri ManagementAddress => Address(ManagementPort);
    public int Pid => _process.Pid;
    public int Starts => _process.Starts;
    public bool IsRunning => _process.IsRunning;
    public string RecentOutput => _process.RecentOutput;

    /// <summary>
    /// Starts the service and waits until it is ready. The first start moves to fresh ports when
    /// free ones were picked and taken meanwhile; a restart keeps its ports, as clients hold them.
    /// </summary>
    public async Task StartAsync(CancellationToken cancel = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await StartOnceAsync(cancel);
                return;
            }
            catch (PortTakenException) when (Starts == 1 && _spec.GrpcPort is null && _spec.HttpPort is null && _spec.ManagementPort is null && attempt < AttemptsWhenPortTaken)
            {
                _process.Dispose();
                PickPorts();
                _process = NewProcess();
            }
        }
    }

    public Task<int> WaitForExitAsync(CancellationToken cancel = default) => _process.WaitForExitAsync(cancel);

    /// <inheritdoc cref="ChildProcess.Kill"/>
    public void Kill() => _process.Kill();

    public Task StopAsync(TimeSpan grace) => _process.StopAsync(grace);

    public void Dispose() => _process.Dispose();

    private void PickPorts()
    {
        GrpcPort = _spec.GrpcPort ?? (_spec.HasGrpc ? FreePort.Next(_spec.BindAddress) : 0);
        HttpPort = _spec.HttpPort ?? FreePort.Next(_spec.BindAddress);
        ManagementPort = _spec.ManagementPort ?? (_spec.HasGrpc ? FreePort.Next(_spec.BindAddress) : 0);
    }

    private Uri Address(int port)
        => new($"http://{(_spec.BindAddress.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{_spec.BindAddress}]" : _spec.BindAddress)}:{port.ToString(CultureInfo.InvariantCulture)}");

    private ChildProcess NewProcess() => new(_spec.Name, "dotnet", [_spec.Assembly], new ChildProcessOptions
    {
        // Where a container runs it from (the simulator reads appsettings.json from its working directory).
        WorkingDirectory = Path.GetDirectoryName(_spec.Assembly),
        Environment = EnvironmentVariables(),
        LogFile = _spec.LogFile,
        OwnSession = _spec.OwnSession,
    });

    private Dictionary<string, string> EnvironmentVariables()
    {
        var environment = new Dictionary<string, string>();
        if (_spec.EnvironmentName is { } name)
        {
            environment["ASPNETCORE_ENVIRONMENT"] = name;
        }
        if (_spec.HasGrpc)
        {
            environment["Kestrel__Endpoints__Grpc__Url"] = GrpcAddress.GetLeftPart(UriPartial.Authority);
            environment["Kestrel__Endpoints__Management__Url"] = ManagementAddress.GetLeftPart(UriPartial.Authority);
        }
        environment["Kestrel__Endpoints__Http__Url"] = HttpAddress.GetLeftPart(UriPartial.Authority);
        if (_spec.Redis is { } redis)
        {
            environment["Redis__Configuration"] = redis.Configuration;
            if (redis.Namespace is { } prefix)
            {
                environment["Redis__Namespace"] = prefix;
            }
        }
        for (var i = 0; i < _spec.ApiKeys.Count; i++)
        {
            environment[$"Auth__ApiKeys__{i}__Name"] = _spec.ApiKeys[i].Name;
            environment[$"Auth__ApiKeys__{i}__Key"] = _spec.ApiKeys[i].Key;
            environment[$"Auth__ApiKeys__{i}__Access"] = _spec.ApiKeys[i].Access;
        }
        foreach (var (key, value) in _spec.Settings)
        {
            environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        return environment;
    }

    private async Task StartOnceAsync(CancellationToken cancel)
    {
        _process.Start();
        var readiness = new Uri(HttpAddress, _spec.ReadinessPath);
        using var http = new HttpClient { Timeout = ProbeTimeout };
        var clock = Stopwatch.StartNew();
        var pause = TimeSpan.FromMilliseconds(20);
        var last = "no answer yet";
        while (true)
        {
            if (!_process.IsRunning)
            {
                var exit = await _process.WaitForExitAsync(cancel);
                var message = $"the {Name} {ChildProcess.DescribeExit(exit)} before it was ready: {RecentOutput}";
                throw message.Contains("address already in use", StringComparison.OrdinalIgnoreCase)
                    ? new PortTakenException(message)
                    : new InvalidOperationException(message);
            }
            try
            {
                using var response = await http.GetAsync(readiness, cancel);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
                last = $"{_spec.ReadinessPath} answered {(int)response.StatusCode}";
            }
            catch (HttpRequestException ex)
            {
                last = ex.Message;
            }
            catch (TaskCanceledException) when (!cancel.IsCancellationRequested)
            {
                last = $"{_spec.ReadinessPath} did not answer within {ProbeTimeout.TotalSeconds:0} s";
            }
            if (clock.Elapsed > _spec.ReadyDeadline)
            {
                _process.Kill();
                throw new TimeoutException($"the {Name} was not ready within {_spec.ReadyDeadline.TotalSeconds:0} s ({last}): {RecentOutput}");
            }
            // Short at first (a warm service is ready in well under a second), then no busier than 5 checks a second.
            await Task.Delay(pause, cancel);
            pause = pause * 2 < LongestPause ? pause * 2 : LongestPause;
        }
    }

    private sealed class PortTakenException(string message) : InvalidOperationException(message);
}
