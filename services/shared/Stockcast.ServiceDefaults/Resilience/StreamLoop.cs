using Microsoft.Extensions.Logging;
using Polly;

namespace Stockcast.ServiceDefaults.Resilience;

/// <summary>
/// The one resumable-stream loop every follower runs on. The follower's session subscribes and reads,
/// remembering its own position and calling <see cref="Heard"/> as the stream answers; when it fails,
/// the loop reports the stream down (one warning per outage) and runs it again after a jittered
/// backoff (<see cref="Backoff.Follow"/> unless given another pipeline that retries every failure);
/// a session that was heard from before it failed is resumed at once, its backoff starting over. A
/// session that returns is run again at once (to re-list, or to wait for the next leader term).
/// Only the host's shutdown ends the loop: any other failure, a cancelled HTTP call included, is retried.
/// </summary>
public sealed class StreamLoop(StreamHealth health, ResiliencePipeline retry, TimeProvider clock, ILogger log)
{
    public StreamHealth Health => health;

    /// <summary>The stream answered: live, and this attempt made progress.</summary>
    public void Heard() => health.Heard();

    public async Task RunAsync(Func<CancellationToken, Task> session, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await retry.ExecuteAsync(cancellationToken => new ValueTask(AttemptAsync(session, cancellationToken)), stoppingToken);
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>
    /// A refresh repeated every <paramref name="period"/> (rooms, the catalogue, feed status): heard
    /// after each one that succeeds; one that fails is retried with backoff, then the period resumes.
    /// </summary>
    public async Task EveryAsync(TimeSpan period, Func<CancellationToken, Task> refresh, CancellationToken stoppingToken)
    {
        // A timer rather than a delay after each refresh: a tick that comes during a refresh is kept,
        // so the clock moving on meanwhile (a slow refresh, a test's clock) never skips a period.
        using var timer = new PeriodicTimer(period, clock);
        await RunAsync(async cancellationToken =>
        {
            await refresh(cancellationToken);
            Heard();
            // The period, not a retry: a refresh that fails never gets here.
            await timer.WaitForNextTickAsync(cancellationToken);
        }, stoppingToken);
    }

    private async Task AttemptAsync(Func<CancellationToken, Task> session, CancellationToken cancellationToken)
    {
        var heardBefore = health.HeardCount;
        var failuresBefore = health.Failures;
        try
        {
            await session(cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            var progressed = health.HeardCount != heardBefore;
            health.Failed(ex.Message);
            // One warning per outage (with the exception, so a bug shows where): a peer down for an
            // hour must not flood the log.
            if (progressed || failuresBefore == 0)
            {
                log.LogWarning(ex, "Following {Stream} failed; retrying: {Error}", health.Name, ex.Message);
            }
            else
            {
                log.LogDebug("Following {Stream} failed (attempt {Failures}); retrying: {Error}", health.Name, health.Failures, ex.Message);
            }
            if (progressed)
            {
                return; // it was working: resume at once, backing off from the start if that fails
            }
            throw;
        }
    }
}

/// <summary>Creates each follower's <see cref="StreamLoop"/> with its health and metrics, one per stream name.</summary>
public sealed class Streams(StreamMetrics metrics, TimeProvider clock, ILoggerFactory logs)
{
    private readonly Dictionary<string, StreamHealth> _health = new(StringComparer.Ordinal);
    private readonly ILogger _log = logs.CreateLogger("Stockcast.Streams");

    /// <summary>
    /// The loop for a stream of a fixed name ("ledger", "alerts", "signals"…); the same name shares
    /// one health. <paramref name="retry"/>, when given, must retry every failure short of shutdown
    /// without limit (<see cref="Backoff.Poll"/>, say).
    /// </summary>
    public StreamLoop Loop(string name, ResiliencePipeline? retry = null)
        => new(Health(name), retry ?? Backoff.Follow(clock), clock, _log);

    /// <summary>A stream's health, created on first use.</summary>
    public StreamHealth Health(string name)
    {
        lock (_health)
        {
            if (!_health.TryGetValue(name, out var health))
            {
                _health[name] = health = new StreamHealth(name, metrics, clock, _log);
            }
            return health;
        }
    }
}
