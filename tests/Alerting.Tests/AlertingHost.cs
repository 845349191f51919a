using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Stockcast.Alerting.V1;
using Stockcast.Ledger.V1;
using Stockcast.Launch;
using Stockcast.Testing;

namespace Stockcast.Alerting.Tests;

/// <summary>
/// The alerting service in-process (TestServer) on a real Redis, following the real stock-ledger run
/// as a process. Two hosts given the same ledger and namespace are two replicas of one deployment.
/// </summary>
public sealed class AlertingHost(string redis, LedgerProcess ledger, string? redisNamespace = null, IReadOnlyDictionary<string, string?>? settings = null, TimeProvider? clock = null, LoopbackPorts? ports = null)
    : InProcessHost<Program>(settings, clock, ports)
{
    /// <summary>The service on Kestrel, started, for a caller that needs its real sockets (HTTP/1.1 as the Dapr sidecar speaks it).</summary>
    public static AlertingHost OnSockets(string redis, LedgerProcess ledger, IReadOnlyDictionary<string, string?>? settings = null)
        => StartOnSockets(() => new AlertingHost(redis, ledger, settings: settings, ports: LoopbackPorts.ForService()));

    public const string ReaderKey = "alerting-reader-key-0123456789abcdef";
    public const string WriterKey = "alerting-writer-key-0123456789abcdef";
    public const string AdminKey = "alerting-admin-key-0123456789abcdef";

    public LedgerProcess Ledger => ledger;

    public string Namespace { get; } = redisNamespace ?? NewNamespace('a');

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(ServiceSettings(redis, Namespace, new RoleKeys(ReaderKey, WriterKey, AdminKey)))
    {
        ["Alerting:LedgerAddress"] = ledger.GrpcAddress.ToString(),
        ["Alerting:LedgerApiKey"] = LedgerProcess.ReaderKey,
        ["Alerting:ConnectorApiKey"] = ConnectorProcess.ReaderKey,
        ["Alerting:ConnectorAddress"] = null,
        ["Alerting:LeaseSeconds"] = "3",
    };

    /// <summary>A ledger with US (us-east), DE (eu-central) and SG (sea) warehouses.</summary>
    public static async Task<LedgerProcess> StartLedgerAsync(string redis)
    {
        var ledger = new LedgerProcess(redis, new Dictionary<string, string>
        {
            ["Ledger:Warehouses:0:Id"] = "us-east",
            ["Ledger:Warehouses:0:Region"] = "us-east",
            ["Ledger:Warehouses:0:Markets:0"] = "US",
            // Allocates at once (not the ledger's 120 s default), so a report right after a commit settles it.
            ["Ledger:Warehouses:0:AllocationDelayMs"] = "1",
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

    /// <summary>A client with <paramref name="key"/>: the admin key by default (tests set rules as the console does).</summary>
    public V1.Alerting.AlertingClient Client(string? key = AdminKey) => new(Channel(key));

    /// <summary>Sets a SKU's figures at a warehouse in the ledger (a snapshot, as a warehouse feed would).</summary>
    public Task SetStockAsync(string warehouse, string sku, long available, long version, long inbound = 0, DateTimeOffset? sourceTime = null)
        => SetStockAsync(Ledger, warehouse, sku, available, version, inbound, sourceTime);

    /// <summary>Sets a SKU's figures at a warehouse in <paramref name="ledger"/> (e.g. a peer region's).</summary>
    public static async Task SetStockAsync(LedgerProcess ledger, string warehouse, string sku, long available, long version, long inbound = 0, DateTimeOffset? sourceTime = null)
    {
        using var channel = GrpcChannel.ForAddress(ledger.GrpcAddress);
        await new StockLedger.StockLedgerClient(channel).SetStockAsync([new StockFigure(warehouse, sku, available, version, inbound)],
            sourceTime ?? DateTimeOffset.UtcNow.AddSeconds(-1), new Metadata { { "Authorization", "Bearer " + LedgerProcess.WriterKey } });
    }

    /// <summary>Starts the service and waits until it is ready (it has listed the ledger).</summary>
    public async Task WaitReadyAsync()
        => await Eventually.TrueAsync(async () => (await CreateClient().GetAsync("/readyz")).IsSuccessStatusCode, "the alerting service is ready");

    /// <summary>The ledger's gRPC client with the writer key (reservations).</summary>
    public StockLedger.StockLedgerClient LedgerWriter(out Metadata auth)
    {
        auth = [];
        return new StockLedger.StockLedgerClient(ChannelTo(Ledger.GrpcAddress, LedgerProcess.WriterKey));
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
}
