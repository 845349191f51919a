using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;
using Stockcast.Connector.V1;
using Stockcast.ServiceDefaults.Redis;
using StackExchange.Redis;

namespace Stockcast.Connector.Feeds;

/// <summary>Each feed's sync status, kept in Redis so every replica and a restarted one report the same.</summary>
public sealed class FeedStatusStore(IConnectionMultiplexer redis, IOptions<RedisOptions> redisOptions, TimeProvider clock)
{
    private readonly string _prefix = redisOptions.Value.KeyPrefix + "cn:feed:";

    private IDatabase Db => redis.GetDatabase();

    public async Task RecordAsync(string warehouseId, int received, int applied, int deadLettered, DateTimeOffset? newestSourceTime, string? error)
    {
        var key = (RedisKey)(_prefix + warehouseId);
        var transaction = Db.CreateTransaction();
        _ = transaction.HashIncrementAsync(key, "received", received);
        _ = transaction.HashIncrementAsync(key, "applied", applied);
        _ = transaction.HashIncrementAsync(key, "dead", deadLettered);
        if (error is null)
        {
            _ = transaction.HashSetAsync(key, "success", clock.GetUtcNow().ToUnixTimeMilliseconds());
            _ = transaction.HashSetAsync(key, "error", "");
        }
        else
        {
            _ = transaction.HashSetAsync(key, "error", error);
        }
        if (newestSourceTime is { } newest)
        {
            _ = transaction.HashSetAsync(key, "source", newest.ToUnixTimeMilliseconds());
        }
        await transaction.ExecuteAsync();
    }

    public async Task<Feed> GetAsync(FeedOptions options)
    {
        var fields = await Db.HashGetAsync(_prefix + options.WarehouseId, ["success", "source", "received", "applied", "dead", "error"]);
        var feed = new Feed
        {
            WarehouseId = options.WarehouseId,
            Source = options.Source,
            RecordsReceived = (long?)fields[2] ?? 0,
            RecordsApplied = (long?)fields[3] ?? 0,
            RecordsDeadLettered = (long?)fields[4] ?? 0,
            LastError = (string?)fields[5] ?? "",
        };
        if ((long?)fields[0] is long success)
        {
            feed.LastSuccess = Timestamp.FromDateTimeOffset(DateTimeOffset.FromUnixTimeMilliseconds(success));
        }
        if ((long?)fields[1] is long source)
        {
            feed.LastSourceTime = Timestamp.FromDateTimeOffset(DateTimeOffset.FromUnixTimeMilliseconds(source));
        }
        feed.Stale = feed.LastSuccess is null || clock.GetUtcNow() - feed.LastSuccess.ToDateTimeOffset() > TimeSpan.FromSeconds(options.StaleAfterSeconds);
        return feed;
    }
}
