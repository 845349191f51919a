using System.Diagnostics;
using System.Globalization;
using Stockcast.Launch;

namespace Stockcast.Bench.Harness;

/// <summary>
/// Runs each readiness check and scenario as a load-generator process of its own (this program, with
/// the scenario's name and options): it starts with a fresh heap, its CPU is its own in the split, and
/// one that hangs is killed at its bound. Each appends its results to the run's results file.
/// </summary>
public sealed class ScenarioRunner(string benchAssembly, string resultsFile, Machine machine, RedisServer redis, ServicesUnderTest services,
    MemorySampler sampler, IReadOnlyDictionary<string, string> secrets)
{
    public static readonly TimeSpan DefaultBound = TimeSpan.FromSeconds(300);
    private const int LogLinesOnFailure = 20;
    private readonly Dictionary<string, string> _commandStats = new(StringComparer.Ordinal);
    private readonly List<string> _failed = [];

    public IReadOnlyList<string> Failed => _failed;

    /// <summary>INFO commandstats after each scenario (empty when Redis did not answer).</summary>
    public string CommandStats(string scenario) => _commandStats.GetValueOrDefault(scenario, "");

    /// <summary>A readiness check: when it fails, the run stops with the service's last lines.</summary>
    public async Task ReadyAsync(string check, LaunchedService service, IEnumerable<string> options, CancellationToken cancel)
    {
        if (!await InvokeAsync(check, options, DefaultBound, cancel))
        {
            throw new BenchAbortedException($"{check} failed; last lines of the {service.Name}'s log:{Environment.NewLine}{service.RecentOutput}");
        }
    }

    /// <summary>
    /// One measured scenario: the memory sampler's phase set to it, Redis's command statistics reset
    /// before and kept after; a failure is reported and the run goes on, but not when a service under test died.
    /// </summary>
    public async Task RunAsync(string scenario, IEnumerable<string> options, CancellationToken cancel, TimeSpan? bound = null)
    {
        sampler.Phase = scenario;
        await redis.CommandAsync(["CONFIG", "RESETSTAT"], cancel);
        Console.WriteLine($"bench: --- {scenario}");
        if (!await InvokeAsync(scenario, options, bound ?? DefaultBound, cancel))
        {
            _failed.Add(scenario);
            Console.Error.WriteLine($"bench: {scenario} FAILED; last lines of the ledger log:{Environment.NewLine}{Tail(services.Ledger!.RecentOutput)}");
            if (services.Alerting is { } alerting)
            {
                Console.Error.WriteLine($"bench: last lines of the alerting service's log:{Environment.NewLine}{Tail(alerting.RecentOutput)}");
            }
        }
        try
        {
            _commandStats[scenario] = await redis.CommandAsync(["INFO", "commandstats"], cancel);
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or RedisErrorException)
        {
            _commandStats[scenario] = "";
        }
        foreach (var (_, service) in services.Started.Where(s => !s.Service.IsRunning))
        {
            var exit = await service.WaitForExitAsync(cancel);
            throw new BenchAbortedException($"the {service.Name} {ChildProcess.DescribeExit(exit)} during the run (a graceful stop after SIGTERM ends with 0): was it stopped from outside? Its log:{Environment.NewLine}{service.RecentOutput}");
        }
    }

    /// <summary>
    /// One scenario per shard of the cluster part, all at once, each against its own ledger with its
    /// results named after the shard and its CPU split over that ledger and that shard's Redis node.
    /// </summary>
    public async Task RunShardsAsync(string scenario, IReadOnlyList<(string Name, LaunchedService Ledger, RedisServer Node)> shards, IEnumerable<string> options,
        CancellationToken cancel, TimeSpan? bound = null)
    {
        sampler.Phase = "cluster";
        Console.WriteLine($"bench: --- {scenario} on {shards.Count} shards at once");
        var ran = await Task.WhenAll(shards.Select(shard => InvokeAsync(scenario, options, bound ?? DefaultBound, cancel,
        [
            "--target", ServicesUnderTest.Authority(shard.Ledger.GrpcAddress), "--results-as", shard.Name,
            "--ledger-pid", Pid(shard.Ledger.Pid), "--redis-pid", Pid(shard.Node.Pid),
        ])));
        _failed.AddRange(shards.Where((_, i) => !ran[i]).Select(s => s.Name));
    }

    /// <param name="target">The ledger and the processes of the CPU split, when not the run's own.</param>
    private async Task<bool> InvokeAsync(string scenario, IEnumerable<string> options, TimeSpan bound, CancellationToken cancel, string[]? target = null)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false };
        string[] common =
        [
            benchAssembly, scenario, "--out", resultsFile,
            .. target ??
            [
                "--target", ServicesUnderTest.Authority(services.Ledger!.GrpcAddress),
                .. services.Started.SelectMany(s => new[] { $"--{s.Name}-pid", Pid(s.Service.Pid) }),
                "--redis-pid", Pid(redis.Pid),
            ],
            "--clk-tck", Pid(machine.ClockTicksPerSecond),
        ];
        foreach (var argument in common.Concat(options))
        {
            start.ArgumentList.Add(argument);
        }
        // Secrets in the environment, not on a command line anyone on the machine can read.
        foreach (var (name, value) in secrets)
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the load generator");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(bound);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
            return process.ExitCode == 0;
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            cancel.ThrowIfCancellationRequested();
            Console.Error.WriteLine($"bench: {scenario} did not finish within {bound.TotalSeconds:0} s: stopped");
            return false;
        }
    }

    private static string Pid(int pid) => pid.ToString(CultureInfo.InvariantCulture);

    private static string Tail(string output) => string.Join(Environment.NewLine, output.Split(Environment.NewLine).TakeLast(LogLinesOnFailure));
}

/// <summary>The run cannot go on (a service died, a readiness check failed): no report, exit 1.</summary>
public sealed class BenchAbortedException(string message) : Exception(message);
