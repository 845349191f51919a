using System.Globalization;
using Stockcast.Launch;

namespace Stockcast.RunLocal;

/// <summary>
/// What `make run` starts, in order: Redis (append-only file, as production needs), the stock-ledger,
/// the warehouse simulator, the connector reading it, alerting, overlay-broadcast and the live sample
/// data, all on 127.0.0.1, each with its log in .run/. Each is in a session of its own, so a Ctrl-C
/// reaches only `make run`, which stops them in reverse order, Redis last.
/// </summary>
internal sealed class LocalStack(BuildOutput build, LocalPorts ports, string runFolder, string writerKey)
{
    public RedisServer Redis() => new(new RedisServerSpec(Path.Combine(runFolder, "redis"))
    {
        Port = ports.Redis,
        Arguments = ["--appendonly", "yes", "--appendfsync", "everysec", "--save", ""],
        LogFile = Log("redis"),
        OwnSession = true,
    });

    /// <summary>The ledger, with the two simulated warehouses the connector reads (sample-data registers its own).</summary>
    public LaunchedService Ledger() => Service("stock-ledger", BuiltProgram.StockLedger, ports.LedgerGrpc, ports.LedgerHttp, "/readyz", new()
    {
        ["Ledger:Warehouses:0:Id"] = "us-east-shipbob",
        ["Ledger:Warehouses:0:Region"] = "us-central",
        ["Ledger:Warehouses:0:Markets:0"] = "US",
        ["Ledger:Warehouses:1:Id"] = "us-west-fba",
        ["Ledger:Warehouses:1:Region"] = "us-west",
        ["Ledger:Warehouses:1:Markets:0"] = "US",
    });

    /// <summary>
    /// Simulated ShipBob / Amazon / CK1 / ShipHero / Shopify, running the demo scenario in real time,
    /// with 2 % of its records and webhook deliveries messy (docs/warehouse-sim.md#messy-mode): the
    /// operator board shows dead letters and a degraded feed, as real warehouses give them.
    /// </summary>
    public LaunchedService Simulator() => new(new ServiceSpec("warehouse-sim", build.AssemblyOf(BuiltProgram.WarehouseSim))
    {
        Settings = new Dictionary<string, string> { ["Sim:MessRate"] = "0.02" },
        HasGrpc = false,
        HttpPort = ports.Simulator,
        ReadinessPath = "/sim/state",
        LogFile = Log("warehouse-sim"),
        OwnSession = true,
    });

    /// <summary>
    /// The connector polls the simulated ShipBob and Amazon accounts every 10 s into the ledger; the
    /// sample data's four warehouses report through its push API (their heartbeats keep them fresh).
    /// The Amazon feed turns DEGRADED at a demo threshold, so the board shows one.
    /// </summary>
    public LaunchedService Connector() => Service("warehouse-connector", BuiltProgram.WarehouseConnector, ports.ConnectorGrpc, ports.ConnectorHttp, "/readyz", new()
    {
        ["Connector:LedgerAddress"] = Url(ports.LedgerGrpc),
        ["Connector:LedgerApiKey"] = writerKey,
        ["Connector:Feeds:0:WarehouseId"] = "us-east-shipbob",
        ["Connector:Feeds:0:Source"] = "shipbob",
        ["Connector:Feeds:0:BaseUrl"] = Url(ports.Simulator) + "/",
        ["Connector:Feeds:0:Credentials"] = "demo-shipbob-token",
        ["Connector:Feeds:0:PollIntervalSeconds"] = "10",
        ["Connector:Feeds:1:WarehouseId"] = "us-west-fba",
        ["Connector:Feeds:1:Source"] = "amazon-fba",
        ["Connector:Feeds:1:ExternalId"] = "ATVPDKIKX0DER",
        ["Connector:Feeds:1:BaseUrl"] = Url(ports.Simulator) + "/",
        ["Connector:Feeds:1:Credentials"] = "Atza|demo-fba-token",
        ["Connector:Feeds:1:PollIntervalSeconds"] = "10",
        // A demo threshold (the default is 20 %): the simulator's 2 % mess takes the Amazon feed over
        // it, so the board shows what a DEGRADED feed looks like, with its last reason and an example.
        ["Connector:Feeds:1:DegradedDeadLetterRatio"] = "0.005",
        ["Connector:Feeds:2:WarehouseId"] = "us-lax-shipbob",
        ["Connector:Feeds:3:WarehouseId"] = "us-nj-fba",
        ["Connector:Feeds:4:WarehouseId"] = "de-fra-ck1",
        ["Connector:Feeds:5:WarehouseId"] = "my-kul-3pl",
    });

    /// <summary>Alerting follows the ledger's Watch and the connector's feed events.</summary>
    public LaunchedService Alerting() => Service("alerting", BuiltProgram.Alerting, ports.AlertingGrpc, ports.AlertingHttp, "/healthz", new()
    {
        ["Alerting:LedgerAddress"] = Url(ports.LedgerGrpc),
        ["Alerting:ConnectorAddress"] = Url(ports.ConnectorGrpc),
    });

    /// <summary>
    /// overlay-broadcast: one ledger Watch for its rooms, updates over SSE, WebSockets and gRPC; feed
    /// freshness from the connector, alerts for the operator board from alerting.
    /// </summary>
    public LaunchedService Overlay() => Service("overlay-broadcast", BuiltProgram.OverlayBroadcast, ports.OverlayGrpc, ports.OverlayHttp, "/healthz", new()
    {
        ["Overlay:LedgerAddress"] = Url(ports.LedgerGrpc),
        ["Overlay:ConnectorAddress"] = Url(ports.ConnectorGrpc),
        ["Overlay:AlertingAddress"] = Url(ports.AlertingGrpc),
    });

    /// <summary>Live sample data: seeds the catalogue, makes the demo rooms (printing their tokens) and keeps stock moving.</summary>
    public ChildProcess SampleData() => new("sample-data", "dotnet",
        [
            build.AssemblyOf(BuiltProgram.SampleData), Url(ports.LedgerGrpc), Path.Combine(runFolder, "writer.key"), "--live",
            "--alerting", Url(ports.AlertingGrpc), "--overlay", Url(ports.OverlayGrpc), "--connector", Url(ports.ConnectorHttp) + "/",
        ],
        new ChildProcessOptions { LogFile = Log("sample-data"), OwnSession = true });

    public static string Url(int port) => "http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture);

    /// <summary>A service on its two loopback ports with the local Redis and the writer key; its own settings on top.</summary>
    private LaunchedService Service(string name, BuiltProgram program, int grpcPort, int httpPort, string readinessPath, Dictionary<string, string> settings)
        => new(new ServiceSpec(name, build.AssemblyOf(program))
        {
            GrpcPort = grpcPort,
            HttpPort = httpPort,
            ReadinessPath = readinessPath,
            Redis = new RedisTarget("127.0.0.1:" + ports.Redis.ToString(CultureInfo.InvariantCulture)),
            ApiKeys = [new ApiKey("local-writer", writerKey, "Write")],
            Settings = settings,
            EnvironmentName = "Development",
            LogFile = Log(name),
            OwnSession = true,
        });

    private string Log(string name) => Path.Combine(runFolder, name + ".log");
}
