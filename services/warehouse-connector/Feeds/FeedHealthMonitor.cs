using Microsoft.Extensions.Options;
using Stockcast.ServiceDefaults.Resilience;

namespace Stockcast.Connector.Feeds;

/// <summary>
/// Checks every feed, polled or pushed, for staleness every few seconds (at least four times per
/// smallest bound), so a feed that stops — a dead webhook, a warehouse API down for hours — is
/// reported even though nothing arrives to say so. A round that fails (Redis away) is retried with
/// backoff; readiness already reports Redis.
/// </summary>
public sealed class StalenessMonitor(IOptions<ConnectorOptions> options, FeedStatusStore status, Streams streams) : BackgroundService
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
            }
        }, stoppingToken);
    }
}
