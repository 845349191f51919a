using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Stockcast.Bench.Report;
using Stockcast.Launch;

namespace Stockcast.Bench.Harness;

/// <summary>
/// `make bench`: a fresh redis-server and its redis-benchmark ceiling, then the ledger and its
/// scenarios, then the connector (with the warehouse simulator), the alerting service and the
/// overlay, each started only when its part begins, so earlier figures are measured without it;
/// memory sampled throughout; bench/results/latest.md written at the end (and printed). Everything
/// it started is stopped on the way out, also after a failure or a Ctrl-C.
/// </summary>
public static class BenchRun
{
    private const string ResultsFolder = "bench/results";

    /// <param name="configuration">The build the services are copied from (Release, Debug); run from the repository's root.</param>
    public static async Task<int> RunAsync(string configuration)
    {
        var root = Directory.GetCurrentDirectory();
        if (!File.Exists(Path.Combine(root, "Microservices.sln")))
        {
            Console.Error.WriteLine("bench: run from the repository's root (bash bench/run.sh does)");
            return 2;
        }
        using var stop = new StopSignals();
        var work = Directory.CreateTempSubdirectory("stockcast-bench.").FullName;
        try
        {
            return await RunInAsync(new BuildOutput(root, configuration), new Knobs(), work, stop.Token);
        }
        catch (BenchAbortedException ex)
        {
            Console.Error.WriteLine("bench: " + ex.Message);
            return 1;
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
        {
            Console.Error.WriteLine($"bench: {ex.Message} (is everything installed? `make deps`)");
            return 1;
        }
        catch (OperationCanceledException) when (stop.Token.IsCancellationRequested)
        {
            Console.Error.WriteLine("bench: interrupted");
            return 130;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task<int> RunInAsync(BuildOutput build, Knobs knobs, string work, CancellationToken cancel)
    {
        var machine = await Machine.ReadAsync(build.RepositoryRoot);
        Console.WriteLine($"bench: {machine.CpuModel}, {machine.Cores} cores, {machine.Memory}, {machine.Kernel}, .NET SDK {machine.DotnetVersion}, redis {machine.RedisVersion}");

        // Redis first and alone: the ceiling is measured before anything else competes for the cores.
        using var redis = new RedisServer(new RedisServerSpec(Path.Combine(work, "redis")) { Arguments = knobs.RedisPersistence, LogFile = Path.Combine(work, "redis.log") });
        await using var services = new ServicesUnderTest(build, work, redis, Secret("bench-"));
        services.Copy(Programs(knobs));
        await redis.StartAsync(cancel);
        Console.WriteLine($"bench: redis-server pid {redis.Pid} on {redis.EndPoint}");
        var ceiling = await RedisCeiling.MeasureAsync(redis, knobs.RedisBenchmarkRequests);
        await redis.CommandAsync(["FLUSHALL"], cancel);

        await services.StartLedgerAsync(cancel);
        var ledger = services.Ledger!;
        var sampler = new MemorySampler(ledger.Pid, redis.Pid);
        var results = Path.Combine(work, "results.txt");
        var (webhookSecret, simulatorSecret) = (Secret("hook-"), Secret("sim-"));
        var runner = new ScenarioRunner(Path.Combine(AppContext.BaseDirectory, "Stockcast.Bench.dll"), results, machine, redis, services, sampler, new Dictionary<string, string>
        {
            ["STOCKCAST_BENCH_KEY"] = services.ApiKey,
            ["STOCKCAST_BENCH_WEBHOOK_SECRET"] = webhookSecret,
            ["STOCKCAST_BENCH_SIM_SECRET"] = simulatorSecret,
        });
        var fanoutLoad = (Start: "", End: "");
        var drop = Directory.CreateDirectory(Path.Combine(work, "drop")).FullName;
        string[] connector = [];
        string[] overlay = [];
        // The connector (with the simulator) and the overlay start when the first part that needs them begins.
        async Task EnsureConnectorAsync()
        {
            if (services.Connector is not null)
            {
                return;
            }
            sampler.Phase = "connector-idle";
            await services.StartConnectorAsync(drop, webhookSecret, simulatorSecret, cancel);
            sampler.Watch("connector", services.Connector!.Pid);
            connector = ["--connector", Authority(services.Connector.HttpAddress), "--connector-grpc", Authority(services.Connector.GrpcAddress)];
            await runner.ReadyAsync("connector-ready", services.Connector, [.. connector, "--feeds", "4", "--sim", Authority(services.Simulator!.HttpAddress), "--timeout", "60"], cancel);
        }
        async Task EnsureOverlayAsync()
        {
            if (services.Overlay is not null)
            {
                return;
            }
            sampler.Phase = "overlay-idle";
            // .NET raised this process's soft limit to the hard one at start; the overlay inherits it.
            Console.WriteLine($"bench: open files limit {Machine.OpenFilesLimit()} (the overlay and the load generator each hold one per viewer)");
            await services.StartOverlayAsync(cancel);
            sampler.Watch("overlay", services.Overlay!.Pid);
            overlay = ["--overlay", Authority(services.Overlay.GrpcAddress), "--overlay-http", Authority(services.Overlay.HttpAddress),
                "--overlay-management", Authority(services.Overlay.ManagementAddress)];
        }
        var highWater = new Dictionary<string, long>();
        await using (sampler)
        {
            await runner.ReadyAsync("ready", ledger, ["--http", Authority(ledger.HttpAddress), "--warehouses", "7", "--timeout", "60"], cancel);
            await sampler.WaitForSamplesAsync(2, cancel); // a few idle samples

            if (knobs.Runs("ledger"))
            {
                await runner.RunAsync("apply", ["--streams", knobs.ApplyStreams, "--batch", knobs.ApplyBatch, "--skus", knobs.ApplySkus, "--seconds", knobs.Seconds], cancel);
                await runner.RunAsync("watch", ["--watchers", knobs.Watchers, "--rate", knobs.WatchRate, "--batch", knobs.WatchBatch, "--seconds", knobs.Seconds], cancel);
                await runner.RunAsync("availability", ["--callers", knobs.AvailabilityCallers, "--skus", knobs.ApplySkus, "--seconds", knobs.Seconds], cancel);
                await runner.RunAsync("health", ["--callers", knobs.AvailabilityCallers, "--seconds", knobs.Seconds], cancel);
                // The same callers and calls on a bare grpc-dotnet server: the ceiling GetAvailability is measured against.
                await services.StartCeilingAsync(cancel);
                await runner.RunAsync("ceiling", ["--target", Authority(services.Ceiling!.GrpcAddress), "--callers", knobs.AvailabilityCallers, "--skus", knobs.ApplySkus,
                    "--seconds", knobs.Seconds], cancel);
                await services.StopCeilingAsync();
            }
            if (knobs.Runs("connector"))
            {
                await EnsureConnectorAsync();
                // Webhooks first: their 10 s warm-up also brings the connector's shared path (normalise, deliver,
                // feed status) and the ledger's per-call path onto optimised code for the scenarios after it.
                await runner.RunAsync("webhooks", [.. connector, "--warehouse", "cn-shiphero", "--senders", knobs.WebhookSenders, "--seconds", knobs.Seconds], cancel);
                // The same with 1 % bad records: the goal is a rate within 10 % of the clean one's.
                await runner.RunAsync("webhooks-messy", [.. connector, "--warehouse", "cn-shiphero", "--senders", knobs.WebhookSenders, "--seconds", knobs.Seconds, "--warmup", "3", "--bad-percent", "1", "--sku-prefix", "MESSY-"], cancel);
                await runner.RunAsync("connector-health", [.. connector, "--senders", knobs.WebhookSenders, "--warmup", "3", "--seconds", knobs.Seconds], cancel);
                // The warm-up is a whole drop of each format: a connector's first large CSV drop runs at a
                // quarter of the rate of every later one (measured: 5.5k against 23k rows/s, with or without
                // bad rows), and the goal compares the clean and the messy drop on an equally warm connector.
                await runner.RunAsync("filedrop", [.. connector, "--folder", drop, "--warehouse", "cn-drop", "--records", knobs.DropRecords, "--warmup-records", knobs.DropRecords, "--file-mib", knobs.DropFileMib], cancel);
                await runner.RunAsync("filedrop-messy", [.. connector, "--folder", drop, "--warehouse", "cn-drop", "--records", knobs.DropRecords, "--warmup-records", "0", "--bad-percent", "1"], cancel);
                await runner.RunAsync("synclag", [.. connector, "--via", knobs.SyncLagVia, "--rate", knobs.SyncLagRate, "--sim-rate", knobs.SyncLagSimulatorRate, "--seconds", knobs.Seconds,
                    "--sim", Authority(services.Simulator!.HttpAddress), "--sim-warehouse", "cn-sim", "--webhook-warehouse", "cn-shiphero", "--push-warehouse", "cn-push"], cancel);
            }
            if (knobs.Runs("alerting"))
            {
                sampler.Phase = "alerting-idle";
                await services.StartAlertingAsync(cancel);
                sampler.Watch("alerting", services.Alerting!.Pid);
                string[] alerting = ["--alerting", Authority(services.Alerting.GrpcAddress), "--alerting-http", Authority(services.Alerting.HttpAddress),
                    "--alerting-management", Authority(services.Alerting.ManagementAddress)];
                await runner.ReadyAsync("alerting-ready", services.Alerting, [.. alerting, "--timeout", "120"], cancel);
                await runner.RunAsync("alerts", [.. alerting, "--rooms", knobs.AlertRooms, "--skus-per-room", knobs.AlertSkusPerRoom, "--market", "US", "--warehouse", "us-east",
                    "--load-rate", knobs.AlertLoadRate, "--probe-rate", knobs.AlertProbeRate, "--seconds", knobs.Seconds], cancel);
            }
            if (knobs.Runs("overlay"))
            {
                await EnsureOverlayAsync();
                fanoutLoad.Start = Machine.LoadAverageNow();
                // Six steps of up to 10,000 viewers take a few minutes, more than the other scenarios' bound.
                await runner.RunAsync("fanout", [.. overlay, "--steps", knobs.FanoutSteps, "--rate", knobs.FanoutRate, "--seconds", knobs.Seconds], cancel, TimeSpan.FromSeconds(1200));
                fanoutLoad.End = Machine.LoadAverageNow();
            }
            if (knobs.Runs("path"))
            {
                // The whole path: warehouse changes into the connector, viewers on the overlay.
                await EnsureConnectorAsync();
                await EnsureOverlayAsync();
                await runner.RunAsync("freshness", [.. connector, .. overlay, "--via", knobs.PathVia, "--rates", knobs.PathRates, "--viewers", knobs.PathViewers,
                    "--seconds", knobs.PathSeconds, "--webhook-warehouse", "cn-shiphero", "--webhook-market", "US", "--push-warehouse", "cn-push", "--push-market", "DE"],
                    cancel, TimeSpan.FromSeconds(((knobs.PathRuns.Count + 1) * (Figures.Parse(knobs.PathSeconds) + 180)) + 300));
            }
            if (knobs.Runs("soak"))
            {
                // Not in the default parts: ten minutes of the watch scenario's writer and watchers at a high
                // rate, the memory sampled as it goes; the report fits a line to each process's memory.
                await runner.RunAsync("soak", ["--watchers", knobs.SoakWatchers, "--rate", knobs.SoakRate, "--batch", knobs.WatchBatch, "--seconds", knobs.SoakSeconds,
                    "--sku-prefix", "SOAK-"], cancel, TimeSpan.FromSeconds(Figures.Parse(knobs.SoakSeconds) + 300));
            }
            if (knobs.Runs("cluster"))
            {
                // Not in the default parts: one ledger per namespace on a local three-primary Redis Cluster
                // (each namespace's hash tag on a different primary), the apply scenario on all of them at once.
                using var cluster = await RedisClusterUnderTest.StartAsync(work, cancel);
                try
                {
                    var namespaces = await cluster.NamespacePerNodeAsync("bench-shard", cancel);
                    var shards = new List<(string Name, LaunchedService Ledger, RedisServer Node)>();
                    for (var i = 0; i < namespaces.Count; i++)
                    {
                        shards.Add((RedisClusterUnderTest.ShardName(i), await services.StartShardLedgerAsync(cluster.Configuration, namespaces[i], cancel), cluster.Nodes[i]));
                    }
                    await runner.RunShardsAsync("apply", shards, ["--streams", knobs.ClusterStreams, "--batch", knobs.ApplyBatch, "--skus", knobs.ApplySkus, "--seconds", knobs.Seconds], cancel);
                }
                finally
                {
                    await services.StopShardLedgersAsync();
                }
            }
            sampler.Phase = "done";
            await sampler.WaitForSamplesAsync(2, cancel);
            foreach (var (name, service) in services.Started)
            {
                highWater[name] = MemorySampler.StatusKb(service.Pid, "VmHWM");
            }
        }

        var report = BenchReport.Write(new RunFacts(knobs, machine, build.Configuration, ceiling, Figures.Read(results), sampler, runner.CommandStats,
            runner.Failed, highWater, fanoutLoad.Start, fanoutLoad.End));
        Directory.CreateDirectory(Path.Combine(build.RepositoryRoot, ResultsFolder));
        await File.WriteAllTextAsync(Path.Combine(build.RepositoryRoot, ResultsFolder, "latest.md"), report, cancel);
        Console.WriteLine();
        Console.Write(report);
        return runner.Failed.Count > 0 || (knobs.Strict && BenchReport.MissesAGoal(report)) ? 1 : 0;
    }

    /// <summary>The build outputs this run starts: the ledger always (every part writes to it), the others with their part.</summary>
    private static IEnumerable<BuiltProgram> Programs(Knobs knobs)
    {
        yield return BuiltProgram.StockLedger;
        if (knobs.Runs("ledger"))
        {
            yield return GrpcCeiling;
        }
        if (knobs.Runs("connector") || knobs.Runs("path"))
        {
            yield return BuiltProgram.WarehouseConnector;
            yield return BuiltProgram.WarehouseSim;
        }
        if (knobs.Runs("alerting"))
        {
            yield return BuiltProgram.Alerting;
        }
        if (knobs.Runs("overlay") || knobs.Runs("path"))
        {
            yield return BuiltProgram.OverlayBroadcast;
        }
    }

    /// <summary>The bare grpc-dotnet server the reads are compared with (bench/Stockcast.Bench.Ceiling).</summary>
    public static readonly BuiltProgram GrpcCeiling = new("bench/Stockcast.Bench.Ceiling", "Stockcast.Bench.Ceiling.dll");

    /// <summary>A key or webhook secret made for this run only.</summary>
    private static string Secret(string prefix) => prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    private static string Authority(Uri address) => ServicesUnderTest.Authority(address);
}
