using System.Collections.Concurrent;
using System.Collections.Immutable;
using Stockcast.Overlay.Board;
using Stockcast.Overlay.Feed;
using Stockcast.Overlay.Rooms;

namespace Stockcast.Overlay.Broadcast;

/// <summary>
/// Every room's channel on this replica. Routes a SKU change to the rooms featuring it, a feed
/// outage to all, and re-checks every room each second (figures age without any change), which is
/// also when a room that went live gets its start stock recorded.
/// </summary>
public sealed class RoomHub(OverlayMetrics metrics, RoomCatalog catalog, LedgerFeed feed, FeedHealth health, RoomComposer composer, StartStock start, IEnumerable<IRoomObserver> observers, TimeProvider clock, ILogger<RoomHub> log) : BackgroundService
{
    private static readonly TimeSpan AgeCheck = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<string, (RoomChannel Channel, CancellationTokenSource Stop)> _channels = new(StringComparer.Ordinal);
    private volatile ImmutableDictionary<string, ImmutableArray<string>> _roomsBySku = ImmutableDictionary<string, ImmutableArray<string>>.Empty;
    private CancellationToken _stopping;

    public RoomChannel? Find(string roomId) => _channels.TryGetValue(roomId, out var entry) ? entry.Channel : null;

    /// <summary>The room's channel, reading the rooms again first when this replica has none (created through another replica a moment ago).</summary>
    public async Task<RoomChannel?> FindAsync(string roomId)
    {
        if (Find(roomId) is null)
        {
            await catalog.RefreshAsync();
        }
        return Find(roomId);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        catalog.Changed += Reconcile;
        feed.SkuChanged += OnSkuChanged;
        health.Changed += MarkAll;
        try
        {
            Reconcile();
            using var timer = new PeriodicTimer(AgeCheck, clock);
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                MarkAll();
                await RecordStartStockAsync();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        finally
        {
            catalog.Changed -= Reconcile;
            feed.SkuChanged -= OnSkuChanged;
            health.Changed -= MarkAll;
            foreach (var (_, stop) in _channels.Values)
            {
                stop.Cancel();
            }
        }
    }

    private async Task RecordStartStockAsync()
    {
        var rooms = catalog.Current.Rooms;
        foreach (var (channel, _) in _channels.Values)
        {
            if (rooms.TryGetValue(channel.RoomId, out var room))
            {
                try
                {
                    await start.ObserveAsync(room, channel.Latest, clock.GetUtcNow());
                }
                catch (Exception ex)
                {
                    if (_stopping.IsCancellationRequested)
                    {
                        return; // shutting down with Redis gone: nothing to record, and no failure to report
                    }
                    // Redis away, stalled (a timeout) or answering an error, or a stored figure that is
                    // not a number: this room tries again next second, and the hub's tick never stops.
                    log.LogWarning("Recording the start stock of room {Room} failed: {Error}", room.Id, ex.Message);
                }
            }
        }
    }

    private void OnSkuChanged(string sku)
    {
        if (_roomsBySku.TryGetValue(sku, out var rooms))
        {
            foreach (var roomId in rooms)
            {
                Find(roomId)?.MarkDirty();
            }
        }
    }

    private void MarkAll()
    {
        foreach (var (channel, _) in _channels.Values)
        {
            channel.MarkDirty();
        }
    }

    /// <summary>A channel per room in the catalog; rooms gone lose theirs (and their viewers' streams end).</summary>
    private void Reconcile()
    {
        var rooms = catalog.Current.Rooms;
        _roomsBySku = rooms.Values
            .SelectMany(r => r.Featured.Select(f => (f.Sku, r.Id)))
            .GroupBy(p => p.Sku, StringComparer.Ordinal)
            .ToImmutableDictionary(g => g.Key, g => g.Select(p => p.Id).ToImmutableArray(), StringComparer.Ordinal);
        foreach (var roomId in rooms.Keys.Where(id => !_channels.ContainsKey(id)))
        {
            var stop = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
            var channel = new RoomChannel(metrics, roomId, catalog, composer, observers, clock, stop.Token);
            if (_channels.TryAdd(roomId, (channel, stop)))
            {
                _ = RunAsync(channel);
            }
            else
            {
                stop.Dispose();
            }
        }
        foreach (var roomId in _channels.Keys.Where(id => !rooms.ContainsKey(id)))
        {
            if (_channels.TryRemove(roomId, out var gone))
            {
                gone.Stop.Cancel();
                foreach (var observer in observers)
                {
                    observer.Forget(roomId);
                }
            }
        }
        MarkAll();
    }

    private async Task RunAsync(RoomChannel channel)
    {
        try
        {
            await channel.RunAsync();
        }
        catch (OperationCanceledException) when (channel.Closed.IsCancellationRequested)
        {
            // The room was deleted or the service is stopping.
        }
        catch (Exception ex)
        {
            log.LogError(ex, "Room {Room} stopped sending updates", channel.RoomId);
        }
    }
}
