using Grpc.Net.Client;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Stockcast.Launch;
using Stockcast.ServiceDefaults.Management;

namespace Stockcast.Testing;

/// <summary>
/// A service in-process for tests, in the "Testing" environment with its own settings and then a
/// test's, on the test's clock when given one. It runs on the in-memory TestServer, or with
/// <see cref="LoopbackPorts"/> on Kestrel sockets (real HTTP/2 flow control, or a client outside the
/// process such as a browser). gRPC channels and management clients made through it are disposed with it.
/// </summary>
public abstract class InProcessHost<TProgram> : WebApplicationFactory<TProgram> where TProgram : class
{
    private readonly IReadOnlyDictionary<string, string?>? _overrides;
    private readonly TimeProvider? _clock;
    private readonly List<IDisposable> _owned = [];

    /// <param name="overrides">A test's settings, applied over the host's own.</param>
    /// <param name="clock">Replaces the service's <see cref="TimeProvider"/>, when a test moves time.</param>
    /// <param name="ports">Kestrel's endpoints for a host on sockets (start it with <see cref="StartOnSockets{THost}"/>); null for the TestServer.</param>
    protected InProcessHost(IReadOnlyDictionary<string, string?>? overrides = null, TimeProvider? clock = null, LoopbackPorts? ports = null)
    {
        _overrides = overrides;
        _clock = clock;
        Ports = ports;
        if (ports is not null)
        {
            UseKestrel();
        }
    }

    /// <summary>Where a host on sockets listens; null on the TestServer.</summary>
    public LoopbackPorts? Ports { get; }

    /// <summary>The host's own settings (configuration keys such as "Redis:Namespace").</summary>
    protected abstract IReadOnlyDictionary<string, string?> Settings { get; }

    /// <summary>
    /// Starts a host made by <paramref name="create"/> on its sockets. When its ports were taken between
    /// choosing and binding them, a new host is made (each on fresh ports) and started instead.
    /// </summary>
    protected static THost StartOnSockets<THost>(Func<THost> create) where THost : InProcessHost<TProgram>
    {
        for (var attempt = 1; ; attempt++)
        {
            var host = create();
            try
            {
                host.StartServer();
                return host;
            }
            catch (IOException e) when (attempt < 3 && e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                host.Dispose();
            }
        }
    }

    /// <summary>What every Stockcast service is given: its Redis, its key namespace and an API key per role.</summary>
    protected static Dictionary<string, string?> ServiceSettings(string redis, string @namespace, RoleKeys keys)
    {
        var settings = keys.Settings();
        settings["Redis:Configuration"] = redis;
        settings["Redis:Namespace"] = @namespace;
        return settings;
    }

    /// <summary>A key namespace of its own, so hosts on one Redis keep apart; <paramref name="service"/> says whose it is.</summary>
    protected static string NewNamespace(char service) => service + Guid.NewGuid().ToString("N")[..12];

    /// <summary>Services the test swaps in (a fake warehouse API, say), after the service's own.</summary>
    protected virtual void ReplaceServices(IServiceCollection services)
    {
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }
        // On the TestServer, the appsettings.json beside the tests may be another program's: the
        // management port is named here, as every service's own appsettings.json names it. Not on
        // sockets: there the host's ports name its endpoints, and a fixed one would be bound by every
        // such host at once (the simulator, which has no management endpoint, failed on it in CI).
        if (Ports is null)
        {
            builder.UseSetting(ManagementPort.UrlKey, "http://127.0.0.1:9200");
        }
        foreach (var (endpoint, port) in Ports?.ByEndpoint ?? new Dictionary<string, int>())
        {
            // The configured endpoint wins over any other address Kestrel is given.
            builder.UseSetting($"Kestrel:Endpoints:{endpoint}:Url", $"http://127.0.0.1:{port}");
        }
        foreach (var (key, value) in _overrides ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<AuthorizationProbes>();
            services.Replace(ServiceDescriptor.Singleton<IAuthorizationMiddlewareResultHandler, AuthorizationProbes.RecordingResultHandler>());
            if (_clock is not null)
            {
                services.Replace(ServiceDescriptor.Singleton(_clock));
            }
            ReplaceServices(services);
        });
    }

    /// <summary>A channel to this service's gRPC endpoint that sends <paramref name="apiKey"/> (none when null).</summary>
    public GrpcChannel Channel(string? apiKey)
        => Keep(Ports is null
            ? TestChannels.WithApiKey(Server.BaseAddress, Server.CreateHandler(), apiKey)
            // Another HTTP/2 connection rather than queued calls once one connection's streams are all in use.
            : TestChannels.WithApiKey(Ports.Address(LoopbackPorts.Grpc), new SocketsHttpHandler { EnableMultipleHttp2Connections = true }, apiKey));

    /// <summary>
    /// A client of the management port (metrics, /healthz/feeds): on the TestServer, requests that
    /// arrive as if on that port, since it tells the management port apart by the local port alone.
    /// </summary>
    public HttpClient ManagementClient()
    {
        if (Ports is not null)
        {
            return Keep(new HttpClient { BaseAddress = Ports.Address(LoopbackPorts.Management) });
        }
        var port = Services.GetRequiredService<ManagementPort>().Port;
        return Keep(new HttpClient(Server.CreateHandler(c => c.Connection.LocalPort = port)) { BaseAddress = Server.BaseAddress });
    }

    /// <summary>One scrape of the service's Prometheus metrics, from its management port.</summary>
    public Task<string> MetricsAsync() => ManagementClient().GetStringAsync("/metrics");

    /// <summary>A channel to another service (a ledger process, say) that sends <paramref name="apiKey"/>, disposed with this host.</summary>
    protected GrpcChannel ChannelTo(Uri address, string apiKey) => Keep(TestChannels.WithApiKey(address, apiKey));

    private T Keep<T>(T disposable) where T : IDisposable
    {
        lock (_owned)
        {
            _owned.Add(disposable);
        }
        return disposable;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_owned)
            {
                _owned.ForEach(c => c.Dispose());
            }
        }
        base.Dispose(disposing);
    }
}
