using Prometheus;
using StackExchange.Redis;

namespace Stockcast.ServiceDefaults.Redis;

/// <summary>Redis trouble as the service's one connection sees it, for the RedisErrors alert.</summary>
public sealed class RedisMetrics(IMetricFactory metrics)
{
    public const string ConnectionFailed = "connection_failed";
    public const string ErrorReply = "error_reply";
    public const string InternalError = "internal_error";

    public Counter Errors { get; } = metrics.CreateCounter(
        "stockcast_redis_errors_total",
        "Redis connection failures, error replies from the server and client-side internal errors, by kind.",
        ["kind"]);

    /// <summary>Counts the multiplexer's failure events from now on.</summary>
    public void Observe(IConnectionMultiplexer multiplexer)
    {
        foreach (var kind in new[] { ConnectionFailed, ErrorReply, InternalError })
        {
            Errors.WithLabels(kind); // export 0 from the start, so rate() sees the first error
        }
        multiplexer.ConnectionFailed += (_, _) => Errors.WithLabels(ConnectionFailed).Inc();
        multiplexer.ErrorMessage += (_, _) => Errors.WithLabels(ErrorReply).Inc();
        multiplexer.InternalError += (_, _) => Errors.WithLabels(InternalError).Inc();
    }
}
