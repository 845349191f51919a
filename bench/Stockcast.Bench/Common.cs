using System.Diagnostics;
using System.Globalization;
using System.Net;
using Grpc.Core;
using Grpc.Net.Client;
using Stockcast.Ledger.V1;

namespace Stockcast.Bench;

/// <summary>"--name value" command-line options with defaults; unknown names are an error.</summary>
public sealed class BenchArgs
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public BenchArgs(IEnumerable<string> args)
    {
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            var name = e.Current;
            if (!name.StartsWith("--", StringComparison.Ordinal) || !e.MoveNext())
            {
                throw new ArgumentException($"expected '--name value' pairs, got '{name}'");
            }
            _values[name[2..]] = e.Current;
        }
    }

    public string Str(string name, string fallback)
    {
        _used.Add(name);
        return _values.GetValueOrDefault(name, fallback);
    }

    public int Int(string name, int fallback) => int.Parse(Str(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

    public double Double(string name, double fallback) => double.Parse(Str(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

    /// <summary>Fails on options no scenario asked for: a typo must not silently run the defaults.</summary>
    public void RejectUnknown()
    {
        var unknown = _values.Keys.Where(k => !_used.Contains(k)).ToArray();
        if (unknown.Length > 0)
        {
            throw new ArgumentException("unknown option(s): " + string.Join(", ", unknown.Select(k => "--" + k)));
        }
    }
}

/// <summary>The ledger under test: a few HTTP/2 channels and the key every call sends (reads need one too).</summary>
public sealed class Ledger : IDisposable
{
    private readonly List<GrpcChannel> _channels = [];
    private readonly StockLedger.StockLedgerClient[] _clients;
    private readonly CallInvoker[] _invokers;
    private int _next;

    public Ledger(string target, string apiKey, int channels)
    {
        Target = target;
        AuthHeaders = new Metadata { { "Authorization", "Bearer " + apiKey } };
        _invokers = [.. Enumerable.Range(0, Math.Max(1, channels)).Select(_ => NewChannel().CreateCallInvoker())];
        _clients = [.. _invokers.Select(i => new StockLedger.StockLedgerClient(i))];
    }

    public string Target { get; }
    public Metadata AuthHeaders { get; }

    /// <summary>Clients round-robin over the channels, so load spreads over several connections.</summary>
    public StockLedger.StockLedgerClient Client() => _clients[NextIndex()];

    /// <summary>
    /// Follows a Watch (from revision 0, progress every second) until <paramref name="stop"/>: each
    /// response with the Stopwatch time it arrived. <paramref name="ready"/> completes at the first
    /// response (the Watch is open), or fails with the Watch.
    /// </summary>
    public async Task FollowAsync(WatchRequest request, Action<WatchResponse, long> take, TaskCompletionSource ready, CancellationToken stop)
    {
        request.StartRevision = 0;
        request.ProgressIntervalSeconds = 1;
        try
        {
            using var call = Client().Watch(request, AuthHeaders, cancellationToken: stop);
            await foreach (var response in call.ResponseStream.ReadAllAsync(stop))
            {
                take(response, Stopwatch.GetTimestamp());
                ready.TrySetResult();
            }
        }
        catch (Exception ex) when (stop.IsCancellationRequested && ex is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
        {
            // Stopped by the caller.
        }
        catch (Exception ex)
        {
            ready.TrySetException(ex);
            throw;
        }
    }

    /// <summary>The same channels, for calls with hand-made marshallers.</summary>
    public CallInvoker Invoker() => _invokers[NextIndex()];

    /// <summary>A client on a connection of its own (e.g. a paced writer that must not queue behind other streams).</summary>
    public StockLedger.StockLedgerClient DedicatedClient() => new(NewChannel());

    private int NextIndex() => (int)((uint)Interlocked.Increment(ref _next) % (uint)_invokers.Length);

    private GrpcChannel NewChannel()
    {
        var channel = OpenChannel(Target);
        _channels.Add(channel);
        return channel;
    }

    /// <summary>A gRPC channel as every bench client opens one: connections kept, no proxy, large messages allowed.</summary>
    public static GrpcChannel OpenChannel(string target) => GrpcChannel.ForAddress(target, new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
        },
        MaxReceiveMessageSize = 64 * 1024 * 1024,
    });

    public void Dispose()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }
    }
}

