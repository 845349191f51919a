namespace Stockcast.Alerting.Catalog;

/// <summary>Loads the catalogue at start, subscribes to changes, and reloads every few seconds in case an announcement was missed.</summary>
public sealed class CatalogSync(CatalogStore catalog, ILogger<CatalogSync> log) : BackgroundService
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await catalog.StartAsync();
                break;
            }
            catch (Exception ex)
            {
                log.LogWarning("Loading rules, products and streams failed: {Error}", ex.Message);
                await Task.Delay(Every, stoppingToken);
            }
        }
        using var timer = new PeriodicTimer(Every);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await catalog.ReloadSafelyAsync();
        }
    }
}
