using Microsoft.Extensions.Options;

namespace Stockcast.Connector.Feeds;

/// <summary>
/// Checks every feed, polled or pushed, for staleness every few seconds (at least four times per
/// smallest bound), so a feed that stops — a dead webhook, a warehouse API down for hours — is
/// reported even though nothing arrives to say so.
/// </summary>
public sealed class StalenessMonitor(IOptions<ConnectorOptions> options, FeedStatusStore status, TimeProvider clock, ILogger<StalenessMonitor> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var feeds = options.Value.Feeds;
        if (feeds.Count == 0)
        {
            return;
        }
        var every = TimeSpan.FromSeconds(Math.Clamp(feeds.Min(f => f.StaleAfterSeconds) / 4.0, 1, 15));
        while (!stoppingToken.IsCancellationRequested)
        {
            foreach (var feed in feeds)
            {
                try
                {
                    await status.CheckStaleAsync(feed);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // Redis away: the next round tries again; readiness already reports it.
                    log.LogWarning("Checking {Warehouse} for staleness failed: {Error}", feed.WarehouseId, ex.Message);
                }
            }
            try
            {
                await Task.Delay(every, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