/// <summary>The record set every scenario uses: SKUs x the three bench warehouses.</summary>
public static class Catalog
{
    public static readonly string[] Warehouses = ["us-east", "us-west", "eu-de"];

    public static string Sku(string prefix, int i) => prefix + i.ToString("D6", CultureInfo.InvariantCulture);
}

/// <summary>Latencies in Stopwatch ticks; sorted once at the end.</summary>
public sealed class Latencies
{
    private long[] _values;
    private int _count;

    public Latencies(int capacity) => _values = new long[Math.Max(16, capacity)];

    public int Count => _count;

    public void Add(long ticks)
    {
        if (_count == _values.Length)
        {
            Array.Resize(ref _values, _values.Length * 2);
        }
        _values[_count++] = ticks;
    }

    public static Summary Summarize(IEnumerable<Latencies> parts)
    {
        var list = parts.ToList();
        var all = new long[list.Sum(p => p._count)];
        var at = 0;
        foreach (var p in list)
        {
            Array.Copy(p._values, 0, all, at, p._count);
            at += p._count;
        }
        Array.Sort(all);
        return new Summary(all);
    }

    public sealed class Summary(long[] sorted)
    {
        public int Count => sorted.Length;

        /// <summary>Nearest-rank percentile in milliseconds.</summary>
        public double Ms(double percentile)
        {
            if (sorted.Length == 0)
            {
                return double.NaN;
            }
            var rank = (int)Math.Ceiling(percentile / 100.0 * sorted.Length);
            return ToMs(sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)]);
        }

        public double MaxMs => sorted.Length == 0 ? double.NaN : ToMs(sorted[^1]);

        public double MeanMs => sorted.Length == 0 ? double.NaN : ToMs((long)sorted.Average());

        private static double ToMs(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
    }
}

/// <summary>CPU time (utime + stime from /proc/PID/stat) of the processes under test, over a window.</summary>
public sealed class CpuMeter
{
    private (string Name, int Pid)[] _processes;
    private readonly double _ticksPerSecond;
    private long[] _start = [];
    private long _machineStart;
    private long _startedAt;

    public CpuMeter(BenchArgs args)
    {
        _ticksPerSecond = args.Double("clk-tck", 100);
        // In report order: the services, Redis, the simulator, the gRPC ceiling, then this load generator.
        var list = new List<(string, int)>();
        foreach (var name in (string[])["ledger", "connector", "alerting", "overlay", "redis", "sim", "ceiling"])
        {
            var pid = args.Int(name + "-pid", 0);
            if (pid > 0)
            {
                list.Add((name, pid));
            }
        }
        list.Add(("bench", Environment.ProcessId));
        _processes = [.. list];
    }

    /// <summary>Measures one more process from the next window on (a process the scenario started itself).</summary>
    public void Watch(string name, int pid) => _processes = [.. _processes.Where(p => p.Name != name).Prepend((name, pid))];

    public void Start()
    {
        _start = [.. _processes.Select(p => Ticks(p.Pid))];
        _machineStart = MachineTicks();
        _startedAt = Stopwatch.GetTimestamp();
    }

    /// <summary>
    /// Cores used by each process over the window (1.0 = one core busy all the time), then
    /// "others": whatever else kept this machine's cores busy (from /proc/stat), so a run that
    /// shared the machine with other work says so.
    /// </summary>
    public IReadOnlyList<(string Name, double Cores)> Stop()
    {
        var seconds = Stopwatch.GetElapsedTime(_startedAt).TotalSeconds;
        var ours = _processes.Select((p, i) => (p.Name, Cores: (Ticks(p.Pid) - _start[i]) / _ticksPerSecond / seconds)).ToList();
        var machine = (MachineTicks() - _machineStart) / _ticksPerSecond / seconds;
        ours.Add(("others", Math.Max(0, machine - ours.Sum(o => o.Cores))));
        return ours;
    }

