namespace Stockcast.Bench.Harness;

/// <summary>
/// The knobs of `make bench`, from the environment (see docs/benchmarks.md), each passed to its
/// scenario as given: the scenario checks it.
/// </summary>
public sealed record Knobs
{
    public const string AllParts = "ledger,connector,alerting,overlay,path";

    public string Seconds { get; init; } = Env("BENCH_SECONDS", "10");
    public string ApplyStreams { get; init; } = Env("APPLY_STREAMS", "6");
    public string ApplyBatch { get; init; } = Env("APPLY_BATCH", "500");
    public string ApplySkus { get; init; } = Env("APPLY_SKUS", "20000");
    public string Watchers { get; init; } = Env("WATCHERS", "100");
    public string WatchRate { get; init; } = Env("WATCH_RATE", "5000");
    public string WatchBatch { get; init; } = Env("WATCH_BATCH", "50");
    public string AvailabilityCallers { get; init; } = Env("AVAIL_CALLERS", "32");
    public string RedisBenchmarkRequests { get; init; } = Env("REDIS_BENCH_N", "200000");
    public string DropRecords { get; init; } = Env("DROP_RECORDS", "100000");
    public string DropFileMib { get; init; } = Env("DROP_FILE_MIB", "0");
    public string WebhookSenders { get; init; } = Env("WEBHOOK_SENDERS", "16");
    public string SyncLagRate { get; init; } = Env("SYNCLAG_RATE", "200");
    public string SyncLagSimulatorRate { get; init; } = Env("SYNCLAG_SIM_RATE", "50");
    public string SyncLagVia { get; init; } = Env("SYNCLAG_VIA", "sim,webhook,push");
    public string AlertRooms { get; init; } = Env("ALERT_ROOMS", "20");
    public string AlertSkusPerRoom { get; init; } = Env("ALERT_SKUS_PER_ROOM", "50");
    public string AlertLoadRate { get; init; } = Env("ALERT_LOAD_RATE", "3000");
    public string AlertProbeRate { get; init; } = Env("ALERT_PROBE_RATE", "20");
    public string FanoutSteps { get; init; } = Env("FANOUT_STEPS", "sse:1000:10,sse:5000:10,sse:10000:10,ceiling:10000:10,ws:10000:10,grpc:10000:10,sse:10000:1,ws:10000:1");
    public string FanoutRate { get; init; } = Env("FANOUT_RATE", "5");
    public string PathVia { get; init; } = Env("PATH_VIA", "webhook,push");
    public string PathRates { get; init; } = Env("PATH_RATES", "1000,10000");
    public string PathViewers { get; init; } = Env("PATH_VIEWERS", "1000");
    public string PathSeconds { get; init; } = Env("PATH_SECONDS", Env("BENCH_SECONDS", "10"));

    /// <summary>The whole path's measured runs: each source at each rate.</summary>
    public IReadOnlyList<(string Via, string Rate)> PathRuns => [.. List(PathVia).SelectMany(_ => List(PathRates), (via, rate) => (via, rate))];
    /// <summary>Apply streams per shard in the cluster part (three shards: as many streams in all as the single-node apply).</summary>
    public string ClusterStreams { get; init; } = Env("CLUSTER_STREAMS", "2");
    public string SoakSeconds { get; init; } = Env("SOAK_SECONDS", "600");
    public string SoakRate { get; init; } = Env("SOAK_RATE", "10000");
    public string SoakWatchers { get; init; } = Env("SOAK_WATCHERS", "10");

    /// <summary>Which parts run after the ledger is up (the ledger itself always runs: every part writes to it).</summary>
    public IReadOnlySet<string> Parts { get; init; } = List(Env("BENCH_PARTS", AllParts)).ToHashSet();

    /// <summary>BENCH_STRICT=1: exit 1 when a goal is missed.</summary>
    public bool Strict { get; init; } = Env("BENCH_STRICT", "0") == "1";

    /// <summary>BENCH_REDIS_AOF=1: Redis with appendonly yes / appendfsync everysec, as production runs it.</summary>
    public bool RedisAppendOnly { get; init; } = Env("BENCH_REDIS_AOF", "0") == "1";

    public bool Runs(string part) => Parts.Contains(part);

    public IReadOnlyList<string> RedisPersistence => RedisAppendOnly
        ? ["--save", "", "--appendonly", "yes", "--appendfsync", "everysec"]
        : ["--save", "", "--appendonly", "no"];

    /// <summary>The same as the report shows them (the empty --save argument as "").</summary>
    public string RedisPersistenceText => string.Join(' ', RedisPersistence.Select(a => a.Length == 0 ? "\"\"" : a));

    private static string[] List(string list) => list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string Env(string name, string fallback) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : fallback;
}
