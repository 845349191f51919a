using Grpc.Core;
using Stockcast.Bench;
using Stockcast.Bench.Harness;

// Usage: Stockcast.Bench run [--configuration Release]   (make bench: everything, see Harness/BenchRun)
//    or: Stockcast.Bench <ready|apply|watch|availability|health|ceiling|connector-ready|filedrop|filedrop-messy|webhooks|webhooks-messy|connector-health|synclag|alerting-ready|alerts|overlay-ready|fanout|freshness> --target http://127.0.0.1:PORT [options]
// Every scenario is bounded in time and in count and stops by itself; results are appended to
// --out as key=value lines (the run reads them into bench/results/latest.md).
if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.WriteLine("""
        Stockcast.Bench run [--configuration Release]
                        what `make bench` runs, from the repository's root: starts redis-server (redis-benchmark for the
                        ceiling) and the services from copies of their build output, runs every scenario below as a
                        process of its own, and writes bench/results/latest.md; knobs from the environment (docs/benchmarks.md)

        Stockcast.Bench <scenario> --target http://127.0.0.1:PORT [--key API_KEY] [--out FILE] [options]

        scenarios (all options are "--name value"):
          ready         wait for /readyz and the configured warehouses
                        --http URL (the ledger's HTTP endpoint)  --warehouses 3  --timeout 60
          apply         ApplyStockEvents throughput: an untimed populate pass and warm-up, then a timed run
                        --streams 6  --batch 500  --skus 20000  --seconds 10  --warmup 10  --in-flight 2  --channels 3
                        --watch yes|no (one Watch stream open throughout: the lag under bulk writes)
          watch         Watch delivery latency under a paced writer
                        --watchers 100  --rate 5000  --batch 50  --seconds 10  --skus 5000  --channels 4
                        --warmup 3  --warmup-max 20 (measures once 2 s in a row were complete and within --goal-ms)
                        --decode lite|full  --goal-ms 25  --drain-seconds 30
          availability  GetAvailability calls/s and latency on the populated SKUs
                        --callers 32  --seconds 10  --warmup 3  --skus 20000  --markets US,DE  --channels 4
          health        the same callers on grpc.health.v1.Health/Check: the ledger's per-call path with nothing behind it
                        --callers 32  --seconds 10  --warmup 3  --channels 4
          ceiling       the availability callers against the bare grpc-dotnet server (bench/Stockcast.Bench.Ceiling,
                        --target its gRPC address, --ceiling-pid its pid): the unary ceiling on this machine
                        (same options as availability)


        warehouse-connector scenarios (--target is still the ledger, for the Watch that confirms delivery;
        --connector http://127.0.0.1:PORT is the connector's HTTP endpoint, --connector-grpc its gRPC one):
          connector-ready  wait for the connector's /readyz, its feeds and the simulator
                        --feeds 4  --sim URL  --timeout 60
          filedrop      a large CSV and JSON drop: landing to every record in the ledger's Watch
                        --folder DIR (the feed's Folder)  --warehouse cn-drop  --records 100000  --warmup-records 10000
                        --formats csv,json  --timeout 120  --file-mib 0 (each timed drop padded to this size)
          filedrop-messy  the same with --bad-percent 1 (every 100th row's on hand "12 pcs") and --warmup-records 0
          webhooks      concurrent senders of signed ShipHero Inventory Updates
                        --warehouse cn-shiphero  --secret S (or STOCKCAST_BENCH_WEBHOOK_SECRET)  --senders 16
                        --seconds 10  --warmup 10  --warmup-max 30 (measures once the rate stops climbing)  --skus 2000
          webhooks-messy  the same with --bad-percent 1 (each sender's every 100th webhook malformed) and --sku-prefix MESSY-
          connector-health  the same senders on the connector's GET /healthz: its HTTP/1.1 ceiling
                        --senders 16  --seconds 10  --warmup 10  --warmup-max 30
          synclag       source change -> ledger Watch at a paced rate, via the simulator, a webhook, a push
                        --via sim,webhook,push  --rate 200  --sim-rate 50  --seconds 10  --warmup 5  --skus 1000
                        --sim URL  --sim-warehouse cn-sim  --sim-secret S (or STOCKCAST_BENCH_SIM_SECRET)
                        --webhook-warehouse cn-shiphero  --secret S  --push-warehouse cn-push  --max-in-flight 256

        alerting scenarios (--target is still the ledger, which the bench writes stock to; --alerting
        http://127.0.0.1:PORT is the alerting service's gRPC endpoint, --alerting-http its HTTP one,
        --alerting-management the one with its metrics):
          alerting-ready  wait for the alerting service's /readyz and for it to lead (stockcast_alerting_leader 1)
                        --timeout 60
          alerts        ledger stock change -> alert on the WatchAlerts console stream, under a background writer;
                        rules evaluated/s from the service's counters
                        --rooms 20  --skus-per-room 50  --market US  --warehouse us-east  --threshold 10  --rearm-percent 20
                        --base-stock 1000  --load-rate 3000  --load-batch 30  --probe-rate 20 (raise+resolve cycles/s)
                        --seconds 10  --warmup 5  --drain-seconds 30  --setup-seconds 120  --sku-prefix ALR

        overlay-broadcast scenarios (--target is still the ledger, which the bench writes stock to; --overlay
        http://127.0.0.1:PORT is the overlay's gRPC endpoint, --overlay-http its HTTP one, where viewers connect,
        --overlay-management the one with its metrics):
          overlay-ready  wait for the overlay's /readyz
                        --timeout 60
          fanout        ledger change -> value on N SSE / WebSocket / gRPC WatchRoom viewers, per step "transport:clients:rooms"
                        (transport "ceiling": the same SSE frames from a bare Kestrel writer the scenario starts);
                        connect time, delivery latency, final value on every client, overlay memory and CPU
                        --steps sse:1000:10,sse:5000:10,sse:10000:10,ceiling:10000:10,ws:10000:10,grpc:10000:10,sse:10000:1,ws:10000:1
                        --warmup-steps sse:2000:10,ws:2000:10 (run first, reported as warmup_*)
                        --rate 5 (changes/s per room)  --seconds 10  --warmup 2  --featured 3  --connect-concurrency 200
                        --connect-seconds 120  --drain-seconds 15  --warehouse us-east  --sku-prefix FAN  --overlay-pid PID (memory)

        the whole path (--target the ledger, --connector/--connector-grpc and --overlay/--overlay-http/--overlay-management as above):
          freshness     a warehouse change sent to the connector -> the value on N SSE viewers, with the ledger's Watch between
                        (the connector and ledger hop, then the overlay's); the rest of each total rate as canonical pushes of other SKUs
                        --via webhook,push  --rates 1000,10000 (events/s in all)  --viewers 1000  --rooms 10  --room-rate 5  --batch 100
                        --seconds 10  --warmup 3  --drain-seconds 30  --background-skus 5000  --secret S (or STOCKCAST_BENCH_WEBHOOK_SECRET)
                        --webhook-warehouse cn-shiphero  --webhook-market US  --push-warehouse cn-push  --push-market DE

        common: --ledger-pid PID --connector-pid PID --alerting-pid PID --overlay-pid PID --redis-pid PID --sim-pid PID --ceiling-pid PID --clk-tck 100
                (CPU split from /proc/PID/stat)
        """);
    return args.Length == 0 ? 2 : 0;
}

