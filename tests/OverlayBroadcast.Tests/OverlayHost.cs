using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Stockcast.Ledger.V1;
using Stockcast.Overlay.V1;
using Stockcast.Launch;
using Stockcast.Testing;

namespace Stockcast.Overlay.Tests;

/// <summary>
/// The overlay service in-process (TestServer) on a real Redis, fed by the real stock-ledger run as
/// a process. Two hosts given the same namespace are two replicas of one deployment; extra settings
/// point it at e.g. a connector or alerting process. <see cref="OnSockets"/> runs it on Kestrel instead,
/// with its real two endpoints on free loopback ports (gRPC over HTTP/2, pages and SSE over HTTP/1.1),
/// for a browser, which needs a socket.
/// </summary>
public sealed class OverlayHost : InProcessHost<Program>
{
    public const string ReaderKey = "overlay-reader-key-0123456789abcdef";
    public const string WriterKey = "overlay-writer-key-0123456789abcdef";
    public const string AdminKey = "overlay-admin-key-0123456789abcdef";
    private readonly string _redis;
    private readonly IReadOnlyDictionary<string, string?>? _settings;

    public OverlayHost(string redis, LedgerProcess ledger, string? redisNamespace = null, IReadOnlyDictionary<string, string?>? settings = null)
        : this(redis, ledger, redisNamespace, settings, ports: null)
    {
    }

    private OverlayHost(string redis, LedgerProcess ledger, string? redisNamespace, IReadOnlyDictionary<string, string?>? settings, LoopbackPorts? ports)
        : base(settings, ports: ports)
    {
        _redis = redis;
        _settings = settings;
        Ledger = ledger;
        Namespace = redisNamespace ?? NewNamespace('o');
    }

    /// <summary>The service on Kestrel, started: <see cref="PageAddress"/> is where a browser finds its pages.</summary>
    public static OverlayHost OnSockets(string redis, LedgerProcess ledger, IReadOnlyDictionary<string, string?>? settings = null)
        => StartOnSockets(() => new OverlayHost(redis, ledger, null, settings, LoopbackPorts.ForService()));

    /// <summary>
    /// Stops this host and starts the same deployment again on the same ports and Redis namespace:
    /// a service restart as a connected browser sees it.
    /// </summary>
    public OverlayHost Restart()
    {
        var ports = Ports ?? throw new InvalidOperationException("only a host on sockets can be restarted");
        Dispose();
        var host = new OverlayHost(_redis, Ledger, Namespace, _settings, ports);
        host.StartServer();
        return host;
    }

    public LedgerProcess Ledger { get; }

    public string Namespace { get; }

    /// <summary>The HTTP/1.1 endpoint (pages, SSE, WebSockets) of a host <see cref="OnSockets"/>.</summary>
    public Uri PageAddress => Ports?.Address(LoopbackPorts.Http) ?? throw new InvalidOperationException("only a host on sockets has a page address");

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(ServiceSettings(_redis, Namespace, new RoleKeys(ReaderKey, WriterKey, AdminKey)))
    {
        ["Overlay:LedgerAddress"] = Ledger.GrpcAddress.ToString(),
        ["Overlay:LedgerApiKey"] = LedgerProcess.ReaderKey,
        ["Overlay:ConnectorApiKey"] = ConnectorProcess.ReaderKey,
        ["Overlay:AlertingApiKey"] = AlertingProcess.ReaderKey,
        ["Overlay:RoomRefreshMilliseconds"] = "200",
        ["Overlay:LedgerSilenceSeconds"] = "2",
    };

