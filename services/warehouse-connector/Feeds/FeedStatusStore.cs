using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;
using Stockcast.Connector.Events;
using Stockcast.Connector.V1;
using Stockcast.ServiceDefaults.Redis;
using StackExchange.Redis;

namespace Stockcast.Connector.Feeds;

/// <summary>What one intake did, for a feed's counters.</summary>
public sealed record FeedTally(int Received, int Applied, int DeadLettered, int EstimatedTime = 0, int Unchanged = 0, int Duplicate = 0);

/// <summary>The newest dead letter of an intake: its id and why (shown for a DEGRADED feed).</summary>
public sealed record DeadLetterNote(string Id, string Reason);

/// <summary>
/// Each feed's sync status, kept in Redis so every replica and a restarted one report the same: the
/// counters, the last success and error, the newest dead letter, and per minute of the dead-letter
/// window the records received and dead-lettered (a ring of slots, each stamped with its minute), from
/// which the ratio that makes a feed DEGRADED is read. A feed's stale episode is one field ("stale"),
/// set and cleared by single commands, so however many replicas notice, one raises FEED_STALE and one FEED_RECOVERED.
/// </summary>
public sealed class FeedStatusStore(ConnectorMetrics metrics, IConnectionMultiplexer redis, MalformedEntries malformed, IOptions<RedisOptions> redisOptions, FeedEventStore feedEvents, TimeProvider clock)
{
    private const string RecordScript = """
        local k = KEYS[1]
        local counters = {'received', 'applied', 'dead', 'estimated', 'unchanged', 'duplicate'}
        for i, f in ipairs(counters) do
          local n = tonumber(ARGV[6 + i])
          if n ~= 0 then redis.call('HINCRBY', k, f, n) end
        end
        if tonumber(ARGV[7]) > 0 then
          local slot = tostring(tonumber(ARGV[2]) % tonumber(ARGV[3]))
          if redis.call('HGET', k, 'wm'..slot) ~= ARGV[2] then
            redis.call('HSET', k, 'wm'..slot, ARGV[2], 'wr'..slot, 0, 'wd'..slot, 0)
          end
          redis.call('HINCRBY', k, 'wr'..slot, ARGV[7])
          redis.call('HINCRBY', k, 'wd'..slot, ARGV[9])
        end
        if ARGV[13] ~= '' then redis.call('HSET', k, 'dlid', ARGV[13], 'dlreason', ARGV[14]) end
        if tonumber(ARGV[6]) > tonumber(redis.call('HGET', k, 'source') or '0') then redis.call('HSET', k, 'source', ARGV[6]) end
        if ARGV[4] == '1' then
          redis.call('HSET', k, 'success', ARGV[1], 'error', '')
          return redis.call('HDEL', k, 'stale')
        end
        redis.call('HSET', k, 'error', ARGV[5])
        return 0
        """;

    private readonly string _prefix = redisOptions.Value.KeyPrefix + "cn:feed:";

    private IDatabase Db => redis.GetDatabase();

    /// <summary>A read that completed (<paramref name="error"/> null) or failed, counting no records itself (the intake counts them).</summary>
    public Task RecordAsync(FeedOptions feed, string? error)
        => RecordAsync(feed, new FeedTally(0, 0, 0), null, error, null);

    public async Task RecordAsync(FeedOptions feed, FeedTally tally, DateTimeOffset? newestSourceTime, string? error, DeadLetterNote? newestDeadLetter)
    {
        var now = clock.GetUtcNow();
        var warehouseId = feed.WarehouseId;
        var ended = (long)await Db.ScriptEvaluateAsync(RecordScript, [(RedisKey)(_prefix + warehouseId)],
        [
            now.ToUnixTimeMilliseconds(), Minute(now), feed.DeadLetterWindowMinutes,
            error is null ? 1 : 0, error ?? "", newestSourceTime?.ToUnixTimeMilliseconds() ?? 0,
            tally.Received, tally.Applied, tally.DeadLettered, tally.EstimatedTime, tally.Unchanged, tally.Duplicate,
            newestDeadLetter?.Id ?? "", newestDeadLetter?.Reason ?? "",
        ]);
        if (error is null)
        {
            metrics.LastSuccessTimestamp.WithLabels(warehouseId).Set(now.ToUnixTimeMilliseconds() / 1000.0);
            metrics.FeedStale.WithLabels(warehouseId).Set(0);
        }
        if (ended == 1)
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
        // A field that is not a number (a hand edit) is counted and read as missing: the check goes on.
        var success = malformed.Number("feed-status", feed.WarehouseId + "/success", fields[0]);
        if (success is long s)
        {
            metrics.LastSuccessTimestamp.WithLabels(feed.WarehouseId).Set(s / 1000.0);
        }
        var since = DateTimeOffset.FromUnixTimeMilliseconds(success ?? malformed.Number("feed-status", feed.WarehouseId + "/watched", fields[1]) ?? now.ToUnixTimeMilliseconds());
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
        var fields = (await Db.HashGetAllAsync(_prefix + options.WarehouseId)).ToDictionary(e => (string)e.Name!, e => e.Value, StringComparer.Ordinal);
        long Number(string field) => fields.TryGetValue(field, out var v) && v.TryParse(out long n) ? n : 0;
        string Text(string field) => fields.TryGetValue(field, out var v) ? (string?)v ?? "" : "";
        var feed = new Feed
        {
            WarehouseId = options.WarehouseId,
            Source = options.Source,
            RecordsReceived = Number("received"),
            RecordsApplied = Number("applied"),
            RecordsDeadLettered = Number("dead"),
            RecordsEstimatedTime = Number("estimated"),
            RecordsUnchanged = Number("unchanged"),
            RecordsDuplicate = Number("duplicate"),
            LastError = Text("error"),
            LastDeadLetterReason = Text("dlreason"),
            ExampleDeadLetterId = Text("dlid"),
            DeadLetterWindowSeconds = options.DeadLetterWindowMinutes * 60,
        };
        if (Number("success") is > 0 and var success)
        {
            feed.LastSuccess = Timestamp.FromDateTimeOffset(DateTimeOffset.FromUnixTimeMilliseconds(success));
        }
        if (Number("source") is > 0 and var source)
        {
            feed.LastSourceTime = Timestamp.FromDateTimeOffset(DateTimeOffset.FromUnixTimeMilliseconds(source));
        }
        var now = clock.GetUtcNow();
        feed.Stale = feed.LastSuccess is null || now - feed.LastSuccess.ToDateTimeOffset() > TimeSpan.FromSeconds(options.StaleAfterSeconds);

        // The window: slots stamped with a minute still inside it.
        var minute = Minute(now);
        long windowDead = 0;
        for (var slot = 0; slot < options.DeadLetterWindowMinutes; slot++)
        {
            if (Number($"wm{slot}") is var stamped && stamped > minute - options.DeadLetterWindowMinutes && stamped <= minute && fields.ContainsKey($"wm{slot}"))
            {
                feed.WindowRecords += Number($"wr{slot}");
                windowDead += Number($"wd{slot}");
            }
        }
        feed.DeadLetterRatio = feed.WindowRecords == 0 ? 0 : (double)windowDead / feed.WindowRecords;
        feed.State = feed.WindowRecords >= options.DegradedMinRecords && feed.DeadLetterRatio > options.DegradedDeadLetterRatio ? FeedState.Degraded : FeedState.Healthy;
        return feed;
    }

    private static long Minute(DateTimeOffset at) => at.ToUnixTimeMilliseconds() / 60_000;
}
