using Microsoft.Extensions.Options;
using Stockcast.Alerting.V1;
using Stockcast.ServiceDefaults.Redis;
using StackExchange.Redis;

namespace Stockcast.Alerting.Delivery;

/// <summary>
/// Every alert notification, in order, in one Redis stream: consoles read it (WatchAlerts, on any
/// replica), and each sink follows it with its own durable cursor, so a slow or failing sink never
/// holds up the console or another sink, and a restart resumes where delivery stopped.
/// </summary>
public sealed class NotificationLog(IConnectionMultiplexer redis, MalformedEntries malformed, IOptions<RedisOptions> redisOptions, IOptions<AlertingOptions> options)
{
    public MessageStream<AlertNotification> Stream { get; } = new(redis, malformed, "alert-notifications", redisOptions.Value.KeyPrefix + "al:notifications", options.Value.NotificationRetention, AlertNotification.Parser);
}

/// <summary>Somewhere alert notifications go besides the console stream.</summary>
public interface IAlertSink
{
    string Name { get; }

    Severity MinSeverity { get; }

    /// <summary>Delivers one notification; throws <see cref="SinkException"/> when it was not delivered.</summary>
    Task DeliverAsync(AlertNotification notification, CancellationToken cancellationToken);
}

/// <param name="permanent">The receiver refused it for good (e.g. HTTP 400): retrying cannot help.</param>
/// <param name="retryAfter">How long the receiver asked us to wait before the next attempt (its Retry-After).</param>
public sealed class SinkException(string message, bool permanent = false, Exception? inner = null, TimeSpan? retryAfter = null) : Exception(message, inner)
{
    public bool Permanent => permanent;

    public TimeSpan? RetryAfter => retryAfter;
}
