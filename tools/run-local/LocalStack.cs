using Stockcast.Launch;

namespace Stockcast.RunLocal;

/// <summary>
/// What `make run` starts, in order: Redis (append-only file, as production needs), the stock-ledger,
/// the warehouse simulator, the connector reading it, alerting, overlay-broadcast and the live sample
/// data, wired as <see cref="StackWiring"/> wires them (the end-to-end tests start the same), with the
/// demo's warehouses, feeds and mess on top. Each is in a session of its own, so a Ctrl-C reaches
/// only `make run`, which stops them in reverse order, Redis last.
/// </summary>
internal sealed class LocalStack(BuildOutput build, StackPorts ports, string runFolder, string adminKeyFile)
{
    private readonly StackWiring _wiring = new(build, ports, runFolder, RoleKeys.DerivedFrom(AdminKey.ReadOrCreate(adminKeyFile)), environmentName: "Development", ownSessions: true);

    public RedisServer Redis() => _wiring.Redis(["--appendonly", "yes", "--appendfsync", "everysec", "--save", ""]);

    /// <summary>The ledger, with the two simulated warehouses the connector reads (sample-data registers its own).</summary>
    public LaunchedService Ledger() => _wiring.Ledger(new Dictionary<string, string>
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
    public LaunchedService Simulator() => _wiring.Simulator(new Dictionary<string, string> { ["Sim:MessRate"] = "0.02" });

    /// <summary>
    /// The connector polls the simulated ShipBob and Amazon accounts every 10 s into the ledger; the
    /// sample data's four warehouses report through its push API (their heartbeats keep them fresh).
    /// The Amazon feed turns DEGRADED at a demo threshold, so the board shows one.
    /// </summary>
    public LaunchedService Connector() => _wiring.Connector(new Dictionary<string, string>
    {
        ["Connector:Feeds:0:WarehouseId"] = "us-east-shipbob",
        ["Connector:Feeds:0:Source"] = "shipbob",
        ["Connector:Feeds:0:BaseUrl"] = StackWiring.Url(ports.Simulator) + "/",
        ["Connector:Feeds:0:Credentials"] = "demo-shipbob-token",
        ["Connector:Feeds:0:PollIntervalSeconds"] = "10",
        ["Connector:Feeds:1:WarehouseId"] = "us-west-fba",
        ["Connector:Feeds:1:Source"] = "amazon-fba",
        ["Connector:Feeds:1:ExternalId"] = "ATVPDKIKX0DER",
        ["Connector:Feeds:1:BaseUrl"] = StackWiring.Url(ports.Simulator) + "/",
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

    public LaunchedService Alerting() => _wiring.Alerting(new Dictionary<string, string>());

    public LaunchedService Overlay() => _wiring.Overlay(new Dictionary<string, string>());

    /// <summary>Live sample data, as the operator (the admin key): seeds the catalogue, makes the demo rooms (printing their tokens) and keeps stock moving.</summary>
    public ChildProcess SampleData() => new("sample-data", "dotnet",
        [
            build.AssemblyOf(BuiltProgram.SampleData), StackWiring.Url(ports.LedgerGrpc), adminKeyFile, "--live",
            "--alerting", StackWiring.Url(ports.AlertingGrpc), "--overlay", StackWiring.Url(ports.OverlayGrpc), "--connector", StackWiring.Url(ports.ConnectorHttp) + "/",
        ],
        new ChildProcessOptions { LogFile = _wiring.Log("sample-data"), OwnSession = true });
}
