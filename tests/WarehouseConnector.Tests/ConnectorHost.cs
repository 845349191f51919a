using System.Net.Http.Headers;
using System.Net.Http.Json;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Stockcast.Connector.Feeds.ShipBob;
using Stockcast.Connector.V1;
using Stockcast.Ledger.V1;
using Stockcast.Testing;

namespace Stockcast.Connector.Tests;

/// <summary>
/// A real Redis, the real stock-ledger as a process, and the connector in-process (TestServer)
/// feeding it: what a warehouse push goes through in production.
/// </summary>
public sealed class ConnectorHost : WebApplicationFactory<Program>
{
    public const string PusherKey = "erp-pusher-key-0123456789abcdef";
    private readonly Dictionary<string, string?> _settings;
    private readonly List<GrpcChannel> _channels = [];

    private readonly Func<HttpMessageHandler>? _warehouseApis;
    private readonly TimeProvider? _clock;

    private ConnectorHost(string redis, LedgerProcess ledger, IDictionary<string, string?>? settings, Func<HttpMessageHandler>? warehouseApis, TimeProvider? clock)
    {
        Ledger = ledger;
        _warehouseApis = warehouseApis;
        _clock = clock;
        _settings = new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Warning",
            ["Redis:Configuration"] = redis,
            ["Redis:Namespace"] = "c" + Guid.NewGuid().ToString("N")[..12],
            ["Auth:ApiKeys:0:Name"] = "erp",
            ["Auth:ApiKeys:0:Key"] = PusherKey,
            ["Auth:ApiKeys:0:Access"] = "Write",
            ["Connector:LedgerAddress"] = ledger.GrpcAddress.ToString(),
            ["Connector:LedgerApiKey"] = LedgerProcess.WriterKey,
            ["Connector:Feeds:0:WarehouseId"] = "us-erp",
            ["Connector:Feeds:0:SkuMap:ERP-TEE-W-M"] = "TEE-WHITE-M",
            ["Connector:Feeds:0:StaleAfterSeconds"] = "60",
            ["Connector:Feeds:1:WarehouseId"] = "eu-cases",
            ["Connector:Feeds:1:UnitsPerWarehouseUnit"] = "12",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }
    }

    public LedgerProcess Ledger { get; }

    /// <summary>Starts a ledger process with the two warehouses registered, and the connector in front of it.</summary>
    /// <param name="warehouseApis">Where the polled adapters' HTTP calls go (the simulator's in-process handler).</param>
    /// <param name="clock">The connector's clock (waits, timestamps), when a test moves it.</param>
    public static async Task<ConnectorHost> StartAsync(string redis, IDictionary<string, string?>? settings = null, Func<HttpMessageHandler>? warehouseApis = null, TimeProvider? clock = null)
    {
        var ledger = new LedgerProcess(redis, new Dictionary<string, string>
        {
            ["Ledger:Warehouses:0:Id"] = "us-erp",
            ["Ledger:Warehouses:0:Region"] = "us-east",
            ["Ledger:Warehouses:0:Markets:0"] = "US",
            ["Ledger:Warehouses:1:Id"] = "eu-cases",
            ["Ledger:Warehouses:1:Region"] = "eu-central",
            ["Ledger:Warehouses:1:Markets:0"] = "DE",
            ["Ledger:Warehouses:2:Id"] = "us-shipbob",
            ["Ledger:Warehouses:2:Region"] = "us-central",
            ["Ledger:Warehouses:2:Markets:0"] = "US",
        });
        await ledger.StartAsync();
        var host = new ConnectorHost(redis, ledger, settings, warehouseApis, clock);
        await Eventually.TrueAsync(async () => (await host.LedgerClient().ListWarehousesAsync(new ListWarehousesRequest())).Warehouses.Count == 3, "the ledger registered its warehouses");
        return host;
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
            if (_warehouseApis is not null)
            {
                services.AddHttpClient(ShipBobFeed.HttpClientName).ConfigurePrimaryHttpMessageHandler(_warehouseApis);
            }
            if (_clock is not null)
            {
                services.AddSingleton(_clock);
            }
        });
    }

    public HttpClient Pusher(string? key = PusherKey)
    {
        var client = CreateClient();
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        return client;
    }

    public static Task<HttpResponseMessage> PushAsync(HttpClient client, string warehouse, params object[] records)
        => client.PostAsJsonAsync($"/v1/warehouses/{warehouse}/stock", new { records });

    public WarehouseConnector.WarehouseConnectorClient Client()
    {
        var channel = TestChannels.WithApiKey(Server.BaseAddress, Server.CreateHandler(), PusherKey);
        _channels.Add(channel);
        return new WarehouseConnector.WarehouseConnectorClient(channel);
    }

    /// <summary>Reads the ledger directly, to check what the connector delivered.</summary>
    public StockLedger.StockLedgerClient LedgerClient()
    {
        var channel = GrpcChannel.ForAddress(Ledger.GrpcAddress);
        _channels.Add(channel);
        return new StockLedger.StockLedgerClient(channel);
    }

    /// <summary>Changes the ledger behind the connector's back (as drift would), with the ledger's writer key.</summary>
    public async Task ApplyToLedgerAsync(params StockEvent[] events)
    {
        using var call = LedgerClient().ApplyStockEvents(new Metadata { { "Authorization", "Bearer " + LedgerProcess.WriterKey } });
        await call.RequestStream.WriteAsync(new ApplyStockEventsRequest { Events = { events } });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.All(call.ResponseStream.Current.Results, r => Assert.Equal(EventOutcome.Applied, r.Outcome));
    }

    public async Task<StockRecord?> LedgerRecordAsync(string warehouse, string sku)
    {
        var found = await LedgerClient().BatchGetStockAsync(new BatchGetStockRequest { Keys = { new StockKey { WarehouseId = warehouse, Sku = sku } } });
        return found.Records.SingleOrDefault();
    }

    protected override void Dispose(bool disposing)
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }
        Ledger.Dispose();
        base.Dispose(disposing);
    }
}