    /// <summary>Busy ticks of all cores: user, nice, system, irq, softirq and steal from the first line of /proc/stat.</summary>
    private static long MachineTicks()
    {
        try
        {
            var line = File.ReadLines("/proc/stat").First();
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(x => long.Parse(x, CultureInfo.InvariantCulture)).ToArray();
            return f[0] + f[1] + f[2] + f[5] + f[6] + f[7];
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static long Ticks(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the command name, which is in parentheses and may contain spaces.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // utime and stime are fields 14 and 15 of the whole line, i.e. 12 and 13 after "pid (comm) ".
            return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }
}

/// <summary>Results as "key=value" lines (for the run's report) and as text on stdout.</summary>
public sealed class Results(string? path, string scenario)
{
    private readonly List<string> _lines = [];

    public void Add(string key, double value, string format = "F0") => Add(key, value.ToString(format, CultureInfo.InvariantCulture));

    public void Add(string key, string value)
    {
        // One key style for the report: "connector-health" becomes "connector_health"; one line per value.
        var name = (scenario + "_" + key).Replace('-', '_');
        _lines.Add($"{name}={value.ReplaceLineEndings(" ")}");
        Console.WriteLine($"  {name,-34} {value}");
    }

    /// <summary>prefix + "p50_ms", "p99_ms", ... for each percentile given (e.g. 50, 99), in milliseconds.</summary>
    public void AddPercentiles(string prefix, Latencies.Summary summary, string format, params double[] percentiles)
    {
        foreach (var percentile in percentiles)
        {
            Add($"{prefix}p{percentile.ToString(CultureInfo.InvariantCulture).Replace(".", "", StringComparison.Ordinal)}_ms", summary.Ms(percentile), format);
        }
    }

    /// <param name="prefix">For scenarios that measure several windows (e.g. "csv_"): keys become prefix + "cpu_" + process.</param>
    public void AddCpu(IReadOnlyList<(string Name, double Cores)> cpu, string prefix = "")
    {
        foreach (var (name, cores) in cpu)
        {
            Add(prefix + "cpu_" + name, cores, "F2");
        }
        Add(prefix + "cpu_total", cpu.Where(c => c.Name != "others").Sum(c => c.Cores), "F2");
    }

    public void Save()
    {
        if (path is not null)
        {
            File.AppendAllLines(path, _lines);
        }
    }
}

public static class Clock
{
    public static double Seconds(long fromTimestamp) => Stopwatch.GetElapsedTime(fromTimestamp).TotalSeconds;

    public static long Ticks(double seconds) => (long)(seconds * Stopwatch.Frequency);
}

/// <summary>Counts per one-second bucket, for a "did it hold steady" timeline.</summary>
public sealed class Timeline(double seconds)
{
    private readonly long[] _buckets = new long[(int)Math.Ceiling(seconds) + 120];

    public void Add(double atSecond, long count = 1)
    {
        var i = Math.Clamp((int)atSecond, 0, _buckets.Length - 1);
        Interlocked.Add(ref _buckets[i], count);
    }

    public void Max(double atSecond, long value)
    {
        var i = Math.Clamp((int)atSecond, 0, _buckets.Length - 1);
        var seen = Volatile.Read(ref _buckets[i]);
        while (value > seen)
        {
            var found = Interlocked.CompareExchange(ref _buckets[i], value, seen);
            if (found == seen)
            {
                return;
            }
            seen = found;
        }
    }

    public long this[int second] => Volatile.Read(ref _buckets[Math.Clamp(second, 0, _buckets.Length - 1)]);

    /// <summary>The first <paramref name="count"/> buckets, formatted, space-separated.</summary>
    public string Format(int count, Func<long, string> format) => string.Join(' ', _buckets.Take(count).Select(format));
}
