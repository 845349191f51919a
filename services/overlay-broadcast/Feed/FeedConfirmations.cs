using System.Collections.Immutable;
using Grpc.Net.ClientFactory;
using Microsoft.Extensions.Options;
using Stockcast.Connector.V1;
using Stockcast.ServiceDefaults.Resilience;

namespace Stockcast.Overlay.Feed;

/// <summary>
/// When each warehouse's figures were last confirmed: a ledger record keeps the warehouse's time of
/// its last change, so a SKU that simply did not sell would look older and older. The connector's
/// feed status says when the warehouse's feed last synced (a read that completed, or a push
/// accepted), which confirms every figure it did not change. Without a connector address, ages
/// are the records' own. Read every second on the stream loop ("feed-status"); while the connector
/// is away, the last known sync times stay, so figures age past the room's bound and show "updating…".
/// The same read says which feeds the connector reports DEGRADED (many records dead-lettered), for the board.
/// </summary>
public sealed class FeedConfirmations(IOptions<OverlayOptions> options, GrpcClientFactory clients, Streams streams) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private volatile ImmutableDictionary<string, DateTimeOffset> _confirmed = ImmutableDictionary<string, DateTimeOffset>.Empty;
    private volatile ImmutableDictionary<string, Connector.V1.Feed> _degraded = ImmutableDictionary<string, Connector.V1.Feed>.Empty;

    /// <summary>The later of the figure's own source time and its warehouse feed's last sync.</summary>
    public DateTimeOffset AsOf(string warehouseId, DateTimeOffset sourceTime)
        => _confirmed.TryGetValue(warehouseId, out var synced) && synced > sourceTime ? synced : sourceTime;

    /// <summary>The warehouse's feed status while the connector reports it DEGRADED; otherwise null.</summary>
    public Connector.V1.Feed? Degraded(string warehouseId) => _degraded.GetValueOrDefault(warehouseId);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.ConnectorAddress is null)
        {
            return;
        }
        var connector = clients.CreateClient<WarehouseConnector.WarehouseConnectorClient>(OverlayExtensions.ConnectorClient);
        await streams.Loop("feed-status").EveryAsync(Interval, async cancellationToken =>
        {
            var feeds = await connector.ListFeedsAsync(new ListFeedsRequest(), deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: cancellationToken);
            _confirmed = feeds.Feeds.Where(f => f.LastSuccess is not null)
                .ToImmutableDictionary(f => f.WarehouseId, f => f.LastSuccess.ToDateTimeOffset(), StringComparer.Ordinal);
            _degraded = feeds.Feeds.Where(f => f.State == FeedState.Degraded).ToImmutableDictionary(f => f.WarehouseId, StringComparer.Ordinal);
        }, stoppingToken);
    }
}
