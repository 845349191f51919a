using System.Diagnostics;
using Stockcast.Alerting.Leadership;
using Stockcast.Alerting.V1;
using Stockcast.ServiceDefaults.Redis;
using StackExchange.Redis;
using Microsoft.Extensions.Options;

namespace Stockcast.Alerting.Delivery;

/// <summary>
/// Drives every sink from the notification log while this replica leads (so two replicas never
/// both send). Each sink has its own cursor in Redis, moved only after a delivery succeeded (or was
/// refused for good), so nothing acknowledged is lost across restarts or failovers: delivery is
/// at-least-once, and the notification id lets receivers drop a repeat. Failures are retried with
/// exponential backoff and jitter, without limit, each sink on its own loop.
/// </summary>
public sealed class SinkPump(
    AlertingMetrics metrics,
    IEnumerable<IAlertSink> sinks,
    NotificationLog log,
    LeaderLease lease,
    IConnectionMultiplexer redis,
    IOptions<RedisOptions> redisOptions,
    TimeProvider clock,
    ILogger<SinkPump> logger) : BackgroundService
{
    private const string MoveCursorScript = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        redis.call('SET', KEYS[2], ARGV[2])
        return 1
        """;
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(60);

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
        => Task.WhenAll(sinks.Select(sink => RunAsync(sink, stoppingToken)));

    private async Task RunAsync(IAlertSink sink, CancellationToken stoppingToken)
    {
        var cursorKey = (RedisKey)(redisOptions.Value.KeyPrefix + "al:sink:" + sink.Name);
        var started = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!started)
                {
                    // A new sink starts from when a replica configured with it started, before any
                    // election: it is not sent the history, and misses nothing raised after.
                    await redis.GetDatabase().StringSetAsync(cursorKey, await log.Stream.LastIdAsync(), when: When.NotExists);
                    started = true;
                }
                var term = await lease.ElectedAsync(stoppingToken);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, term.Ended);
                await PumpAsync(sink, term, cursorKey, linked.Token);
            }
            catch (OperationCanceledException)
            {
                // Shutting down, or the term ended: wait to lead again.
            }
            catch (Exception ex)
            {
                logger.LogWarning("Sink {Sink} pump stopped: {Error}; restarting", sink.Name, ex.Message);
                try
                {
                    await Task.Delay(FirstBackoff, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task PumpAsync(IAlertSink sink, LeaderTerm term, RedisKey cursorKey, CancellationToken cancellationToken)
    {
        var db = redis.GetDatabase();
        var cursor = (string)(await db.StringGetAsync(cursorKey))!;
        if (await log.Stream.TrimmedAfterAsync(cursor) is { } oldest)
        {
            // The sink was down longer than the log keeps notifications: say so loudly, carry on.
            metrics.Deliveries.WithLabels(sink.Name, "trimmed").Inc();
            logger.LogError("Sink {Sink} was behind the notification log: notifications after {Cursor} up to {Oldest} were trimmed before delivery", sink.Name, cursor, oldest);
        }
        await foreach (var (id, notification) in log.Stream.FollowAsync(cursor, cancellationToken))
        {
            notification.Id = id;
            if (notification.Alert.Severity >= sink.MinSeverity)
            {
                await DeliverWithRetriesAsync(sink, notification, cancellationToken);
            }
            if ((long)await db.ScriptEvaluateAsync(MoveCursorScript, [lease.FenceKey, cursorKey], [term.Token, id]) == 0)
            {
                return; // another replica leads now; it carries on from the cursor
            }
        }
    }

    private async Task DeliverWithRetriesAsync(IAlertSink sink, AlertNotification notification, CancellationToken cancellationToken)
    {
        var backoff = FirstBackoff;
        for (var attempt = 1; ; attempt++)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await sink.DeliverAsync(notification, cancellationToken);
                metrics.DeliveryLatency.WithLabels(sink.Name).Observe(Math.Max(0, (clock.GetUtcNow() - RaisedOrUpdated(notification)).TotalSeconds));
                metrics.Deliveries.WithLabels(sink.Name, "delivered").Inc();
                return;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                // Anything a sink throws short of our own shutdown is a failed attempt: counted, retried.
                var permanent = ex is SinkException { Permanent: true };
                metrics.Deliveries.WithLabels(sink.Name, permanent ? "refused" : "failed").Inc();
                if (permanent)
                {
                    logger.LogError("Sink {Sink} refused notification {Id} for good: {Error}", sink.Name, notification.Id, ex.Message);
                    return;
                }
                logger.LogWarning("Sink {Sink} failed notification {Id} (attempt {Attempt}, {Ms:0} ms): {Error}", sink.Name, notification.Id, attempt, Stopwatch.GetElapsedTime(started).TotalMilliseconds, ex.Message);
            }
            var jittered = backoff * (0.5 + Random.Shared.NextDouble() / 2);
            await Task.Delay(jittered, cancellationToken);
            backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
        }
    }

    private static DateTimeOffset RaisedOrUpdated(AlertNotification n)
        => (n.Alert.UpdatedAt ?? n.Alert.RaisedAt)?.ToDateTimeOffset() ?? DateTimeOffset.UtcNow;
}
