using Microsoft.Extensions.Logging;
using Prometheus;

namespace Stockcast.ServiceDefaults.Resilience;

/// <summary>
/// Whether one followed stream is live: up once it answered (a message, a listing, a progress
/// notification), down from its first failure until it answers again. Exported per stream as
/// stockcast_stream_up, stockcast_stream_failures_total and stockcast_stream_last_heard_timestamp_seconds,
/// from when it is first heard from or fails: a stream this replica does not follow (not configured,
/// or led by another replica) is absent rather than reported down.
/// </summary>
public sealed class StreamHealth
{
    private readonly TimeProvider _clock;
    private readonly ILogger _log;
    private readonly Gauge.Child _up;
    private readonly Counter.Child _failuresTotal;
    private readonly Gauge.Child _lastHeard;
    private readonly Lock _gate = new();
    private long _heardAtTicks = long.MinValue;
    private long _heardCount;
    private int _failures;
    private volatile string _downReason = "not connected yet";

    internal StreamHealth(string name, StreamMetrics metrics, TimeProvider clock, ILogger log)
    {
        Name = name;
        _clock = clock;
        _log = log;
        _up = metrics.Up.WithLabels(name);
        _failuresTotal = metrics.Failures.WithLabels(name);
        _lastHeard = metrics.LastHeard.WithLabels(name);
    }

    public string Name { get; }

    /// <summary>The stream went down or came back.</summary>
    public event Action? Changed;

    public bool IsUp => _downReason.Length == 0;

    /// <summary>Empty while up; otherwise why not ("not connected yet", the last error).</summary>
    public string DownReason => _downReason;

    /// <summary>Failed attempts since it was last heard from.</summary>
    public int Failures => Volatile.Read(ref _failures);

    /// <summary>When the stream last answered; null before it ever did.</summary>
    public DateTimeOffset? HeardAt
    {
        get
        {
            var ticks = Interlocked.Read(ref _heardAtTicks);
            return ticks == long.MinValue ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    internal long HeardCount => Interlocked.Read(ref _heardCount);

    /// <summary>The stream answered: it is live (again).</summary>
    public void Heard()
    {
        var now = _clock.GetUtcNow();
        Interlocked.Exchange(ref _heardAtTicks, now.UtcTicks);
        Interlocked.Increment(ref _heardCount);
        _lastHeard.Set(now.ToUnixTimeMilliseconds() / 1000.0);
        if (_downReason.Length == 0)
        {
            return; // the usual case, once per message: no lock
        }
        int failures;
        lock (_gate)
        {
            failures = Interlocked.Exchange(ref _failures, 0);
            if (_downReason.Length == 0)
            {
                return;
            }
            _failuresTotal.Publish(); // at 0, so the first failure counts as an increase
            _up.Set(1); // before IsUp turns true, so whoever sees it up reads the gauge up too
            _downReason = "";
        }
        if (failures > 0)
        {
            _log.LogInformation("Following {Stream} again after {Failures} failed attempts", Name, failures);
        }
        Changed?.Invoke();
    }

    internal void Failed(string reason)
    {
        _failuresTotal.Inc();
        bool wentDown;
        lock (_gate)
        {
            Interlocked.Increment(ref _failures);
            wentDown = _downReason.Length == 0;
            _up.Set(0);
            // The latest error, so a stream that never connected says why rather than "not connected yet".
            _downReason = reason.Length == 0 ? "failed" : reason;
        }
        if (wentDown)
        {
            Changed?.Invoke();
        }
    }
}

/// <summary>The metrics every followed stream reports, labelled by the stream's fixed name.</summary>
public sealed class StreamMetrics(IMetricFactory metrics)
{
    public Gauge Up { get; } = metrics.CreateGauge(
        "stockcast_stream_up", "1 while a followed stream (ledger Watch, alerts, signals, feed events, rooms…) is live, 0 while it is failing; absent while not followed here.",
        ["stream"], new GaugeConfiguration { SuppressInitialValue = true });

    public Counter Failures { get; } = metrics.CreateCounter(
        "stockcast_stream_failures_total", "Failed attempts to follow a stream (each is retried with backoff).",
        ["stream"], new CounterConfiguration { SuppressInitialValue = true });

    public Gauge LastHeard { get; } = metrics.CreateGauge(
        "stockcast_stream_last_heard_timestamp_seconds", "When a followed stream last answered (Unix seconds).",
        ["stream"], new GaugeConfiguration { SuppressInitialValue = true });
}
