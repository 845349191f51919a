using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Stockcast.ServiceDefaults.Redis;
using StackExchange.Redis;

namespace Stockcast.Connector.Webhooks;

/// <summary>
/// When each verified webhook body was first received, per feed, kept in Redis for the feed's
/// ReplayWindowSeconds. A body that carries no time of its own (ShipHero "Inventory Update") is
/// ordered by it: a redelivery, however late, keeps its first receipt, so the ledger finds it older
/// than what it applied since (STALE) or the same (DUPLICATE). Keyed by a hash of the signed body,
/// never by an unsigned header, which anyone replaying a signed body could change.
/// </summary>
public sealed class WebhookReceipts(IConnectionMultiplexer redis, IOptions<RedisOptions> redisOptions)
{
    private const string FirstReceiptScript = """
        local first = redis.call('GET', KEYS[1])
        if first then return first end
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        return ARGV[1]
        """;

    private readonly string _prefix = redisOptions.Value.KeyPrefix + "cn:hook:";

    /// <summary>The body's first receipt (this one when it is new), to the microsecond.</summary>
    public async Task<DateTimeOffset> FirstReceivedAsync(FeedOptions feed, byte[] body, DateTimeOffset now)
    {
        var key = (RedisKey)(_prefix + feed.WarehouseId + ":" + ContentKey(body));
        var first = (long)await redis.GetDatabase().ScriptEvaluateAsync(FirstReceiptScript, [key], [Microseconds(now), feed.ReplayWindowSeconds * 1000L]);
        return DateTimeOffset.UnixEpoch.AddTicks(first * 10);
    }

    /// <summary>What identifies a body: the first 128 bits of its SHA-256, in hex (the signature covers every byte hashed).</summary>
    public static string ContentKey(byte[] body) => Convert.ToHexString(SHA256.HashData(body))[..32];

    public static long Microseconds(DateTimeOffset at) => (at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
}
