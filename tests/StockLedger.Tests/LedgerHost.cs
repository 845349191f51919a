using Stockcast.Testing;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using Stockcast.Ledger.V1;

namespace Stockcast.Ledger.Tests;

/// <summary>
/// The real stock-ledger in-process (TestServer) against a real Redis, reached over a real gRPC
/// channel. Each host gets its own key namespace unless given one, so tests share a Redis safely.
/// </summary>
public sealed class LedgerHost : WebApplicationFactory<Program>
{
    public const string WriterKey = "test-writer-key-0123456789abcdef";
    public const string ReaderKey = "test-reader-key-0123456789abcdef";

    private readonly Dictionary<string, string?> _settings;
    private readonly List<GrpcChannel> _channels = [];

    private readonly int? _kestrelGrpcPort;

    /// <param name="kestrel">Serve over real Kestrel sockets on loopback (real HTTP/2 flow control) instead of the in-memory TestServer.</param>
    public LedgerHost(string redisConfiguration, string? @namespace = null, IDictionary<string, string?>? settings = null, FakeTimeProvider? clock = null, bool kestrel = false)
    {
        Namespace = @namespace ?? "t" + Guid.NewGuid().ToString("N")[..16];
        Clock = clock;
        _settings = new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Warning",
            ["Redis:Configuration"] = redisConfiguration,
            ["Redis:Namespace"] = Namespace,
            ["Auth:ApiKeys:0:Name"] = "test-writer",
            ["Auth:ApiKeys:0:Key"] = WriterKey,
            ["Auth:ApiKeys:0:Access"] = "Write",
            ["Auth:ApiKeys:1:Name"] = "test-reader",
            ["Auth:ApiKeys:1:Key"] = ReaderKey,
            ["Auth:ApiKeys:1:Access"] = "Read",
            ["Ledger:ExpirySweepIntervalMs"] = "50",
            ["Ledger:Warehouses:0:Id"] = "us-east",
            ["Ledger:Warehouses:0:Region"] = "us-east",
            ["Ledger:Warehouses:0:Markets:0"] = "US",
            ["Ledger:Warehouses:0:Markets:1"] = "CA",
            ["Ledger:Warehouses:1:Id"] = "us-west",
            ["Ledger:Warehouses:1:Region"] = "us-west",
            ["Ledger:Warehouses:1:Markets:0"] = "US",
            ["Ledger:Warehouses:2:Id"] = "eu-de",
            ["Ledger:Warehouses:2:Region"] = "eu-central",
            ["Ledger:Warehouses:2:Markets:0"] = "DE",
            ["Ledger:Warehouses:2:Markets:1"] = "FR",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }
        if (kestrel)
        {
            _kestrelGrpcPort = Testing.FreePort.Next();
            _settings["Kestrel:Endpoints:Grpc:Url"] = $"http://127.0.0.1:{_kestrelGrpcPort}";
            _settings["Kestrel:Endpoints:Http:Url"] = $"http://127.0.0.1:{Testing.FreePort.Next()}";
            UseKestrel();
            StartServer();
        }
    }

    public string Namespace { get; }
    public FakeTimeProvider? Clock { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
        if (Clock is not null)
        {
            builder.ConfigureServices(services => services.Replace(ServiceDescriptor.Singleton<TimeProvider>(Clock)));
        }
    }

    /// <summary>A client that sends the given API key (writer by default; null for none).</summary>
    public StockLedger.StockLedgerClient Client(string? apiKey = WriterKey) => new(Channel(apiKey));

    public GrpcChannel Channel(string? apiKey = WriterKey)
    {
        var channel = _kestrelGrpcPort is int port
            ? TestChannels.WithApiKey(new Uri($"http://127.0.0.1:{port}"), new SocketsHttpHandler { EnableMultipleHttp2Connections = true }, apiKey)
            : TestChannels.WithApiKey(Server.BaseAddress, Server.CreateHandler(), apiKey);
        _channels.Add(channel);
        return channel;
    }

    /// <summary>Waits until the configured warehouses are registered (done in the background at start-up).</summary>
    public async Task<LedgerHost> ReadyAsync()
    {
        var client = Client();
        await Testing.Eventually.TrueAsync(async () => (await client.ListWarehousesAsync(new ListWarehousesRequest())).Warehouses.Count >= 3, "configured warehouses are registered");
        return this;
    }

    protected override void Dispose(bool disposing)
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }
        base.Dispose(disposing);
    }
}
