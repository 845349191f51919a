using System.Diagnostics;
using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Stockcast.Alerting.V1;
using Stockcast.Connector.V1;
using Stockcast.Ledger.V1;
using Stockcast.Overlay.V1;
using Stockcast.ServiceDefaults;
using Stockcast.Testing;
using StackExchange.Redis;
using static Grpc.Health.V1.HealthCheckResponse.Types;

namespace Stockcast.EndToEnd.Tests;

/// <summary>
/// Each service as a process on a Redis that stalls (<c>DEBUG SLEEP</c> past the client's timeouts:
/// RedisTimeoutException), answers BUSY (a script that does not end) and turns replica (READONLY, as
/// after a failover): the process stays alive through all three, reports NOT_SERVING while Redis does
/// not answer, SERVING again by itself, and then does its work again — nothing is restarted.
/// </summary>
[Trait(Lane.Name, Lane.Slow)]
public sealed class RedisFaultTests(RedisFaultTests.Measured measured) : IClassFixture<RedisFaultTests.Measured>, IDisposable
{
    // Far below each fault's length, so every loop meets the fault within a second.
    private const string QuickTimeouts = ",connectTimeout=500,syncTimeout=500,asyncTimeout=500";
    private const string Warehouse = "us-east";
    private const int StallSeconds = 4;
    private static readonly TimeSpan FaultSeen = TimeSpan.FromSeconds(StallSeconds);
    private static readonly TimeSpan Recovery = TimeSpan.FromSeconds(30);

    // DEBUG (SLEEP) is refused unless enabled (Redis 7).
    private readonly RedisProcess _redis = new("--enable-debug-command", "local");
    private readonly List<IDisposable> _owned = [];

    public static TheoryData<string> Services => ["stock-ledger", "warehouse-connector", "alerting", "overlay-broadcast"];

