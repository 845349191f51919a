using System.Globalization;

namespace Stockcast.Bench.Harness;

/// <summary>
/// VmRSS of the processes under test (ledger, Redis, and once they run the connector, the alerting
/// service and the overlay) every 500 ms, each sample tagged with the phase running then (idle, a
/// scenario's name, done). Bounded: at most 4,800 samples (40 minutes: every part and a soak), and it ends with the ledger.
/// </summary>
public sealed class MemorySampler : IAsyncDisposable
{
    public static readonly string[] Processes = ["ledger", "redis", "connector", "alerting", "overlay"];
    private const int MaxSamples = 4800;
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);
    private readonly int[] _pids = new int[Processes.Length];
    private readonly List<(string Phase, long[] Kb)> _samples = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private volatile string _phase = "idle";

    public MemorySampler(int ledgerPid, int redisPid)
    {
        Watch("ledger", ledgerPid);
        Watch("redis", redisPid);
        _loop = Task.Run(LoopAsync);
    }

    public string Phase
    {
        get => _phase;
        set => _phase = value;
    }

    public int Count
    {
        get
        {
            lock (_samples)
            {
                return _samples.Count;
            }
        }
    }

    /// <summary>Samples this process's VmRSS from now on.</summary>
    public void Watch(string process, int pid) => Volatile.Write(ref _pids[Array.IndexOf(Processes, process)], pid);

    /// <summary>Until <paramref name="count"/> samples of the current phase were taken, or the sampler ended.</summary>
    public async Task WaitForSamplesAsync(int count, CancellationToken cancel)
    {
        while (!_loop.IsCompleted && SamplesOf(_phase) < count)
        {
            await Task.Delay(Interval / 5, cancel);
        }
    }

    /// <summary>Peak VmRSS in MiB of a process over one phase (null: the whole run), rounded.</summary>
    public string PeakMib(string? phase, string process)
    {
        var column = Array.IndexOf(Processes, process);
        lock (_samples)
        {
            var peak = _samples.Where(s => phase is null || s.Phase == phase).Select(s => s.Kb[column]).DefaultIfEmpty(0).Max();
            return (peak / 1024.0).ToString("F0", CultureInfo.InvariantCulture);
        }
    }

    /// <summary>
    /// A least-squares line through a process's VmRSS over a phase, after its first <paramref name="skip"/>
    /// share (the warm-up, while the working set is still being built): the slope in MiB per minute and the
    /// first and last fitted values; null when the phase has too few samples.
    /// </summary>
    public (double MibPerMinute, double FromMib, double ToMib, int Samples)? Trend(string phase, string process, double skip)
    {
        var column = Array.IndexOf(Processes, process);
        long[] kb;
        lock (_samples)
        {
            kb = [.. _samples.Where(s => s.Phase == phase).Select(s => s.Kb[column])];
        }
        var points = kb.Skip((int)(kb.Length * skip)).Select((v, i) => (Minutes: i * Interval.TotalMinutes, Mib: v / 1024.0)).ToList();
        if (points.Count < 10)
        {
            return null;
        }
        var (mx, my) = (points.Average(p => p.Minutes), points.Average(p => p.Mib));
        var slope = points.Sum(p => (p.Minutes - mx) * (p.Mib - my)) / points.Sum(p => (p.Minutes - mx) * (p.Minutes - mx));
        var start = my - slope * mx;
        return (slope, start, start + slope * points[^1].Minutes, points.Count);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    /// <summary>A /proc/PID/status figure in kB (VmRSS, VmHWM); 0 when the process is gone.</summary>
    public static long StatusKb(int pid, string field)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private int SamplesOf(string phase)
    {
        lock (_samples)
        {
            return _samples.Count(s => s.Phase == phase);
        }
    }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            for (var n = 0; n < MaxSamples && Directory.Exists($"/proc/{Volatile.Read(ref _pids[0])}"); n++)
            {
                var sample = (_phase, _pids.Select(pid => pid > 0 ? StatusKb(pid, "VmRSS") : 0).ToArray());
                lock (_samples)
                {
                    _samples.Add(sample);
                }
                await timer.WaitForNextTickAsync(_stop.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped at the end of the run.
        }
    }
}
