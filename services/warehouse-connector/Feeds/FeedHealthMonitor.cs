using Microsoft.Extensions.Options;
using Stockcast.Connector.V1;
using Stockcast.ServiceDefaults.Resilience;

namespace Stockcast.Connector.Feeds;

/// <summary>
/// Checks every feed, polled or pushed, every few seconds (at least four times per smallest stale
/// bound): for staleness, so a feed that stops — a dead webhook, a warehouse API down for hours — is
/// reported even though nothing arrives to say so; and for its dead-letter ratio, exported as
/// metrics (the DEGRADED alert reads them). Every replica exports the same figures, read from Redis.
/// A round that fails (Redis away) is retried with backoff; readiness already reports Redis.
/// </summary>
public sealed class FeedHealthMonitor(IOptions<ConnectorOptions> options, FeedStatusStore status, ConnectorMetrics metrics, Streams streams) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var feeds = options.Value.Feeds;
        if (feeds.Count == 0)
        {
            return Task.CompletedTask;
        }
        var every = TimeSpan.FromSeconds(Math.Clamp(feeds.Min(f => f.StaleAfterSeconds) / 4.0, 1, 15));
        return streams.Loop("feed-staleness").EveryAsync(every, async _ =>
        {
            foreach (var feed in feeds)
            {
                await status.CheckStaleAsync(feed);
                var health = await status.GetAsync(feed);
                metrics.DeadLetterRatio.WithLabels(feed.WarehouseId).Set(health.DeadLetterRatio);
                metrics.FeedDegraded.WithLabels(feed.WarehouseId).Set(health.State == FeedState.Degraded ? 1 : 0);
            }
        }, stoppingToken);
    }
}
