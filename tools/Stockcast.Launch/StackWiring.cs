using System.Globalization;

namespace Stockcast.Launch;

/// <summary>The loopback ports of one whole Stockcast system: Redis, each service's gRPC, HTTP and management endpoints, the warehouse simulator.</summary>
public sealed record StackPorts(
    int Redis, int LedgerGrpc, int LedgerHttp, int LedgerManagement, int ConnectorGrpc, int ConnectorHttp, int ConnectorManagement,
    int AlertingGrpc, int AlertingHttp, int AlertingManagement, int OverlayGrpc, int OverlayHttp, int OverlayManagement, int Simulator)
{
    /// <summary>Fourteen ports nobody listens on now (a test's own system beside anything else running).</summary>
    public static StackPorts Free() => new(
        FreePort.Next(), FreePort.Next(), FreePort.Next(), FreePort.Next(), FreePort.Next(), FreePort.Next(), FreePort.Next(),
        FreePort.Next(), FreePort.Next(), FreePort.Next(), FreePort.Next(), FreePort.Next(), FreePort.Next(), FreePort.Next());
}

/// <summary>
/// How the whole system is wired on 127.0.0.1: Redis, the stock-ledger, the warehouse simulator, the
/// connector writing into the ledger, alerting following the ledger and the connector, and
/// overlay-broadcast following all three, every service with the one Redis and the same key per role
/// (services read each other with the reader key, the connector writes with the writer key; the
/// admin key is the operator's), each with its log in the run folder. `make run` starts it with its demo settings on top, the
/// end-to-end tests with theirs; neither restates who reaches whom.
/// </summary>
/// <param name="environmentName">ASPNETCORE_ENVIRONMENT of every service (null: this process's).</param>
/// <param name="ownSessions">Each process in a session of its own (make run: a Ctrl-C reaches only the supervisor).</param>
public sealed class StackWiring(BuildOutput build, StackPorts ports, string runFolder, RoleKeys keys, string? environmentName = null, bool ownSessions = false)
{
    public StackPorts Ports => ports;

    public string RunFolder => runFolder;

    public RoleKeys Keys => keys;

    /// <summary>Redis on its port with its data in the run folder; <paramref name="arguments"/> say how it persists.</summary>
    public RedisServer Redis(IReadOnlyList<string> arguments) => new(new RedisServerSpec(Path.Combine(runFolder, "redis"))
    {
        Port = ports.Redis,
        Arguments = arguments,
        LogFile = Log("redis"),
        OwnSession = ownSessions,
    });

    public LaunchedService Ledger(IReadOnlyDictionary<string, string> settings, string readinessPath = "/readyz")
        => Service("stock-ledger", BuiltProgram.StockLedger, ports.LedgerGrpc, ports.LedgerHttp, ports.LedgerManagement, readinessPath, settings, []);

    /// <summary>The simulated warehouse APIs (HTTP only, no Redis), ready once /sim/state answers.</summary>
    public LaunchedService Simulator(IReadOnlyDictionary<string, string> settings) => new(new ServiceSpec("warehouse-sim", build.AssemblyOf(BuiltProgram.WarehouseSim))
    {
        Settings = settings,
        HasGrpc = false,
        HttpPort = ports.Simulator,
        ReadinessPath = "/sim/state",
        LogFile = Log("warehouse-sim"),
        OwnSession = ownSessions,
    });

    /// <summary>The connector, writing into the ledger with the writer key; its feeds are in <paramref name="settings"/>.</summary>
    public LaunchedService Connector(IReadOnlyDictionary<string, string> settings, string readinessPath = "/readyz")
        => Service("warehouse-connector", BuiltProgram.WarehouseConnector, ports.ConnectorGrpc, ports.ConnectorHttp, ports.ConnectorManagement, readinessPath, settings, new()
        {
            ["Connector:LedgerAddress"] = Url(ports.LedgerGrpc),
            ["Connector:LedgerApiKey"] = keys.Writer,
        });

    /// <summary>Alerting follows the ledger's Watch and the connector's feed events.</summary>
    public LaunchedService Alerting(IReadOnlyDictionary<string, string> settings, string readinessPath = "/healthz")
        => Service("alerting", BuiltProgram.Alerting, ports.AlertingGrpc, ports.AlertingHttp, ports.AlertingManagement, readinessPath, settings, new()
        {
            ["Alerting:LedgerAddress"] = Url(ports.LedgerGrpc),
            ["Alerting:ConnectorAddress"] = Url(ports.ConnectorGrpc),
            ["Alerting:LedgerApiKey"] = keys.Reader,
            ["Alerting:ConnectorApiKey"] = keys.Reader,
        });

    /// <summary>
    /// overlay-broadcast: one ledger Watch for its rooms, updates over SSE, WebSockets and gRPC; feed
    /// freshness from the connector, alerts for the operator board from alerting.
    /// </summary>
    public LaunchedService Overlay(IReadOnlyDictionary<string, string> settings, string readinessPath = "/healthz")
        => Service("overlay-broadcast", BuiltProgram.OverlayBroadcast, ports.OverlayGrpc, ports.OverlayHttp, ports.OverlayManagement, readinessPath, settings, new()
        {
            ["Overlay:LedgerAddress"] = Url(ports.LedgerGrpc),
            ["Overlay:ConnectorAddress"] = Url(ports.ConnectorGrpc),
            ["Overlay:AlertingAddress"] = Url(ports.AlertingGrpc),
            ["Overlay:LedgerApiKey"] = keys.Reader,
            ["Overlay:ConnectorApiKey"] = keys.Reader,
            ["Overlay:AlertingApiKey"] = keys.Reader,
        });

    public static string Url(int port) => "http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture);

    public string Log(string name) => Path.Combine(runFolder, name + ".log");

    /// <summary>A service on its three loopback ports with the Redis and the keys: its wiring, then the caller's settings on top.</summary>
    private LaunchedService Service(string name, BuiltProgram program, int grpcPort, int httpPort, int managementPort, string readinessPath,
        IReadOnlyDictionary<string, string> settings, Dictionary<string, string> wiring)
    {
        foreach (var (key, value) in settings)
        {
            wiring[key] = value;
        }
        return new(new ServiceSpec(name, build.AssemblyOf(program))
        {
            GrpcPort = grpcPort,
            HttpPort = httpPort,
            ManagementPort = managementPort,
            ReadinessPath = readinessPath,
            Redis = new RedisTarget("127.0.0.1:" + ports.Redis.ToString(CultureInfo.InvariantCulture)),
            ApiKeys = keys.ApiKeys,
            Settings = wiring,
            EnvironmentName = environmentName,
            LogFile = Log(name),
            OwnSession = ownSessions,
        });
    }
}
