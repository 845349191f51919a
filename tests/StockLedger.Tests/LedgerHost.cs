using Stockcast.Ledger.V1;
using Stockcast.Launch;
using Stockcast.Testing;

namespace Stockcast.Ledger.Tests;

/// <summary>
/// The real stock-ledger in-process against a real Redis, reached over a real gRPC channel. Each host
/// gets its own key namespace unless given one, so tests share a Redis safely.
/// </summary>
public sealed class LedgerHost : InProcessHost<Program>
{
    public const string WriterKey = "test-writer-key-0123456789abcdef";
    public const string ReaderKey = "test-reader-key-0123456789abcdef";
    public const string AdminKey = "test-admin-key-0123456789abcdef";

    private readonly string _redis;

    public LedgerHost(string redisConfiguration, string? @namespace = null, IReadOnlyDictionary<string, string?>? settings = null, TimeProvider? clock = null)
        : this(redisConfiguration, @namespace, settings, clock, ports: null)
    {
    }

    private LedgerHost(string redisConfiguration, string? @namespace, IReadOnlyDictionary<string, string?>? settings, TimeProvider? clock, LoopbackPorts? ports)
        : base(settings, clock, ports)
    {
        _redis = redisConfiguration;
        Namespace = @namespace ?? NewNamespace('t');
    }

    public string Namespace { get; }

    /// <summary>The ledger on Kestrel sockets, started: real HTTP/2 flow control, real shutdown of open streams.</summary>
    public static LedgerHost OnSockets(string redisConfiguration, IReadOnlyDictionary<string, string?>? settings = null)
        => StartOnSockets(() => new LedgerHost(redisConfiguration, null, settings, null, LoopbackPorts.ForService()));

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(ServiceSettings(_redis, Namespace, new RoleKeys(ReaderKey, WriterKey, AdminKey)))
    {
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

    /// <summary>A client that sends the given API key (writer by default; null for none).</summary>
    public StockLedger.StockLedgerClient Client(string? apiKey = WriterKey) => new(Channel(apiKey));

    /// <summary>Waits until the configured warehouses are registered (done in the background at start-up).</summary>
    public async Task<LedgerHost> ReadyAsync()
    {
        var client = Client();
        await Eventually.TrueAsync(async () => (await client.ListWarehousesAsync(new ListWarehousesRequest())).Warehouses.Count >= 3, "configured warehouses are registered");
        return this;
    }
}
