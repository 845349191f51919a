using Microsoft.Extensions.Options;
using Stockcast.ServiceDefaults.Redis;
using StackExchange.Redis;

namespace Stockcast.Connector.Feeds;

/// <summary>
/// Where each incremental feed has read up to, kept in Redis: a connector killed at any moment
/// starts again from the last completed read, never from a half-read one. A cursor that is not a
/// number (a hand edit) is counted and logged, and the feed reads from the start as if it had none.
/// </summary>
public sealed class FeedCursorStore(IConnectionMultiplexer redis, MalformedEntries malformed, IOptions<RedisOptions> redisOptions)
{
    private readonly string _prefix = redisOptions.Value.KeyPrefix + "cn:cursor:";

    public async Task<DateTimeOffset?> GetAsync(string warehouseId)
    {
        var value = await redis.GetDatabase().StringGetAsync(_prefix + warehouseId);
        return malformed.Number("feed-cursors", warehouseId, value) is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
    }

    /// <summary>Moves the cursor forward only (a late read never moves it back).</summary>
    public Task AdvanceAsync(string warehouseId, DateTimeOffset readUpTo)
        => redis.GetDatabase().ScriptEvaluateAsync(
            "local c = tonumber(redis.call('GET', KEYS[1])) or 0; if tonumber(ARGV[1]) > c then redis.call('SET', KEYS[1], ARGV[1]) end",
            [(RedisKey)(_prefix + warehouseId)], [readUpTo.ToUnixTimeMilliseconds()]);
}
