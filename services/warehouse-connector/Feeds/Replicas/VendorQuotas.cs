using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Stockcast.ServiceDefaults.Redis;
using StackExchange.Redis;

namespace Stockcast.Connector.Feeds.Replicas;

/// <summary>A vendor's request quota as we pace to it: a token bucket refilled at PerSecond up to Burst, per account.</summary>
public sealed record VendorQuota(string Vendor, double PerSecond, double Burst);

/// <summary>
/// The vendors' request quotas, shared by every connector replica: one token bucket per vendor
/// account in Redis (a Lua script on Redis's clock), so the replicas together stay under the quota
/// rather than each of them. The account is named by a hash of its credentials, never the
/// credentials themselves.
/// </summary>
public sealed class VendorQuotas(IConnectionMultiplexer redis, IOptions<RedisOptions> redisOptions)
{
    // Returns 0 when a request may go now (its token taken), else the milliseconds until one may.
    private const string TakeScript = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
        local per_ms, burst = tonumber(ARGV[1]) / 1000, tonumber(ARGV[2])
        local v = redis.call('HMGET', KEYS[1], 'tokens', 'at')
        local tokens = math.min(burst, tonumber(v[1] or ARGV[2]) + (now - tonumber(v[2] or now)) * per_ms)
        if tokens >= 1 then
          redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens - 1), 'at', string.format('%.3f', now))
          redis.call('PEXPIRE', KEYS[1], math.ceil(burst / per_ms) + 1000)
          return 0
        end
        return math.ceil((1 - tokens) / per_ms)
        """;

    private readonly string _prefix = redisOptions.Value.KeyPrefix + "cn:quota:";

    /// <summary>Waits until the account may send one more request, and takes it.</summary>
    public async Task TakeAsync(VendorQuota quota, string credentials, CancellationToken cancellationToken)
    {
        var key = (RedisKey)(_prefix + quota.Vendor + ":" + Account(credentials));
        while (true)
        {
            var waitMs = (long)await redis.GetDatabase().ScriptEvaluateAsync(TakeScript, [key], [quota.PerSecond, quota.Burst]);
            if (waitMs == 0)
            {
                return;
            }
            // Real time: the bucket runs on Redis's clock.
            await Task.Delay(TimeSpan.FromMilliseconds(waitMs), cancellationToken);
        }
    }

    private static string Account(string credentials)
        => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(credentials)))[..16];
}
