using System.Diagnostics;
using Microsoft.Extensions.Options;
using Polly;
using Stockcast.Alerting.Leadership;
using Stockcast.Alerting.V1;
using Stockcast.ServiceDefaults.Redis;
using Stockcast.ServiceDefaults.Resilience;
using StackExchange.Redis;

namespace Stockcast.Alerting.Delivery;

/// <summary>
/// Drives every sink from the notification log while this replica leads (so two replicas never
/// both send). Each sink has its own cursor in Redis, moved only after a delivery succeeded (or was
/// refused for good), so nothing acknowledged is lost across restarts or failovers: delivery is
/// at-least-once, and the notification id lets receivers drop a repeat. Each sink follows the log on
/// its own stream loop ("sink:{name}"); a failed delivery is retried by Backoff.Notify, without
/// limit, after the wait the receiver asked for if it said one.
/// </summary>
public sealed class SinkPump(
    AlertingMetrics metrics,
    IEnumerable<IAlertSink> sinks,
    NotificationLog log,
    LeaderLease lease,
    IConnectionMultiplexer redis,
    IOptions<RedisOptions> redisOptions,
    Streams streams,
    TimeProvider clock,
    ILogger<SinkPump> logger) : BackgroundService
{
    private static readonly TimeSpan FinishingGrace = TimeSpan.FromSeconds(5);

    private const string MoveCursorScript = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        redis.call('SET', KEYS[2], ARGV[2])
        return 1
        """;

    private readonly ResiliencePipeline _retry = Backoff.Notify(clock, ex => ex is not SinkException { Permanent: true }, ex => (ex as SinkException)?.RetryAfter);

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
        => Task.WhenAll(sinks.Select(sink => RunAsync(sink, stoppingToken)));

    private Task RunAsync(IAlertSink sink, CancellationToken stoppingToken)
    {
        var cursorKey = (RedisKey)(redisOptions.Value.KeyPrefix + "al:sink:" + sink.Name);
        var loop = streams.Loop("sink:" + sink.Name);
        var started = false;
        return loop.RunAsync(async cancellationToken =>
        {
            if (!started)
            {
                // A new sink starts from when a replica configured with it started, before any
                // election: it is not sent the history, and misses nothing raised after.
                await redis.GetDatabase().StringSetAsync(cursorKey, await log.Stream.LastIdAsync(), when: When.NotExists);
                started = true;
            }
            var term = await lease.ElectedAsync(cancellationToken);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, term.Ended);
            try
            {
                await PumpAsync(sink, loop, term, cursorKey, linked.Token);
            }
            catch (OperationCanceledException) when (term.Ended.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                // The term ended: wait to lead again.
            }
        }, stoppingToken);
    }

    private async Task PumpAsync(IAlertSink sink, StreamLoop loop, LeaderTerm term, RedisKey cursorKey, CancellationToken cancellationToken)
    {
        var db = redis.GetDatabase();
        var cursor = (string)(await db.StringGetAsync(cursorKey))!;
        if (await log.Stream.TrimmedAfterAsync(cursor) is { } oldest)
        {
            // The sink was down longer than the log keeps notifications: say so loudly, carry on.
            metrics.Deliveries.WithLabels(sink.Name, "trimmed").Inc();
            logger.LogError("Sink {Sink} was behind the notification log: notifications after {Cursor} up to {Oldest} were trimmed before delivery", sink.Name, cursor, oldest);
        }
        await foreach (var (id, notification) in log.Stream.FollowAsync(cursor, cancellationToken, loop.Heard))
        {
            notification.Id = id;
            if (notification.Alert.Severity >= sink.MinSeverity)
            {
                // A stop (a rolling update) lets the delivery under way finish and its cursor move, for a
                // moment: cut off, a sink may have taken it unseen and the next leader would send it again.
                using var finishing = new CancellationTokenSource();
                await using var stopping = cancellationToken.Register(() => finishing.CancelAfter(FinishingGrace));
                await DeliverAsync(sink, notification, finishing.Token);
            }
            if ((long)await db.ScriptEvaluateAsync(MoveCursorScript, [lease.FenceKey, cursorKey], [term.Token, id]) == 0)
            {
                return; // another replica leads now; it carries on from the cursor
            }
        }
    }

    /// <summary>Delivers until the sink takes it or refuses it for good.</summary>
    private async Task DeliverAsync(IAlertSink sink, AlertNotification notification, CancellationToken cancellationToken)
    {
        var attempt = 0;
        try
        {
            await _retry.ExecuteAsync(async token =>
            {
                attempt++;
                var started = Stopwatch.GetTimestamp();
                try
                {
                    await sink.DeliverAsync(notification, token);
                }
                catch (Exception ex) when (!token.IsCancellationRequested)
                {
                    // Anything a sink throws short of our own shutdown is a failed attempt: counted, and retried unless refused for good.
                    var permanent = ex is SinkException { Permanent: true };
                    metrics.Deliveries.WithLabels(sink.Name, permanent ? "refused" : "failed").Inc();
                    if (!permanent)
                    {
                        logger.LogWarning("Sink {Sink} failed notification {Id} (attempt {Attempt}, {Ms:0} ms): {Error}", sink.Name, notification.Id, attempt, Stopwatch.GetElapsedTime(started).TotalMilliseconds, ex.Message);
                    }
                    throw;
                }
            }, cancellationToken);
        }
        catch (SinkException ex) when (ex.Permanent)
        {
            logger.LogError("Sink {Sink} refused notification {Id} for good: {Error}", sink.Name, notification.Id, ex.Message);
            return;
        }
        metrics.DeliveryLatency.WithLabels(sink.Name).Observe(Math.Max(0, (clock.GetUtcNow() - RaisedOrUpdated(notification)).TotalSeconds));
        metrics.Deliveries.WithLabels(sink.Name, "delivered").Inc();
    }

    private static DateTimeOffset RaisedOrUpdated(AlertNotification n)
        => (n.Alert.UpdatedAt ?? n.Alert.RaisedAt)?.ToDateTimeOffset() ?? DateTimeOffset.UtcNow;
}
