using System.Net.Http.Headers;
using System.Net.Http.Json;
using Grpc.Core;
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
public sealed class ConnectorHost : InProcessHost<Program>
{
    public const string PusherKey = "erp-pusher-key-0123456789abcdef";

    private readonly string _redis;
    private readonly string _namespace = NewNamespace('c');
    private readonly Func<HttpMessageHandler>? _warehouseApis;

    private ConnectorHost(string redis, LedgerProcess ledger, IReadOnlyDictionary<string, string?>? settings, Func<HttpMessageHandler>? warehouseApis, TimeProvider? clock)
        : base(settings, clock)
    {
        _redis = redis;
        _warehouseApis = warehouseApis;
        Ledger = ledger;
    }

    public LedgerProcess Ledger { get; }

    /// <summary>Starts a ledger process with the two warehouses registered, and the connector in front of it.</summary>
    /// <param name="warehouseApis">Where the polled adapters' HTTP calls go (the simulator's in-process handler).</param>
    /// <param name="clock">The connector's clock (waits, timestamps), when a test moves it.</param>
    public static async Task<ConnectorHost> StartAsync(string redis, IReadOnlyDictionary<string, string?>? settings = null, Func<HttpMessageHandler>? warehouseApis = null, TimeProvider? clock = null)
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

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(ServiceSettings(_redis, _namespace, PusherKey))
    {
        ["Connector:LedgerAddress"] = Ledger.GrpcAddress.ToString(),
        ["Connector:LedgerApiKey"] = LedgerProcess.WriterKey,
        ["Connector:Feeds:0:WarehouseId"] = "us-erp",
        ["Connector:Feeds:0:SkuMap:ERP-TEE-W-M"] = "TEE-WHITE-M",
        ["Connector:Feeds:0:StaleAfterSeconds"] = "60",
        ["Connector:Feeds:1:WarehouseId"] = "eu-cases",
        ["Connector:Feeds:1:UnitsPerWarehouseUnit"] = "12",
    };

    protected override void ReplaceServices(IServiceCollection services)
    {
        if (_warehouseApis is not null)
        {
            services.AddHttpClient(ShipBobFeed.HttpClientName).ConfigurePrimaryHttpMessageHandler(_warehouseApis);
        }
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

    public WarehouseConnector.WarehouseConnectorClient Client() => new(Channel(PusherKey));

    /// <summary>Reads the ledger directly, to check what the connector delivered.</summary>
    public StockLedger.StockLedgerClient LedgerClient() => new(ChannelTo(Ledger.GrpcAddress));

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
        base.Dispose(disposing);
        if (disposing)
        {
            Ledger.Dispose();
        }
    }
}
