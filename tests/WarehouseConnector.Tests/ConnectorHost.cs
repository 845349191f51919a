using System.Net.Http.Headers;
using System.Net.Http.Json;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Stockcast.Connector.Feeds;
using Stockcast.Connector.V1;
using Stockcast.Ledger.V1;
using Stockcast.Launch;
using Stockcast.Testing;

namespace Stockcast.Connector.Tests;

/// <summary>
/// A real Redis, the real stock-ledger as a process, and the connector in-process (TestServer)
/// feeding it: what a warehouse push goes through in production.
/// </summary>
public sealed class ConnectorHost : InProcessHost<Program>
{
    public const string ReaderKey = "connector-reader-key-0123456789abcdef";
    public const string PusherKey = "erp-pusher-key-0123456789abcdef";
    public const string AdminKey = "connector-admin-key-0123456789abcdef";

    private readonly string _redis;
    private readonly string _namespace = NewNamespace('c');
    private readonly Func<HttpMessageHandler>? _warehouseApis;
    private readonly Action<IServiceCollection>? _replace;

    private ConnectorHost(string redis, LedgerProcess ledger, IReadOnlyDictionary<string, string?>? settings, Func<HttpMessageHandler>? warehouseApis, TimeProvider? clock, Action<IServiceCollection>? replace)
        : base(settings, clock)
    {
        _redis = redis;
        _warehouseApis = warehouseApis;
        _replace = replace;
        Ledger = ledger;
    }

    public LedgerProcess Ledger { get; }

    /// <summary>
    /// The ledger's warehouses: the two pushed feeds every host has, and one per kind of source a
    /// test class adds as its third feed, named after it.
    /// </summary>
    private static readonly (string Id, string Region, string Market)[] LedgerWarehouses =
    [
        ("us-erp", "us-east", "US"),
        ("eu-cases", "eu-central", "DE"),
        ("us-shipbob", "us-central", "US"),
        ("us-fba", "us-east", "US"),
        ("eu-ck1", "eu-central", "DE"),
        ("us-shiphero", "us-east", "US"),
        ("us-shopify", "us-west", "US"),
        ("us-drop", "us-east", "US"),
        ("eu-drop", "eu-central", "DE"),
    ];

    /// <summary>Starts a ledger process with its warehouses registered, and the connector in front of it.</summary>
    /// <param name="warehouseApis">Where the polled adapters' HTTP calls go (the simulator's in-process handler).</param>
    /// <param name="clock">The connector's clock (waits, timestamps), when a test moves it.</param>
    /// <param name="replace">Services of the connector a test swaps (rules laxer than the ledger's, say).</param>
    public static async Task<ConnectorHost> StartAsync(string redis, IReadOnlyDictionary<string, string?>? settings = null, Func<HttpMessageHandler>? warehouseApis = null, TimeProvider? clock = null, Action<IServiceCollection>? replace = null)
    {
        var ledgerSettings = new Dictionary<string, string>();
        foreach (var (warehouse, i) in LedgerWarehouses.Select((w, i) => (w, i)))
        {
            ledgerSettings[$"Ledger:Warehouses:{i}:Id"] = warehouse.Id;
            ledgerSettings[$"Ledger:Warehouses:{i}:Region"] = warehouse.Region;
            ledgerSettings[$"Ledger:Warehouses:{i}:Markets:0"] = warehouse.Market;
        }
        var ledger = new LedgerProcess(redis, ledgerSettings);
        await ledger.StartAsync();
        var host = new ConnectorHost(redis, ledger, settings, warehouseApis, clock, replace);
        await Eventually.TrueAsync(async () => (await host.LedgerClient().ListWarehousesAsync(new ListWarehousesRequest())).Warehouses.Count == LedgerWarehouses.Length, "the ledger registered its warehouses");
        return host;
    }

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(ServiceSettings(_redis, _namespace, new RoleKeys(ReaderKey, PusherKey, AdminKey)))
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
            services.AddHttpClient(WarehouseApiClient.Name).ConfigurePrimaryHttpMessageHandler(_warehouseApis);
        }
        _replace?.Invoke(services);
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

    /// <summary>A client with <paramref name="key"/>: the admin key by default (tests replay and purge dead letters as an operator does).</summary>
    public WarehouseConnector.WarehouseConnectorClient Client(string? key = AdminKey) => new(Channel(key));

    /// <summary>The ledger directly, with its writer key: to check what the connector delivered, or to change it behind the connector's back.</summary>
    public StockLedger.StockLedgerClient LedgerClient() => new(ChannelTo(Ledger.GrpcAddress, LedgerProcess.WriterKey));

    /// <summary>Changes the ledger behind the connector's back (as drift would), with the ledger's writer key.</summary>
    public async Task ApplyToLedgerAsync(params StockEvent[] events)
    {
        using var call = LedgerClient().ApplyStockEvents();
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