    public void Dispose()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            owned.Dispose();
        }
        _redis.Dispose();
    }

    [Theory]
    [MemberData(nameof(Services))]
    public async Task AServiceOutlivesAStalledABusyAndAReadOnlyRedisAndWorksAgainByItself(string service)
    {
        _redis.Start();
        var redis = _redis.EndPoint + QuickTimeouts;
        var ledger = Own(new LedgerProcess(redis, new Dictionary<string, string>
        {
            ["Ledger:Warehouses:0:Id"] = Warehouse,
            ["Ledger:Warehouses:0:Region"] = "us-east",
            ["Ledger:Warehouses:0:Markets:0"] = "US",
        }));
        await ledger.StartAsync();
        var ledgerClient = new StockLedger.StockLedgerClient(Own(Writer(ledger.GrpcAddress, LedgerProcess.WriterKey)));
        await Eventually.TrueAsync(async () => (await ledgerClient.ListWarehousesAsync(new ListWarehousesRequest())).Warehouses.Count == 1, "the ledger registered its warehouse");
        var probe = service switch
        {
            "stock-ledger" => (IProbe)new LedgerProbe(ledger, ledgerClient),
            "warehouse-connector" => Own(new ConnectorProbe(redis, ledger, ledgerClient)),
            "alerting" => Own(new AlertingProbe(redis, ledger, ledgerClient)),
            _ => Own(new OverlayProbe(redis, ledger, ledgerClient)),
        };
        await probe.StartAsync();
        await probe.WorksAsync(1);

        using var control = await ConnectionMultiplexer.ConnectAsync($"{_redis.EndPoint},allowAdmin=true,syncTimeout=15000,asyncTimeout=15000");
        // The ledger meets every fault too: the service's work afterwards needs it back as well.
        ServiceProcess[] hit = probe.Process == ledger ? [ledger] : [probe.Process, ledger];
        var faults = new (string Name, Func<ServiceProcess, ConnectionMultiplexer, Stopwatch, Task> Cause)[]
        {
            ("stalled (`DEBUG SLEEP 4`)", StallAsync),
            ("BUSY (endless script, then `SCRIPT KILL`)", BusyAsync),
            ("READONLY (`REPLICAOF`, then `REPLICAOF NO ONE`)", ReadOnlyAsync),
        };
        var rows = new List<string>();
        foreach (var (fault, cause) in faults)
        {
            var notServing = Stopwatch.StartNew();
            await cause(probe.Process, control, notServing);
            var back = Stopwatch.StartNew();
            await ServingAgainAsync(hit, fault);
            rows.Add($"| {service} | {fault} | {notServing.Elapsed.TotalSeconds:0.0} s | {back.Elapsed.TotalSeconds:0.0} s |");
        }

        await probe.WorksAsync(2);
        Assert.Equal(1, probe.Process.Starts);
        measured.Add(service, rows, probe.Done);
    }

    /// <summary>What each service did per fault, written to docs/reliability.md when the class is done.</summary>
    public sealed class Measured : IDisposable
    {
        private readonly SortedDictionary<string, List<string>> _rows = new(StringComparer.Ordinal);

        public void Add(string service, List<string> rows, string work)
        {
            lock (_rows)
            {
                _rows[service] = [.. rows.Select(r => r + $" yes (1 start) | {work} |")];
            }
        }

        public void Dispose()
        {
            if (_rows.Count == 0)
            {
                return;
            }
            ReliabilityReport.WriteSection("redis-faults", $"""
                ## Redis stalled, BUSY, READONLY: every service

                Written by `tests/EndToEnd.Tests/RedisFaultTests`: each service as a process (with the ledger it
                needs) on one redis-server, client timeouts 500 ms. Each fault lasts until the service reports
                NOT_SERVING and its own loops have met it (a stream loop failed or a lease was let go); liveness
                answers SERVING throughout. "NOT_SERVING after" is from the fault's start, "SERVING again after"
                from its end (for the service and the ledger). Then the service does its work again, never restarted.

                | Service | Redis fault | NOT_SERVING after | SERVING again after | Stayed up | Work afterwards |
                |---|---|---|---|---|---|
                {string.Join('\n', _rows.Values.SelectMany(r => r))}
                """);
        }
    }

    /// <summary>Redis answers nothing for longer than every client timeout: each command times out.</summary>
    private static async Task StallAsync(ServiceProcess service, ConnectionMultiplexer control, Stopwatch notServing)
    {
        var failedBefore = await LoopFailuresAsync(service);
        using var sleeper = await ConnectionMultiplexer.ConnectAsync(control.Configuration);
        var stalled = sleeper.GetDatabase().ExecuteAsync("DEBUG", "SLEEP", StallSeconds.ToString(CultureInfo.InvariantCulture));
        await NotServingWhileAliveAsync(service, "Redis is stalled", notServing);
        await LoopsMetFaultAsync(service, failedBefore, "the stall");
        await stalled;
    }

    /// <summary>A script that never ends: every other command is answered BUSY until it is killed.</summary>
    private static async Task BusyAsync(ServiceProcess service, ConnectionMultiplexer control, Stopwatch notServing)
    {
        var failedBefore = await LoopFailuresAsync(service);
        var server = control.GetServer(control.GetEndPoints()[0]);
        await server.ConfigSetAsync("busy-reply-threshold", "100");
        using var scripter = await ConnectionMultiplexer.ConnectAsync(control.Configuration);
        var endless = scripter.GetDatabase().ExecuteAsync("EVAL", "while true do end", "0");
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                await control.GetDatabase().PingAsync();
                return false;
            }
            catch (RedisServerException e) when (e.Kind == RedisErrorKind.Busy)
            {
                return true;
            }
        }, "Redis answers BUSY");
        await NotServingWhileAliveAsync(service, "Redis answers BUSY", notServing);
        await LoopsMetFaultAsync(service, failedBefore, "BUSY");
        await control.GetDatabase().ExecuteAsync("SCRIPT", "KILL");
        await Assert.ThrowsAsync<RedisServerException>(() => endless);
    }

    /// <summary>The node turns replica, as an old primary does after a failover: every write is answered READONLY.</summary>
    private static async Task ReadOnlyAsync(ServiceProcess service, ConnectionMultiplexer control, Stopwatch notServing)
    {
        // Port 1: nothing listens there, so the replica keeps its data and never syncs.
        await control.GetDatabase().ExecuteAsync("REPLICAOF", "127.0.0.1", "1");
        await NotServingWhileAliveAsync(service, "Redis is a replica", notServing);
        await control.GetDatabase().ExecuteAsync("REPLICAOF", "NO", "ONE");
    }

    /// <summary>The fault is over: the service reports SERVING by itself, without a restart.</summary>
    private static async Task ServingAgainAsync(IEnumerable<ServiceProcess> services, string fault)
    {
        foreach (var service in services)
        {
            await Eventually.TrueAsync(async () => await StatusAsync(service) == ServingStatus.Serving, $"{service.GetType().Name} reports SERVING again after {fault}", Recovery);
        }
    }

    private static async Task NotServingWhileAliveAsync(ServiceProcess service, string fault, Stopwatch notServing)
    {
        await Eventually.TrueAsync(async () => await StatusAsync(service) == ServingStatus.NotServing, $"{service.GetType().Name} reports NOT_SERVING while {fault}", FaultSeen);
        notServing.Stop();
        Assert.Equal(ServingStatus.Serving, await StatusAsync(service, HealthTags.LivenessService));
    }

    /// <summary>
    /// The service's own loops, not only its readiness probe, met the fault (so it lasted long enough to
    /// test them): a stream loop failed, or the connector's feed lease was let go, as a lease is when its
    /// holder cannot tell whether it still holds it (the feed's loop then waits rather than fails).
    /// </summary>
    private static Task LoopsMetFaultAsync(ServiceProcess service, double failedBefore, string fault)
        => Eventually.TrueAsync(async () =>
        {
            var scrape = await service.MetricsAsync();
            return LoopFailures(scrape) > failedBefore
                || scrape.Split('\n').Any(l => l.StartsWith("stockcast_connector_feed_lease_held{", StringComparison.Ordinal) && l.EndsWith(" 0", StringComparison.Ordinal));
        }, $"{service.GetType().Name}'s loops met {fault}", FaultSeen);

    private static async Task<double> LoopFailuresAsync(ServiceProcess service) => LoopFailures(await service.MetricsAsync());

    /// <summary>Failed attempts of every stream loop of the service (stockcast_stream_failures_total, summed).</summary>
    private static double LoopFailures(string scrape)
        => scrape.Split('\n')
            .Where(l => l.StartsWith("stockcast_stream_failures_total{", StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));

    private static async Task<ServingStatus> StatusAsync(ServiceProcess service, string name = "")
    {
        using var channel = GrpcChannel.ForAddress(service.GrpcAddress);
        return (await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest { Service = name }, deadline: DateTime.UtcNow.AddSeconds(5))).Status;
    }

    private T Own<T>(T owned) where T : IDisposable
    {
        _owned.Add(owned);
        return owned;
    }

    private static GrpcChannel Writer(Uri address, string key)
        => TestChannels.WithApiKey(address, new SocketsHttpHandler(), key);

    private static Task SetStockAsync(StockLedger.StockLedgerClient ledger, string sku, long available, long version)
        => ledger.SetStockAsync([new StockFigure(Warehouse, sku, available, version)]);

    /// <summary>One service under test and the work that shows it does its job.</summary>
    private interface IProbe
    {
        ServiceProcess Process { get; }

        Task StartAsync();

        /// <summary>Does the service's work once more (<paramref name="round"/> makes each time's figures new).</summary>
        Task WorksAsync(int round);

        /// <summary>That work, for the report.</summary>
        string Done { get; }
    }

    /// <summary>The ledger applies a new event and a Watch delivers it.</summary>
    private sealed class LedgerProbe(LedgerProcess ledger, StockLedger.StockLedgerClient client) : IProbe
    {
        public ServiceProcess Process => ledger;

        public string Done => "a new event applied and delivered on a Watch";

        public Task StartAsync() => Task.CompletedTask;

        public async Task WorksAsync(int round)
        {
            using var watch = client.Watch(new WatchRequest { Skus = { "FAULT-LEDGER" }, ProgressIntervalSeconds = 1 });
            // Its first answer (a progress notification) says the Watch is in place: the event comes after it.
            await watch.ResponseStream.ReadUntilAsync(_ => true);
            await SetStockAsync(client, "FAULT-LEDGER", 10 * round, round);
            await watch.ResponseStream.ReadUntilAsync(r => r.Changes.Any(c => c.Record.Quantities.Available == 10 * round));
        }
    }

    /// <summary>The connector reads a file dropped at its warehouse and delivers it to the ledger.</summary>
    private sealed class ConnectorProbe : IProbe, IDisposable
    {
        private readonly string _folder = Directory.CreateTempSubdirectory("stockcast-faults-").FullName;
        private readonly ConnectorProcess _connector;
        private readonly StockLedger.StockLedgerClient _ledger;

        public ConnectorProbe(string redis, LedgerProcess ledger, StockLedger.StockLedgerClient ledgerClient)
        {
            _ledger = ledgerClient;
            _connector = new ConnectorProcess(redis, ledger.GrpcAddress, LedgerProcess.WriterKey, new Dictionary<string, string>
            {
                ["Connector:Feeds:0:WarehouseId"] = Warehouse,
                ["Connector:Feeds:0:Source"] = "file-drop",
                ["Connector:Feeds:0:SettleSeconds"] = "0",
                ["Connector:Feeds:0:Folder"] = _folder,
                ["Connector:Feeds:0:PollIntervalSeconds"] = "1",
            });
        }

        public ServiceProcess Process => _connector;

        public string Done => "a dropped file delivered to the ledger";

        public Task StartAsync() => _connector.StartAsync();

        public async Task WorksAsync(int round)
        {
            var at = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
            await File.WriteAllTextAsync(Path.Combine(_folder, $"round-{round}.json"),
                $$"""{"records":[{"sku":"FAULT-CONNECTOR","type":"snapshot","onHand":{{10 * round}},"available":{{10 * round}},"reserved":0,"inbound":0,"sourceTime":"{{at}}","sourceVersion":{{round}}}]}""");
            await Eventually.TrueAsync(async () =>
                (await _ledger.GetStockAsync(new GetStockRequest { Sku = "FAULT-CONNECTOR", WarehouseId = Warehouse })).Quantities.Available == 10 * round,
                $"the connector delivered round {round}'s file", Recovery);
        }

        public void Dispose()
        {
            _connector.Dispose();
            Directory.Delete(_folder, recursive: true);
        }
    }

    /// <summary>Alerting raises a low-stock alert for a live stream's SKU.</summary>
    private sealed class AlertingProbe(string redis, LedgerProcess ledger, StockLedger.StockLedgerClient ledgerClient) : IProbe, IDisposable
    {
        private readonly AlertingProcess _alerting = new(redis, ledger.GrpcAddress, new Dictionary<string, string> { ["Alerting:LeaseSeconds"] = "3" });
        private GrpcChannel? _channel;

        public ServiceProcess Process => _alerting;

        public string Done => "a low-stock alert raised";

        private Alerting.V1.Alerting.AlertingClient Client => new(_channel!);

        public async Task StartAsync()
        {
            await _alerting.StartAsync();
            _channel = Writer(_alerting.GrpcAddress, AlertingProcess.AdminKey);
            await Client.SetRuleAsync(new Rule { DefaultScope = true, LowStockUnits = 10, LowStockPercent = 0, CoolDown = Duration.FromTimeSpan(TimeSpan.Zero) });
        }

        public async Task WorksAsync(int round)
        {
            var sku = $"FAULT-ALERT-{round}";
            await SetStockAsync(ledgerClient, sku, 100, 1);
            await Client.UpsertStreamAsync(new LiveStream
            {
                Id = $"room-{round}",
                Market = "US",
                Skus = { sku },
                StartsAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddMinutes(-1)),
                EndsAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(3)),
            });
            await Eventually.TrueAsync(async () => (await Client.ListStreamsAsync(new ListStreamsRequest())).Streams.Single(s => s.Id == $"room-{round}").StartStock.ContainsKey(sku), "the stream's start stock is recorded", Recovery);
            await SetStockAsync(ledgerClient, sku, 5, 2);
            // Asked again rather than watched: a watch may end UNAVAILABLE on a Redis call that times out
            // just after the faults (a watcher then resumes), which is not what this probe is about.
            await Eventually.TrueAsync(async () => (await Client.ListAlertsAsync(new ListAlertsRequest { Sku = sku, Kind = AlertKind.LowStock })).Alerts.Count > 0,
                "a low-stock alert is raised", Recovery);
        }

        public void Dispose()
        {
            _channel?.Dispose();
            _alerting.Dispose();
        }
    }

    /// <summary>The overlay's room stream shows a new figure.</summary>
    private sealed class OverlayProbe(string redis, LedgerProcess ledger, StockLedger.StockLedgerClient ledgerClient) : IProbe, IDisposable
    {
        private const string Sku = "FAULT-OVERLAY";
        private readonly OverlayProcess _overlay = new(redis, ledger.GrpcAddress);
        private GrpcChannel? _channel;

        public ServiceProcess Process => _overlay;

        public string Done => "the room stream shows the new figure";

        public async Task StartAsync()
        {
            await _overlay.StartAsync();
            _channel = Writer(_overlay.GrpcAddress, OverlayProcess.AdminKey);
            await new Overlay.V1.Overlay.OverlayClient(_channel).UpsertRoomAsync(new Room
            {
                Id = "fault-room",
                Title = "Faults",
                Platforms = { Platform.Tiktok },
                Market = "US",
                Featured = { new FeaturedSku { Sku = Sku, DisplayName = Sku, GreenAtOrAbove = 20, YellowAtOrAbove = 5 } },
                StartsAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddMinutes(-1)),
                EndsAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(3)),
                MaxUpdatesPerSecond = 30,
            });
        }

        public async Task WorksAsync(int round)
        {
            using var room = new Overlay.V1.Overlay.OverlayClient(_channel!).WatchRoom(new WatchRoomRequest { RoomId = "fault-room" });
            await SetStockAsync(ledgerClient, Sku, 10 * round, round);
            await room.ResponseStream.ReadUntilAsync(u => !u.Stale && u.Skus.Any(s => s.Sku == Sku && s.AvailableToPromise == 10 * round && !s.Stale), Recovery);
        }

        public void Dispose()
        {
            _channel?.Dispose();
            _overlay.Dispose();
        }
    }
}
