using StackExchange.Redis;

namespace Stockcast.ServiceDefaults.Redis;

/// <summary>
/// The one rule for what Redis trouble is. A request that meets a <see cref="IsTransient">transient</see>
/// fault answers UNAVAILABLE (retry shortly); a background loop or lease survives <see cref="IsRedis">any</see>
/// Redis fault — it steps down or reports its stream down, and tries again with backoff.
/// </summary>
public static class RedisFaults
{
    // Error replies that say "not now" (loading, failing over, busy, out of memory, a slot moving)
    // rather than "wrong command": retrying helps. Any other reply is a bug and stays unmapped.
    private static readonly HashSet<RedisErrorKind> TransientReplies =
    [
        RedisErrorKind.Loading, RedisErrorKind.ReadOnly, RedisErrorKind.Busy, RedisErrorKind.TryAgain, RedisErrorKind.MasterDown,
        RedisErrorKind.ClusterDown, RedisErrorKind.OutOfMemory, RedisErrorKind.NoReplicas, RedisErrorKind.Misconfigured, RedisErrorKind.MaxClients,
        RedisErrorKind.Moved, RedisErrorKind.Ask, RedisErrorKind.UnknownRedirectTarget, RedisErrorKind.ConnectionFault, RedisErrorKind.Timeout,
    ];

    /// <summary>
    /// Connection loss, a timeout (a stalled Redis: <c>DEBUG SLEEP</c>, a long fork), or an error reply
    /// that passes by itself: LOADING, READONLY after a failover, BUSY (a long script), OOM, MOVED/ASK/TRYAGAIN/CLUSTERDOWN.
    /// </summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        RedisServerException e => TransientReplies.Contains(e.Kind),
        // RedisTimeoutException is a TimeoutException, not a RedisException.
        RedisException or RedisTimeoutException => true,
        AggregateException { InnerExceptions: [var inner] } => IsTransient(inner),
        _ => false,
    };

    /// <summary>Any failure the Redis client reports, transient or not (an error reply such as WRONGTYPE or NOPERM too).</summary>
    public static bool IsRedis(Exception exception) => exception switch
    {
        RedisException or RedisTimeoutException => true,
        AggregateException { InnerExceptions: [var inner] } => IsRedis(inner),
        _ => false,
    };
}
