using System.Diagnostics;
using Grpc.Net.Client;
using Stockcast.Launch;
using Stockcast.Ledger.V1;
using Stockcast.Testing;
using AlertingClient = Stockcast.Alerting.V1.Alerting.AlertingClient;
using OverlayClient = Stockcast.Overlay.V1.Overlay.OverlayClient;

namespace Stockcast.EndToEnd.Tests;

/// <summary>
/// The whole system as real processes, wired as `make run` wires it (<see cref="StackWiring"/>):
/// redis-server with an append-only file, the stock-ledger, the warehouse simulator playing two
/// ShipBob accounts (one warehouse serving US viewers, one serving DE), the connector polling both
/// every second, alerting and overlay-broadcast. One per test collection: the scenario and every
/// fault-matrix row share it, each on SKUs and rooms of its own, and leave it healthy.
/// </summary>
public sealed class WholeSystem : IAsyncLifetime
{
    public const string UsWarehouse = "us-east-shipbob";
    public const string DeWarehouse = "de-ber-shipbob";
    public static readonly string[] Warehouses = [UsWarehouse, DeWarehouse];

    /// <summary>The live-room scenario's SKUs: few units in the US, more in Germany.</summary>
    public const string Tee = "E2E-TEE";
    public const string Cap = "E2E-CAP";

    /// <summary>What the fault matrix moves while it breaks things: plenty in both markets.</summary>
    public static readonly string[] FaultSkus = ["FAULT-PROBE", "FAULT-SHIPPED", "FAULT-ORDERED"];

    /// <summary>Long enough that no commit of a run settles: the simulated warehouses never ship what was ordered.</summary>
    private const string AllocationDelayMs = "3600000";

    private readonly List<IDisposable> _owned = [];
    private string _runFolder = "";

    public StackWiring Wiring { get; private set; } = null!;
    public RedisServer Redis { get; private set; } = null!;
    public LaunchedService Ledger { get; private set; } = null!;
    public LaunchedService Simulator { get; private set; } = null!;
    public LaunchedService Connector { get; private set; } = null!;
    public LaunchedService Alerting { get; private set; } = null!;
    public LaunchedService Overlay { get; private set; } = null!;

    /// <summary>The four services, by name, as the matrix kills and counts them.</summary>
    public IReadOnlyList<LaunchedService> Services => [Ledger, Connector, Alerting, Overlay];

    public SimControl Sim { get; private set; } = null!;
    public StockLedger.StockLedgerClient LedgerClient { get; private set; } = null!;
    public AlertingClient AlertingClient { get; private set; } = null!;
    public OverlayClient OverlayClient { get; private set; } = null!;
    public OrderBook Orders { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _runFolder = Directory.CreateTempSubdirectory("stockcast-e2e-").FullName;
        Wiring = new StackWiring(BuildOutput.OfRunningProgram(), StackPorts.Free(), _runFolder, RoleKeys.DerivedFrom("e2e-admin-key-" + Guid.NewGuid().ToString("N")));
        // appendfsync always: a Redis killed with SIGKILL comes back with every acknowledged write (losing
        // the last second, as everysec may, is another fault: "Redis comes back with older data").
        Redis = Own(Wiring.Redis(["--appendonly", "yes", "--appendfsync", "always", "--save", "", "--enable-debug-command", "local"]));
        Ledger = Own(Wiring.Ledger(Quiet(new()
        {
            ["Ledger:Warehouses:0:Id"] = UsWarehouse,
            ["Ledger:Warehouses:0:Region"] = "us-east",
            ["Ledger:Warehouses:0:Markets:0"] = "US",
            ["Ledger:Warehouses:0:AllocationDelayMs"] = AllocationDelayMs,
            ["Ledger:Warehouses:1:Id"] = DeWarehouse,
            ["Ledger:Warehouses:1:Region"] = "eu-central",
            ["Ledger:Warehouses:1:Markets:0"] = "DE",
            ["Ledger:Warehouses:1:AllocationDelayMs"] = AllocationDelayMs,
        })));
        // Real time with no sales in the scenario: stock moves only when a test adjusts it, and the
        // APIs' quotas refill on the wall clock as the connector polls.
        Simulator = Own(Wiring.Simulator(new Dictionary<string, string> { ["Sim:ScenarioFile"] = "", ["Sim:RealTime"] = "true" }));
        Connector = Own(Wiring.Connector(Quiet(new()
        {
            ["Connector:Feeds:0:WarehouseId"] = UsWarehouse,
            ["Connector:Feeds:0:Source"] = "shipbob",
            ["Connector:Feeds:0:BaseUrl"] = StackWiring.Url(Wiring.Ports.Simulator) + "/",
            ["Connector:Feeds:0:Credentials"] = Token(UsWarehouse),
            ["Connector:Feeds:0:PollIntervalSeconds"] = "1",
            ["Connector:Feeds:0:StaleAfterSeconds"] = "5",
            ["Connector:Feeds:1:WarehouseId"] = DeWarehouse,
            ["Connector:Feeds:1:Source"] = "shipbob",
            ["Connector:Feeds:1:BaseUrl"] = StackWiring.Url(Wiring.Ports.Simulator) + "/",
            ["Connector:Feeds:1:Credentials"] = Token(DeWarehouse),
            ["Connector:Feeds:1:PollIntervalSeconds"] = "1",
            ["Connector:Feeds:1:StaleAfterSeconds"] = "5",
        })));
        Alerting = Own(Wiring.Alerting(Quiet(new() { ["Alerting:EvaluateEverySeconds"] = "1" })));
        Overlay = Own(Wiring.Overlay(Quiet([])));

        await Redis.StartAsync();
        await Ledger.StartAsync();
        await Simulator.StartAsync();
        Sim = Own(new SimControl(Simulator.HttpAddress));
        await Sim.LoadAsync(Scenario());
        await Connector.StartAsync();
        await Task.WhenAll(Alerting.StartAsync(), Overlay.StartAsync());

        LedgerClient = new(Channel(Ledger.GrpcAddress));
        AlertingClient = new(Channel(Alerting.GrpcAddress));
        OverlayClient = new(Channel(Overlay.GrpcAddress));
        Orders = new OrderBook(LedgerClient);
        await Eventually.TrueAsync(ReadyAsync, "every service is ready", TimeSpan.FromSeconds(90));
        await Eventually.TrueAsync(async () => (await BalanceAsync()).Mismatches.Count == 0, "the ledger holds what the warehouses hold", TimeSpan.FromSeconds(60));
    }

