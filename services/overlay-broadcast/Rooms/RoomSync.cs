using Microsoft.Extensions.Options;
using Stockcast.ServiceDefaults.Resilience;

namespace Stockcast.Overlay.Rooms;

/// <summary>Re-reads rooms from Redis on a short period: changes made through another replica arrive here too.</summary>
public sealed class RoomSync(RoomCatalog catalog, IOptions<OverlayOptions> options, Streams streams) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
        => streams.Loop("rooms").EveryAsync(TimeSpan.FromMilliseconds(options.Value.RoomRefreshMilliseconds), _ => catalog.RefreshAsync(), stoppingToken);
}
