using Microsoft.Extensions.Options;

namespace Stockcast.Overlay.Rooms;

/// <summary>Re-reads rooms from Redis on a short period: changes made through another replica arrive here too.</summary>
public sealed class RoomSync(RoomCatalog catalog, IOptions<OverlayOptions> options, TimeProvider clock, ILogger<RoomSync> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = TimeSpan.FromMilliseconds(options.Value.RoomRefreshMilliseconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await catalog.RefreshAsync();
            }
            catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
            {
                log.LogWarning("Reading the rooms from Redis failed: {Error}", ex.Message);
            }
            try
            {
                await Task.Delay(period, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
