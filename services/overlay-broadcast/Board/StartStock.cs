using System.Collections.Concurrent;
using Stockcast.Overlay.Rooms;
using Stockcast.Overlay.V1;

namespace Stockcast.Overlay.Board;

/// <summary>
/// Each live room's stock at the moment it went live, per SKU (the board's progress bars and "sold
/// since start"). Kept in Redis so every replica and a restarted one agree; read once per replica.
/// </summary>
public sealed class StartStock
{
    private readonly ConcurrentDictionary<(string Room, string Sku), long> _known = new();
    private readonly RoomStore _store;
    private readonly RoomCatalog _catalog;

    public StartStock(RoomStore store, RoomCatalog catalog)
    {
        _store = store;
        _catalog = catalog;
        // A room deleted (and perhaps created again under its id) starts afresh.
        catalog.Changed += ForgetDeleted;
    }

    /// <summary>The SKU's figure when the room went live; null before that (or before its first live figure).</summary>
    public long? Known(string roomId, string sku) => _known.TryGetValue((roomId, sku), out var start) ? start : null;

    /// <summary>
    /// While the room is live, records each SKU's first live figure (what viewers are shown) as its
    /// start, or learns the one another replica recorded. Called every second per room.
    /// </summary>
    public async Task ObserveAsync(Room room, RoomUpdate? shown, DateTimeOffset now)
    {
        var live = (room.StartsAt is null || room.StartsAt.ToDateTimeOffset() <= now) && RoomCatalog.IsActive(room, now);
        if (!live || shown is null)
        {
            return;
        }
        foreach (var stock in shown.Skus.Where(s => !s.Stale && s.Colour != StockColour.Unspecified && !_known.ContainsKey((room.Id, s.Sku))))
        {
            _known[(room.Id, stock.Sku)] = await _store.RecordStartStockAsync(room.Id, stock.Sku, stock.AvailableToPromise);
        }
    }

    private void ForgetDeleted()
    {
        var rooms = _catalog.Current.Rooms;
        foreach (var key in _known.Keys.Where(k => !rooms.ContainsKey(k.Room)))
        {
            _known.TryRemove(key, out _);
        }
    }
}
