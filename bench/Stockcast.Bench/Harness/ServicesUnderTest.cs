using Stockcast.Launch;

namespace Stockcast.Bench.Harness;

/// <summary>
/// The services the bench loads, each started through the launcher from a copy of its build output
/// (a rebuild of the work tree during the run rewrites the assemblies in place, and must not change,
/// or crash, what is being measured), Production settings, Warning logging, on free loopback ports,
/// on the run's Redis under the namespace "bench", with the run's write key; each one's output in
/// its log file in the run's folder.
/// </summary>
public sealed class ServicesUnderTest(BuildOutput build, string work, RedisServer redis, string apiKey) : IAsyncDisposable
{
    private const string Namespace = "bench";
    private readonly Dictionary<string, string> _copies = [];

    /// <summary>The run's write key: every service accepts it, and the connector and the others use it to write to the ledger.</summary>
    public string ApiKey => apiKey;

    public LaunchedService? Ledger { get; private set; }
    public LaunchedService? Connector { get; private set; }
    public LaunchedService? Simulator { get; private set; }
    public LaunchedService? Alerting { get; private set; }
    public LaunchedService? Overlay { get; private set; }

    /// <summary>The cluster part's ledgers, one per namespace on the Redis Cluster.</summary>
    private readonly List<LaunchedService> _shardLedgers = [];

    /// <summary>The bare grpc-dotnet server (bench/Stockcast.Bench.Ceiling), running only while its scenario runs.</summary>
    public LaunchedService? Ceiling { get; private set; }

    /// <summary>The ones started so far, as the report names them, in the order the CPU split lists them.</summary>
    public IEnumerable<(string Name, LaunchedService Service)> Started
    {
        get
        {
            foreach (var (name, service) in new[] { ("ledger", Ledger), ("connector", Connector), ("alerting", Alerting), ("overlay", Overlay), ("sim", Simulator), ("ceiling", Ceiling) })
            {
                if (service is not null)
                {
                    yield return (name, service);
                }
            }
        }
    }

    /// <summary>Copies the build output of each program the run needs, before anything starts.</summary>
    public void Copy(IEnumerable<BuiltProgram> programs)
    {
        foreach (var program in programs)
        {
            var from = build.FolderOf(program);
            if (!File.Exists(build.AssemblyOf(program)))
            {
                throw new InvalidOperationException($"{build.AssemblyOf(program)} is missing: build first (`make bench` does)");
            }
            var to = Path.Combine(work, "bin", Path.GetFileName(program.ProjectFolder));
            CopyFolder(from, to);
            _copies[program.Assembly] = Path.Combine(to, program.Assembly);
        }
    }

    /// <summary>
    /// Seven warehouses: us-east and us-west serving US and eu-de serving DE for the ledger's
    /// scenarios; cn-drop, cn-shiphero, cn-sim and cn-push for the connector's (no ledger scenario writes to them).
    /// </summary>
    public async Task StartLedgerAsync(CancellationToken cancel)
        => Ledger = await StartAsync(Service("stock-ledger", "ledger", BuiltProgram.StockLedger, TimeSpan.FromSeconds(60), LedgerSettings()), cancel);

    /// <summary>One more ledger, with the same warehouses, on the cluster part's Redis under a namespace of its own.</summary>
    public async Task<LaunchedService> StartShardLedgerAsync(string configuration, string ns, CancellationToken cancel)
    {
        var ledger = await StartAsync(Service("stock-ledger-" + ns, "ledger-" + ns, BuiltProgram.StockLedger, TimeSpan.FromSeconds(60), LedgerSettings(), new RedisTarget(configuration, ns)), cancel);
        _shardLedgers.Add(ledger);
        return ledger;
    }

    /// <summary>Stops the cluster part's ledgers (before their Redis Cluster goes).</summary>
    public async Task StopShardLedgersAsync()
    {
        foreach (var ledger in _shardLedgers)
        {
            await ledger.StopAsync(TimeSpan.FromSeconds(10));
            ledger.Dispose();
        }
        _shardLedgers.Clear();
    }