var scenario = args[0];
var options = new BenchArgs(args.Skip(1));
if (scenario == "run")
{
    var configuration = options.Str("configuration", "Release");
    options.RejectUnknown();
    return await BenchRun.RunAsync(configuration);
}
if (scenario == "sse-ceiling")
{
    // Started by the fan-out scenario for its "ceiling" steps (Ceiling/SseCeiling), not by hand.
    var port = options.Int("port", 0);
    options.RejectUnknown();
    return await Stockcast.Bench.Ceiling.SseCeiling.RunAsync(port);
}
var target = options.Str("target", "http://127.0.0.1:5101");
var key = options.Str("key", Environment.GetEnvironmentVariable("STOCKCAST_BENCH_KEY") ?? "");
// --results-as: the results' name when one scenario runs several times at once (the cluster part's shards).
var results = new Results(options.Str("out", "") is { Length: > 0 } path ? path : null, options.Str("results-as", scenario));
var cpu = new CpuMeter(options);

try
{
    switch (scenario)
    {
        case "ready":
        {
            var http = options.Str("http", "http://127.0.0.1:9101");
            var warehouses = options.Int("warehouses", 3);
            var timeout = TimeSpan.FromSeconds(options.Double("timeout", 60));
            var pid = options.Int("ledger-pid", 0);
            options.RejectUnknown();
            using var ledger = new Ledger(target, key, 1);
            await Readiness.WaitAsync(ledger, http, warehouses, timeout, pid);
            return 0;
        }
        case "apply":
        {
            var settings = ApplyScenario.Settings.From(options);
            var channels = options.Int("channels", 3);
            options.RejectUnknown();
            using var ledger = new Ledger(target, key, channels);
            await ApplyScenario.RunAsync(settings, ledger, results, cpu);
            break;
        }
        case "watch" or "soak":
        {
            var settings = WatchScenario.Settings.From(options);
            var channels = options.Int("channels", 4);
            options.RejectUnknown();
            using var ledger = new Ledger(target, key, channels);
            await WatchScenario.RunAsync(settings, ledger, results, cpu);
            break;
        }
        case "availability" or "health" or "ceiling":
        {
            var settings = AvailabilityScenario.Settings.From(options);
            var channels = options.Int("channels", 4);
            options.RejectUnknown();
            using var ledger = new Ledger(target, key, channels);
            await AvailabilityScenario.RunAsync(settings, ledger, results, cpu, health: scenario == "health");
            break;
        }
        case "connector-ready":
        {
            var feeds = options.Int("feeds", 4);
            var sim = options.Str("sim", "");
            var timeout = TimeSpan.FromSeconds(options.Double("timeout", 60));
            var pid = options.Int("connector-pid", 0);
            using var connector = Connector(options, key, 1);
            options.RejectUnknown();
            await Readiness.WaitForConnectorAsync(connector, feeds, sim, timeout, pid);
            return 0;
        }
        case "filedrop" or "filedrop-messy":
        {
            var settings = FileDropScenario.Settings.From(options);
            using var connector = Connector(options, key, 1);
            options.RejectUnknown();
            using var ledger = new Ledger(target, key, 1);
            await FileDropScenario.RunAsync(settings, ledger, connector, results, cpu);
            break;
        }
        case "webhooks" or "webhooks-messy" or "connector-health":
        {
            var settings = WebhookScenario.Settings.From(options);
            using var connector = Connector(options, key, settings.Senders);
            options.RejectUnknown();
            using var ledger = new Ledger(target, key, 1);
            await WebhookScenario.RunAsync(settings, ledger, connector, results, cpu, health: scenario == "connector-health");
            break;
        }
        case "synclag":
        {
            var settings = SyncLagScenario.Settings.From(options);
            using var connector = Connector(options, key, settings.MaxInFlight);
            options.RejectUnknown();
            using var ledger = new Ledger(target, key, 1);
            await SyncLagScenario.RunAsync(settings, ledger, connector, results, cpu);
            break;
        }
        case "alerting-ready":
        {
            var timeout = TimeSpan.FromSeconds(options.Double("timeout", 60));
            var pid = options.Int("alerting-pid", 0);
            using var alerting = Alerting(options, key);
            options.RejectUnknown();
            await Readiness.WaitForAlertingAsync(alerting, timeout, pid);
            return 0;
        }
        case "alerts":
        {
            var settings = AlertScenario.Settings.From(options);
            using var alerting = Alerting(options, key);
            options.RejectUnknown();
            using var ledger = new Ledger(target, key, 1);
            await AlertScenario.RunAsync(settings, ledger, alerting, results, cpu);
            break;
        }
        case "overlay-ready":
        {
            var timeout = TimeSpan.FromSeconds(options.Double("timeout", 60));
            var pid = options.Int("overlay-pid", 0);
            using var overlay = Overlay(options, key);
            options.RejectUnknown();
            await Readiness.WaitForOverlayAsync(overlay, timeout, pid);
            return 0;
        }
        case "freshness":
        {
            var settings = FreshnessScenario.Settings.From(options);
            using var connector = Connector(options, key, 64);
            using var overlay = Overlay(options, key);
            options.RejectUnknown();
            using var ledger = new Ledger(target, key, 1);
            await FreshnessScenario.RunAsync(settings, ledger, connector, overlay, results, cpu);
            break;
        }
        case "fanout":
        {
            var settings = FanoutScenario.Settings.From(options);
            using var overlay = Overlay(options, key);
            options.RejectUnknown();
            using var ledger = new Ledger(target, key, 1);
            await FanoutScenario.RunAsync(settings, ledger, overlay, results, cpu);
            break;
        }
        default:
            Console.Error.WriteLine($"unknown scenario '{scenario}' (ready, apply, watch, availability, health, ceiling, connector-ready, filedrop, filedrop-messy, webhooks, webhooks-messy, connector-health, synclag, alerting-ready, alerts, overlay-ready, fanout, freshness)");
            return 2;
    }
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"bench {scenario}: {ex.Message}");
    return 2;
}
catch (Exception ex) when (ex is RpcException or TimeoutException or InvalidOperationException or HttpRequestException)
{
    Console.Error.WriteLine($"bench {scenario} FAILED: {ex.GetType().Name}: {ex.Message}");
    results.Add("error", ex.Message.ReplaceLineEndings(" "));
    results.Save();
    return 1;
}
results.Save();
return 0;

// The connector's endpoints; the same write key serves the push API.
static ConnectorUnderTest Connector(BenchArgs options, string key, int connections)
    => new(options.Str("connector", "http://127.0.0.1:9102"), options.Str("connector-grpc", "http://127.0.0.1:5102"), key, connections);

// The alerting service's endpoints; the same write key serves its write calls.
static AlertingUnderTest Alerting(BenchArgs options, string key)
    => new("alerting", options.Str("alerting", "http://127.0.0.1:5103"), options.Str("alerting-http", "http://127.0.0.1:9103"), options.Str("alerting-management", "http://127.0.0.1:9203"), key, c => new(c));

// The overlay's endpoints; the same write key manages its rooms and tokens.
static OverlayUnderTest Overlay(BenchArgs options, string key)
    => new("overlay", options.Str("overlay", "http://127.0.0.1:5104"), options.Str("overlay-http", "http://127.0.0.1:9104"), options.Str("overlay-management", "http://127.0.0.1:9204"), key, c => new(c));
