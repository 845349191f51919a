using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;
using Stockcast.Connector.Events;
using Stockcast.Connector.V1;
using Stockcast.ServiceDefaults.Redis;
using StackExchange.Redis;

namespace Stockcast.Connector.Feeds;

/// <summary>
/// Each feed's sync status, kept in Redis so every replica and a restarted one report the same. A
/// feed's stale episode is one field ("stale"), set and cleared by single commands, so however many
/// replicas notice, one raises FEED_STALE and one FEED_RECOVERED.
/// </summary>
public sealed class FeedStatusStore(ConnectorMetrics metrics, IConnectionMultiplexer redis, IOptions<RedisOptions> redisOptions, FeedEventStore feedEvents, TimeProvider clock)
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
        Task<bool>? endedStaleEpisode = null;
        var now = clock.GetUtcNow();
        if (error is null)
        {
            _ = transaction.HashSetAsync(key, "success", now.ToUnixTimeMilliseconds());
            _ = transaction.HashSetAsync(key, "error", "");
            endedStaleEpisode = transaction.HashDeleteAsync(key, "stale");
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
        if (error is null)
        {
            metrics.LastSuccessTimestamp.WithLabels(warehouseId).Set(now.ToUnixTimeMilliseconds() / 1000.0);
            metrics.FeedStale.WithLabels(warehouseId).Set(0);
        }
        if (endedStaleEpisode is not null && await endedStaleEpisode)
        {
            await feedEvents.AppendAsync(new FeedEvent
            {
                Kind = FeedEventKind.FeedRecovered,
                WarehouseId = warehouseId,
                LastSuccess = Timestamp.FromDateTimeOffset(now),
                Detail = "the feed synced again",
            });
        }
    }

    /// <summary>
    /// Raises FEED_STALE once per episode when the feed has had no success (or, never having had one,
    /// has been configured) for longer than its bound; keeps the exported last-success timestamp in
    /// line with Redis, whichever replica recorded it.
    /// </summary>
    public async Task CheckStaleAsync(FeedOptions feed)
    {
        var key = (RedisKey)(_prefix + feed.WarehouseId);
        var now = clock.GetUtcNow();
        await Db.HashSetAsync(key, "watched", now.ToUnixTimeMilliseconds(), When.NotExists);
        var fields = await Db.HashGetAsync(key, ["success", "watched"]);
        var success = (long?)fields[0];
        if (success is long s)
        {
            metrics.LastSuccessTimestamp.WithLabels(feed.WarehouseId).Set(s / 1000.0);
        }
        var since = DateTimeOffset.FromUnixTimeMilliseconds(success ?? (long)fields[1]);
        var stale = now - since > TimeSpan.FromSeconds(feed.StaleAfterSeconds);
        metrics.FeedStale.WithLabels(feed.WarehouseId).Set(stale ? 1 : 0);
        if (stale && await Db.HashSetAsync(key, "stale", now.ToUnixTimeMilliseconds(), When.NotExists))
        {
            await feedEvents.AppendAsync(new FeedEvent
            {
                Kind = FeedEventKind.FeedStale,
                WarehouseId = feed.WarehouseId,
                LastSuccess = success is null ? null : Timestamp.FromDateTimeOffset(since),
                Detail = success is null
                    ? $"no successful sync since the connector started watching it {(now - since).TotalSeconds:0}s ago (bound {feed.StaleAfterSeconds}s)"
                    : $"no successful sync for {(now - since).TotalSeconds:0}s (bound {feed.StaleAfterSeconds}s)",
            });
        }
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
