using Grpc.Core;
using Stockcast.Bench;

// Usage: Stockcast.Bench <ready|apply|watch|availability|health> --target http://127.0.0.1:PORT [options]
// Every scenario is bounded in time and in count and stops by itself; results are appended to
// --out as shell-sourceable key=value lines (bench/run.sh turns them into bench/results/latest.md).
if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.WriteLine("""
        Stockcast.Bench <scenario> --target http://127.0.0.1:PORT [--key API_KEY] [--out FILE] [options]

        scenarios (all options are "--name value"):
          ready         wait for /readyz and the configured warehouses
                        --http URL (the ledger's HTTP endpoint)  --warehouses 3  --timeout 60
          apply         ApplyStockEvents throughput: an untimed populate pass and warm-up, then a timed run
                        --streams 6  --batch 500  --skus 20000  --seconds 10  --warmup 5  --in-flight 2  --channels 3
                        --watch yes|no (one Watch stream open throughout: the lag under bulk writes)
          watch         Watch delivery latency under a paced writer
                        --watchers 100  --rate 5000  --batch 50  --seconds 10  --skus 5000  --channels 4
                        --warmup 3  --warmup-max 20 (measures once 2 s in a row were complete and within --goal-ms)
                        --decode lite|full  --goal-ms 25  --drain-seconds 30
          availability  GetAvailability calls/s and latency on the populated SKUs
                        --callers 32  --seconds 10  --warmup 3  --skus 20000  --markets US,DE  --channels 4
          health        the same callers on grpc.health.v1.Health/Check: the framework's unary ceiling
                        --callers 32  --seconds 10  --warmup 3  --channels 4

        common: --ledger-pid PID --redis-pid PID --clk-tck 100 (CPU split from /proc/PID/stat)
        """);
    return args.Length == 0 ? 2 : 0;
}

var scenario = args[0];
var options = new BenchArgs(args.Skip(1));
var target = options.Str("target", "http://127.0.0.1:5101");
var key = options.Str("key", Environment.GetEnvironmentVariable("STOCKCAST_BENCH_KEY") ?? "");
var results = new Results(options.Str("out", "") is { Length: > 0 } path ? path : null, scenario);
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
        case "watch":
        {
            var settings = WatchScenario.Settings.From(options);
            var channels = options.Int("channels", 4);
            options.RejectUnknown();
            using var ledger = new Ledger(target, key, channels);
            await WatchScenario.RunAsync(settings, ledger, results, cpu);
            break;
        }
        case "availability" or "health":
        {
            var settings = AvailabilityScenario.Settings.From(options);
            var channels = options.Int("channels", 4);
            options.RejectUnknown();
            using var ledger = new Ledger(target, key, channels);
            await AvailabilityScenario.RunAsync(settings, ledger, results, cpu, health: scenario == "health");
            break;
        }
        default:
            Console.Error.WriteLine($"unknown scenario '{scenario}' (ready, apply, watch, availability, health)");
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
