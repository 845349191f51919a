using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;
using Stockcast.Connector.V1;
using Stockcast.ServiceDefaults.Redis;
using StackExchange.Redis;

namespace Stockcast.Connector.Events;

/// <summary>
/// Feed events (stale feeds, anomalies, drift) in one Redis stream, the newest
/// Connector:EventRetention kept: every replica appends there and any replica serves
/// WatchFeedEvents, so a watcher resumes anywhere with the id it last saw.
/// </summary>
public sealed class FeedEventStore(ConnectorMetrics metrics, IConnectionMultiplexer redis, MalformedEntries malformed, IOptions<RedisOptions> redisOptions, IOptions<ConnectorOptions> options, TimeProvider clock, ILogger<FeedEventStore> log)
{
    public MessageStream<FeedEvent> Stream { get; } = new(redis, malformed, "feed-events", redisOptions.Value.KeyPrefix + "cn:events", options.Value.EventRetention, FeedEvent.Parser);

    /// <summary>Stamps, stores, counts and logs an event; returns it with its id.</summary>
    public async Task<FeedEvent> AppendAsync(FeedEvent e)
    {
        e.At ??= Timestamp.FromDateTimeOffset(clock.GetUtcNow());
        e.Id = "";
        e.Id = await Stream.AppendAsync(e);
        metrics.FeedEvents.WithLabels(e.WarehouseId, e.Kind.ToString()).Inc();
        log.LogWarning("Feed event {Kind} for {Warehouse} {Sku}: {Detail}", e.Kind, e.WarehouseId, e.Sku, e.Detail);
        return e;
    }
}