    private static Dictionary<string, string> LedgerSettings()
    {
        (string Id, string Region, string Market)[] warehouses =
        [
            ("us-east", "us-east", "US"), ("us-west", "us-west", "US"), ("eu-de", "eu-de", "DE"),
            ("cn-drop", "us-east", "US"), ("cn-shiphero", "us-east", "US"), ("cn-sim", "us-west", "US"), ("cn-push", "eu-de", "DE"),
        ];
        var settings = new Dictionary<string, string>();
        foreach (var (w, i) in warehouses.Select((w, i) => (w, i)))
        {
            settings[$"Ledger:Warehouses:{i}:Id"] = w.Id;
            settings[$"Ledger:Warehouses:{i}:Region"] = w.Region;
            settings[$"Ledger:Warehouses:{i}:Markets:0"] = w.Market;
        }
        return settings;
    }

    /// <summary>
    /// The connector with four feeds: cn-drop a file drop polled every second, cn-shiphero and cn-sim
    /// ShipHero webhook receivers (one for the load generator's senders, one for the simulator's),
    /// cn-push the canonical push API (the public rate limits raised: one address and one key stand for
    /// every sender here); then the simulator (no scenario file, real-time clock off: the
    /// sync-lag scenario loads its own warehouse and makes every change itself).
    /// </summary>
    public async Task StartConnectorAsync(string dropFolder, string webhookSecret, string simulatorSecret, CancellationToken cancel)
    {
        Connector = await StartAsync(Service("warehouse-connector", "connector", BuiltProgram.WarehouseConnector, TimeSpan.FromSeconds(60), new()
        {
            ["Connector:LedgerAddress"] = Authority(Ledger!.GrpcAddress),
            ["Connector:LedgerApiKey"] = apiKey,
            ["Connector:Feeds:0:WarehouseId"] = "cn-drop",
            ["Connector:Feeds:0:Source"] = "file-drop",
            ["Connector:Feeds:0:SettleSeconds"] = "0",
            ["Connector:Feeds:0:Folder"] = dropFolder,
            ["Connector:Feeds:0:PollIntervalSeconds"] = "1",
            ["Connector:Feeds:1:WarehouseId"] = "cn-shiphero",
            ["Connector:Feeds:1:Source"] = "shiphero",
            ["Connector:Feeds:1:WebhookSecret"] = webhookSecret,
            ["Connector:Feeds:1:ExternalId"] = ShipHero.WarehouseId,
            ["Connector:Feeds:2:WarehouseId"] = "cn-sim",
            ["Connector:Feeds:2:Source"] = "shiphero",
            ["Connector:Feeds:2:WebhookSecret"] = simulatorSecret,
            ["Connector:Feeds:2:ExternalId"] = ShipHero.WarehouseId,
            ["Connector:Feeds:3:WarehouseId"] = "cn-push",
            ["Connector:Feeds:3:Source"] = "canonical",
            // The load generator stands for many warehouses' senders from one address with one key.
            ["PublicLimits:Endpoints:push:PerAddress"] = "1000000",
            ["PublicLimits:Endpoints:push:PerToken"] = "0",
            ["PublicLimits:Endpoints:webhook_shiphero:PerAddress"] = "1000000",
        }), cancel);
        Console.WriteLine($"bench: drop folder {dropFolder}");
        Simulator = await StartAsync(new ServiceSpec("warehouse-sim", _copies[BuiltProgram.WarehouseSim.Assembly])
        {
            HasGrpc = false,
            ReadinessPath = "/healthz",
            ReadyDeadline = TimeSpan.FromSeconds(60),
            EnvironmentName = "Production",
            Settings = new Dictionary<string, string>
            {
                ["Sim:ScenarioFile"] = "",
                ["Sim:RealTime"] = "false",
                ["Logging:LogLevel:Default"] = "Warning",
            },
            LogFile = Path.Combine(work, "sim.log"),
        }, cancel);
    }

    /// <summary>
    /// Alerting following the ledger; feed anomalies off (no connector address): the scenario measures
    /// the path from a stock change to the alert. It lists the whole ledger at start, then follows its Watch.
    /// </summary>
    public async Task StartAlertingAsync(CancellationToken cancel)
        => Alerting = await StartAsync(Service("alerting", "alerting", BuiltProgram.Alerting, TimeSpan.FromSeconds(120), new()
        {
            ["Alerting:LedgerAddress"] = Authority(Ledger!.GrpcAddress),
            ["Alerting:LedgerApiKey"] = apiKey,
            ["Alerting:ConnectorAddress"] = "",
        }), cancel);