    /// <summary>A ledger with US (us-east, us-west), DE (eu-central) warehouses; extra settings make e.g. a second replica.</summary>
    public static async Task<LedgerProcess> StartLedgerAsync(string redis, IReadOnlyDictionary<string, string>? extra = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["Ledger:Warehouses:0:Id"] = "us-east",
            ["Ledger:Warehouses:0:Region"] = "us-east",
            ["Ledger:Warehouses:0:Markets:0"] = "US",
            ["Ledger:Warehouses:1:Id"] = "us-west",
            ["Ledger:Warehouses:1:Region"] = "us-west",
            ["Ledger:Warehouses:1:Markets:0"] = "US",
            ["Ledger:Warehouses:2:Id"] = "eu-central",
            ["Ledger:Warehouses:2:Region"] = "eu-central",
            ["Ledger:Warehouses:2:Markets:0"] = "DE",
            ["Ledger:Warehouses:2:Markets:1"] = "FR",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            settings[key] = value;
        }
        var ledger = new LedgerProcess(redis, settings);
        await ledger.StartAsync();
        return ledger;
    }

    /// <summary>A client with <paramref name="key"/>: the admin key by default (tests make rooms and tokens as the operator does).</summary>
    public V1.Overlay.OverlayClient Client(string? key = AdminKey) => new(Channel(key));

    /// <summary>A room live now in <paramref name="market"/> featuring <paramref name="skus"/> (red below 5, yellow below 20).</summary>
    public static Room LiveRoom(string id, string market, params string[] skus) => new()
    {
        Id = id,
        Title = "Spring drop",
        Platforms = { Platform.Tiktok, Platform.Youtube },
        Market = market,
        Featured = { skus.Select(sku => new FeaturedSku { Sku = sku, DisplayName = sku, GreenAtOrAbove = 20, YellowAtOrAbove = 5 }) },
        Display = new DisplayOptions { CountDown = true, HeatMap = true, SoldOutCard = true },
        StartsAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddMinutes(-1)),
        EndsAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(3)),
        MaxUpdatesPerSecond = 30,
        // Figures set once with no connector confirming them age past the default 10 s bound while a
        // loaded machine opens a browser: staleness is tested where a test sets its own bound.
        StaleAfterSeconds = 3600,
    };

    /// <summary>Creates the room and opens its Server-Sent Events stream with a fresh viewer token.</summary>
    public async Task<SseReader> OpenOverlayAsync(Room room)
    {
        await Client().UpsertRoomAsync(room);
        var token = await Client().IssueTokenAsync(new IssueTokenRequest { RoomId = room.Id });
        return await SseReader.OpenAsync(CreateClient(), token.Get());
    }

    /// <summary>Creates the room and opens its operator board's event stream with a fresh operator token.</summary>
    public async Task<(SseReader Board, IssueTokenResponse Token)> OpenBoardAsync(Room room)
    {
        await Client().UpsertRoomAsync(room);
        var token = await Client().IssueTokenAsync(new IssueTokenRequest { RoomId = room.Id, Scope = TokenScope.Operator });
        return (await SseReader.OpenAsync(CreateClient(), $"/board/{room.Id}/events?token={token.Token}"), token);
    }

    /// <summary>
    /// Creates the room and returns its overlay page's link with a fresh viewer token in the fragment
    /// (a host <see cref="OnSockets"/>); <paramref name="query"/> ("?transport=ws") goes before it.
    /// </summary>
    public async Task<Uri> OverlayPageAsync(Room room, string query = "")
    {
        await Client().UpsertRoomAsync(room);
        var token = await Client().IssueTokenAsync(new IssueTokenRequest { RoomId = room.Id });
        var fragment = token.OverlayPath.IndexOf('#', StringComparison.Ordinal);
        return new Uri(PageAddress, token.OverlayPath[..fragment] + query + token.OverlayPath[fragment..]);
    }

    /// <summary>Sets a SKU's figures at a warehouse in the ledger (a snapshot, as a warehouse feed would).</summary>
    public Task SetStockAsync(string warehouse, string sku, long available, long version, DateTimeOffset? sourceTime = null)
        => ApplyAsync([(warehouse, sku, available, version)], sourceTime);

    /// <summary>Sets figures with all their parts (inbound too), one batch each.</summary>
    public Task SetFiguresAsync(params StockFigure[] figures)
        => new StockLedger.StockLedgerClient(ChannelTo(Ledger.GrpcAddress, LedgerProcess.WriterKey)).SetStockAsync(figures);

    /// <summary>Applies snapshots as fast as the ledger takes them, one batch each, on one call.</summary>
    public Task ApplyAsync(IReadOnlyList<(string Warehouse, string Sku, long Available, long Version)> snapshots, DateTimeOffset? sourceTime = null, LedgerProcess? via = null)
        => new StockLedger.StockLedgerClient(ChannelTo((via ?? Ledger).GrpcAddress, LedgerProcess.WriterKey)).SetStockAsync(
            [.. snapshots.Select(s => new StockFigure(s.Warehouse, s.Sku, s.Available, s.Version))], sourceTime);
}
