using Stockcast.ServiceDefaults.Resilience;

namespace Stockcast.Alerting.Catalog;

/// <summary>Loads the catalogue at start, subscribes to changes, and reloads every few seconds in case an announcement was missed.</summary>
public sealed class CatalogSync(CatalogStore catalog, Streams streams) : BackgroundService
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(5);

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = false;
        return streams.Loop("catalog").EveryAsync(Every, async _ =>
        {
            if (started)
            {
                await catalog.ReloadAsync();
                return;
            }
            await catalog.StartAsync();
            started = true;
        }, stoppingToken);
    }
}