    /// <summary>
    /// The overlay following the same ledger. Kestrel's connection limits are unlimited by default
    /// (MaxConcurrentConnections, MaxConcurrentUpgradedConnections), so nothing is raised there; the
    /// overlay's own caps on streams per room and per token and its opening-rate limits per address
    /// and per token are raised, since every viewer of a room comes from one address with one token.
    /// </summary>
    public async Task StartOverlayAsync(CancellationToken cancel)
        => Overlay = await StartAsync(Service("overlay-broadcast", "overlay", BuiltProgram.OverlayBroadcast, TimeSpan.FromSeconds(60), new()
        {
            ["Overlay:LedgerAddress"] = Authority(Ledger!.GrpcAddress),
            ["Overlay:LedgerApiKey"] = apiKey,
            ["Overlay:MaxRoomConnections"] = "20000",
            ["Overlay:MaxTokenConnections"] = "20000",
            ["PublicLimits:Endpoints:overlay_events:PerAddress"] = "1000000",
            ["PublicLimits:Endpoints:overlay_events:PerToken"] = "0",
            ["PublicLimits:Endpoints:overlay_ws:PerAddress"] = "1000000",
            ["PublicLimits:Endpoints:overlay_ws:PerToken"] = "0",
        }), cancel);

    /// <summary>
    /// The gRPC ceiling GetAvailability is compared with: Kestrel with the ledger's endpoints and
    /// protocols, grpc-dotnet with nothing added, a fixed reply; no Redis, no keys.
    /// </summary>
    public async Task StartCeilingAsync(CancellationToken cancel)
        => Ceiling = await StartAsync(new ServiceSpec("grpc-ceiling", _copies[BenchRun.GrpcCeiling.Assembly])
        {
            ReadyDeadline = TimeSpan.FromSeconds(60),
            EnvironmentName = "Production",
            LogFile = Path.Combine(work, "ceiling.log"),
        }, cancel);

    public async Task StopCeilingAsync()
    {
        if (Ceiling is { } ceiling)
        {
            Ceiling = null;
            await ceiling.StopAsync(TimeSpan.FromSeconds(5));
            ceiling.Dispose();
        }
    }

    /// <summary>Stops each (SIGTERM, then SIGKILL after its grace period), newest first; Redis is the caller's.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopCeilingAsync();
        await StopShardLedgersAsync();
        foreach (var (service, grace) in new[] { (Overlay, 10), (Alerting, 10), (Simulator, 5), (Connector, 10), (Ledger, 10) })
        {
            if (service is not null)
            {
                await service.StopAsync(TimeSpan.FromSeconds(grace));
                service.Dispose();
            }
        }
    }

    /// <summary>"http://127.0.0.1:PORT", as the bench's options and the services' settings take an address.</summary>
    public static string Authority(Uri address) => address.GetLeftPart(UriPartial.Authority);

    private ServiceSpec Service(string name, string logName, BuiltProgram program, TimeSpan readyDeadline, Dictionary<string, string> settings, RedisTarget? redisTarget = null)
    {
        settings["Logging:LogLevel:Default"] = "Warning";
        return new ServiceSpec(name, _copies[program.Assembly])
        {
            ReadyDeadline = readyDeadline,
            EnvironmentName = "Production",
            Redis = redisTarget ?? new RedisTarget(redis.EndPoint, Namespace),
            // The bench plays every caller at once (it makes rooms and rules, writes and reads): one admin key.
            ApiKeys = [new ApiKey("bench", apiKey, "Admin")],
            Settings = settings,
            LogFile = Path.Combine(work, logName + ".log"),
        };
    }

    private static async Task<LaunchedService> StartAsync(ServiceSpec spec, CancellationToken cancel)
    {
        var service = new LaunchedService(spec);
        try
        {
            await service.StartAsync(cancel);
        }
        catch
        {
            service.Dispose();
            throw;
        }
        Console.WriteLine($"bench: {spec.Name} pid {service.Pid}, {(spec.HasGrpc ? $"gRPC {service.GrpcAddress.Authority}, management {service.ManagementAddress.Authority}, " : "")}HTTP {service.HttpAddress.Authority}");
        return service;
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var directory in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, directory)));
        }
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
        }
    }
}
