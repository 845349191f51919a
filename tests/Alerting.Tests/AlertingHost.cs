using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Stockcast.Alerting.V1;
using Stockcast.Ledger.V1;
using Stockcast.Testing;

namespace Stockcast.Alerting.Tests;

/// <summary>
/// The alerting service in-process (TestServer) on a real Redis, following the real stock-ledger run
/// as a process. Two hosts given the same ledger and namespace are two replicas of one deployment.
/// </summary>
public sealed class AlertingHost : WebApplicationFactory<Program>
{
    public const string WriterKey = "alerting-writer-key-0123456789abcdef";
    private readonly Dictionary<string, string?> _settings;
    private readonly TimeProvider? _clock;
    private readonly Action<IServiceCollection>? _services;
    private readonly List<GrpcChannel> _channels = [];

    public AlertingHost(string redis, LedgerProcess ledger, string? redisNamespace = null, IDictionary<string, string?>? settings = null, TimeProvider? clock = null, Action<IServiceCollection>? services = null)
    {
        Ledger = ledger;
        Namespace = redisNamespace ?? "a" + Guid.NewGuid().ToString("N")[..12];
        _clock = clock;
        _services = services;
        _settings = new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Warning",
            ["Redis:Configuration"] = redis,
            ["Redis:Namespace"] = Namespace,
            ["Auth:ApiKeys:0:Name"] = "console",
            ["Auth:ApiKeys:0:Key"] = WriterKey,
            ["Auth:ApiKeys:0:Access"] = "Write",
            ["Alerting:LedgerAddress"] = ledger.GrpcAddress.ToString(),
            ["Alerting:ConnectorAddress"] = null,
            ["Alerting:LeaseSeconds"] = "3",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }
    }

    public LedgerProcess Ledger { get; }

    public string Namespace { get; }

    /// <summary>A ledger with US (us-east), DE (eu-central) and SG (sea) warehouses.</summary>
    public static async Task<LedgerProcess> StartLedgerAsync(string redis)
    {
        var ledger = new LedgerProcess(redis, new Dictionary<string, string>
        {
            ["Ledger:Warehouses:0:Id"] = "us-east",
            ["Ledger:Warehouses:0:Region"] = "us-east",
            ["Ledger:Warehouses:0:Markets:0"] = "US",
            ["Ledger:Warehouses:1:Id"] = "eu-central",
            ["Ledger:Warehouses:1:Region"] = "eu-central",
            ["Ledger:Warehouses:1:Markets:0"] = "DE",
            ["Ledger:Warehouses:1:Markets:1"] = "FR",
            ["Ledger:Warehouses:2:Id"] = "sea-sg",
            ["Ledger:Warehouses:2:Region"] = "sea",
            ["Ledger:Warehouses:2:Markets:0"] = "SG",
        });
        await ledger.StartAsync();
        return ledger;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureTestServices(services =>
        {
            if (_clock is not null)
            {
                services.AddSingleton(_clock);
            }
            _services?.Invoke(services);
        });
    }

    public V1.Alerting.AlertingClient Client(string? key = WriterKey)
    {
        var channel = TestChannels.WithApiKey(Server.BaseAddress, Server.CreateHandler(), key);
        _channels.Add(channel);
        return new V1.Alerting.AlertingClient(channel);
    }

    /// <summary>Sets a SKU's figures at a warehouse in the ledger (a snapshot, as a warehouse feed would).</summary>
    public Task SetStockAsync(string warehouse, string sku, long available, long version, long inbound = 0, DateTimeOffset? sourceTime = null)
        => SetStockAsync(Ledger, warehouse, sku, available, version, inbound, sourceTime);

    /// <summary>Sets a SKU's figures at a warehouse in <paramref name="ledger"/> (e.g. a peer region's).</summary>
    public static async Task SetStockAsync(LedgerProcess ledger, string warehouse, string sku, long available, long version, long inbound = 0, DateTimeOffset? sourceTime = null)
    {
        using var channel = GrpcChannel.ForAddress(ledger.GrpcAddress);
        using var call = new StockLedger.StockLedgerClient(channel).ApplyStockEvents(new Metadata { { "Authorization", "Bearer " + LedgerProcess.WriterKey } });
        await call.RequestStream.WriteAsync(new ApplyStockEventsRequest
        {
            Events =
            {
                new StockEvent
                {
                    WarehouseId = warehouse,
                    Sku = sku,
                    SourceTime = Timestamp.FromDateTimeOffset(sourceTime ?? DateTimeOffset.UtcNow.AddSeconds(-1)),
                    Snapshot = new StockSnapshot { SourceVersion = version, Quantities = new Quantities { OnHand = available, Available = available, Inbound = inbound } },
                },
            },
        });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(EventOutcome.Applied, call.ResponseStream.Current.Results[0].Outcome);
    }

    /// <summary>Starts the service and waits until it is ready (it has listed the ledger).</summary>
    public async Task WaitReadyAsync()
        => await Eventually.TrueAsync(async () => (await CreateClient().GetAsync("/readyz")).IsSuccessStatusCode, "the alerting service is ready");

    /// <summary>The ledger's gRPC client with the writer key (reservations).</summary>
    public StockLedger.StockLedgerClient LedgerWriter(out Metadata auth)
    {
        var channel = GrpcChannel.ForAddress(Ledger.GrpcAddress);
        _channels.Add(channel);
        auth = new Metadata { { "Authorization", "Bearer " + LedgerProcess.WriterKey } };
        return new StockLedger.StockLedgerClient(channel);
    }

    /// <summary>A live stream in <paramref name="market"/> that started a minute ago and runs <paramref name="hours"/> more.</summary>
    public static LiveStream LiveNow(string id, string market, double hours, params string[] skus) => new()
    {
        Id = id,
        Market = market,
        Skus = { skus },
        StartsAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddMinutes(-1)),
        EndsAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(hours)),
    };

    /// <summary>Reads notifications until one matches, within a deadline.</summary>
    public static Task<List<AlertNotification>> ReadUntilAsync(AsyncServerStreamingCall<AlertNotification> call, Func<AlertNotification, bool> last, TimeSpan? deadline = null)
        => call.ResponseStream.ReadUntilAsync(last, deadline);

    protected override void Dispose(bool disposing)
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }
        base.Dispose(disposing);
    }
}