    public Task DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            owned.Dispose();
        }
        try
        {
            Directory.Delete(_runFolder, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
        return Task.CompletedTask;
    }

    /// <summary>The admin key on every call: the tests play the live-commerce platform and the operator at once.</summary>
    public GrpcChannel Channel(Uri address)
        => Own(TestChannels.WithApiKey(address, new SocketsHttpHandler { EnableMultipleHttp2Connections = true }, Wiring.Keys.Admin));

    public static string Token(string warehouse) => warehouse + "-token";

    /// <summary>Every service answers its readiness probe (/readyz 200).</summary>
    public async Task<bool> ReadyAsync() => (await ReadyServicesAsync()).Count == Services.Count;

    /// <summary>The services that answer their readiness probe with 200 now.</summary>
    public async Task<IReadOnlyList<string>> ReadyServicesAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var ready = new List<string>();
        foreach (var service in Services)
        {
            try
            {
                using var answer = await http.GetAsync(new Uri(service.HttpAddress, "/readyz"));
                if (answer.IsSuccessStatusCode)
                {
                    ready.Add(service.Name);
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not answering at all: not ready.
            }
        }
        return ready;
    }

    /// <summary>The pid of each process now (redis-server, the simulator and the four services).</summary>
    public Dictionary<string, int> Pids()
        => new[] { (Redis.Name, Redis.Pid), (Simulator.Name, Simulator.Pid) }.Concat(Services.Select(s => (s.Name, s.Pid)))
            .ToDictionary(p => p.Item1, p => p.Item2);

    /// <summary>Running, not a zombie: its /proc entry is there and its state is not Z.</summary>
    public static bool Alive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Every SKU × warehouse's balance: the warehouse's truth against the ledger and the orders placed.</summary>
    public async Task<Balance> BalanceAsync() => await Orders.BalanceAsync(await Sim.TruthAsync());

    /// <summary>SIGSTOP or SIGCONT: the process stays alive but answers nothing while stopped.</summary>
    public static void Signal(int pid, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {pid} failed");
        }
    }

    private static Dictionary<string, string> Quiet(Dictionary<string, string> settings)
    {
        settings["Logging:LogLevel:Default"] = "Warning";
        return settings;
    }

    private T Own<T>(T owned) where T : IDisposable
    {
        _owned.Add(owned);
        return owned;
    }

    private static string Scenario()
    {
        (string Sku, int Us, int De)[] stock = [(Tee, 10, 40), (Cap, 6, 0), .. FaultSkus.Select(sku => (sku, 1000, 500))];
        string Lines(Func<(string Sku, int Us, int De), int> units)
            => string.Join(",", stock.Select(s => $$"""{"sku":"{{s.Sku}}","onHand":{{units(s)}}}"""));
        return $$"""
            {"start":"2026-01-01T00:00:00Z","warehouses":[
              {"id":"{{UsWarehouse}}","kind":"ShipBob","token":"{{Token(UsWarehouse)}}","stock":[{{Lines(s => s.Us)}}]},
              {"id":"{{DeWarehouse}}","kind":"ShipBob","token":"{{Token(DeWarehouse)}}","stock":[{{Lines(s => s.De)}}]}]}
            """;
    }
}

[CollectionDefinition(Name)]
public sealed class WholeSystemCollection : ICollectionFixture<WholeSystem>, ICollectionFixture<BrowserFixture>, ICollectionFixture<FaultMatrixReport>
{
    public const string Name = "whole system";
}
