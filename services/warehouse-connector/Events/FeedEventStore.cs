using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;
using Stockcast.Connector.V1;
using Stockcast.ServiceDefaults.Redis;
using StackExchange.Redis;

namespace Stockcast.Connector.Events;

/// <summary>
/// Feed events (stale feeds, anomalies, drift) in one Redis stream, newest kept up to
/// Connector:EventRetention: every replica appends there and any replica serves WatchFeedEvents, so
/// a watcher resumes anywhere with the id it last saw. A pub/sub message wakes watchers at once.
/// </summary>
public sealed class FeedEventStore(IConnectionMultiplexer redis, IOptions<RedisOptions> redisOptions, IOptions<ConnectorOptions> options, TimeProvider clock, ILogger<FeedEventStore> log)
{
    private const string Field = "e";
    private readonly RedisKey _stream = redisOptions.Value.KeyPrefix + "cn:events";
    private readonly RedisChannel _appended = RedisChannel.Literal(redisOptions.Value.KeyPrefix + "cn:events");
    private readonly Lock _gate = new();
    private TaskCompletionSource _next = NewSignal();
    private Task? _subscribed;

    private IDatabase Db => redis.GetDatabase();

    /// <summary>Stamps, stores, counts and logs an event; returns it with its id.</summary>
    public async Task<FeedEvent> AppendAsync(FeedEvent e)
    {
        e.At ??= Timestamp.FromDateTimeOffset(clock.GetUtcNow());
        e.Id = "";
        var id = await Db.StreamAddAsync(_stream, Field, e.ToByteArray(), maxLength: options.Value.EventRetention, useApproximateMaxLength: true);
        e.Id = id.ToString();
        await Db.PublishAsync(_appended, e.Id);
        ConnectorMetrics.FeedEvents.WithLabels(e.WarehouseId, e.Kind.ToString()).Inc();
        log.LogWarning("Feed event {Kind} for {Warehouse} {Sku}: {Detail}", e.Kind, e.WarehouseId, e.Sku, e.Detail);
        return e;
    }

    /// <summary>The id a watcher starting "from now" resumes after.</summary>
    public async Task<string> LastIdAsync()
    {
        var last = await Db.StreamRangeAsync(_stream, "-", "+", count: 1, messageOrder: Order.Descending);
        return last.Length == 0 ? "0-0" : last[0].Id.ToString();
    }

    /// <summary>The oldest id still kept, or null when none is.</summary>
    public async Task<string?> OldestIdAsync()
    {
        var first = await Db.StreamRangeAsync(_stream, "-", "+", count: 1);
        return first.Length == 0 ? null : first[0].Id.ToString();
    }

    /// <summary>Events after <paramref name="afterId"/> (exclusive), oldest first.</summary>
    public async Task<IReadOnlyList<FeedEvent>> ReadAfterAsync(string afterId, int count)
    {
        var entries = await Db.StreamRangeAsync(_stream, "(" + afterId, "+", count);
        var events = new List<FeedEvent>(entries.Length);
        foreach (var entry in entries)
        {
            var e = FeedEvent.Parser.ParseFrom((byte[])entry[Field]!);
            e.Id = entry.Id.ToString();
            events.Add(e);
        }
        return events;
    }

    /// <summary>Completes when the next event is appended (by any replica).</summary>
    public async Task<Task> NextAppendAsync()
    {
        lock (_gate)
        {
            _subscribed ??= redis.GetSubscriber().SubscribeAsync(_appended, (_, _) => Interlocked.Exchange(ref _next, NewSignal()).TrySetResult());
        }
        await _subscribed;
        return Volatile.Read(ref _next).Task;
    }

    /// <summary>A stream id as Redis writes it: milliseconds-sequence.</summary>
    public static bool IsId(string id)
    {
        var dash = id.IndexOf('-', StringComparison.Ordinal);
        return dash > 0 && ulong.TryParse(id.AsSpan(0, dash), out _) && ulong.TryParse(id.AsSpan(dash + 1), out _);
    }

    /// <summary>Orders two stream ids.</summary>
    public static int Compare(string a, string b)
    {
        static (ulong, ulong) Parts(string id)
        {
            var dash = id.IndexOf('-', StringComparison.Ordinal);
            return (ulong.Parse(id.AsSpan(0, dash)), ulong.Parse(id.AsSpan(dash + 1)));
        }
        return Parts(a).CompareTo(Parts(b));
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
