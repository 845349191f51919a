using System.Collections.Concurrent;
using Stockcast.Overlay.Broadcast;
using Stockcast.Overlay.V1;

namespace Stockcast.Overlay.Board;

/// <summary>
/// Each room's market ATP per featured SKU over the last 30 minutes, for the board's chart: the points
/// where the figure changed as viewers were shown it ("updating…" figures are left out). Read back whole
/// up to 360 points; beyond, one point per <see cref="Bucket"/> (the last of each), so a SKU selling
/// several units a second still draws as a few hundred points.
/// </summary>
public sealed class StockHistory : IRoomObserver
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(30);
    public static readonly TimeSpan Bucket = TimeSpan.FromSeconds(5);
    private const int MaxPoints = 360; // the window in buckets
    private const int MaxChangesPerSku = 10_000; // 30 min at more than five changes a second: the oldest go first

    private readonly ConcurrentDictionary<(string Room, string Sku), Series> _series = new();

    public void Observe(Room room, RoomUpdate update, DateTimeOffset now)
    {
        foreach (var stock in update.Skus)
        {
            if (!stock.Stale && stock.Colour != StockColour.Unspecified)
            {
                _series.GetOrAdd((room.Id, stock.Sku), _ => new Series()).Add(now, stock.AvailableToPromise);
            }
        }
    }

    public void Forget(string roomId)
    {
        foreach (var key in _series.Keys.Where(k => k.Room == roomId))
        {
            _series.TryRemove(key, out _);
        }
    }

    /// <summary>The SKU's points over the window before <paramref name="now"/>, oldest first.</summary>
    public IReadOnlyList<StockPoint> Points(string roomId, string sku, DateTimeOffset now)
        => _series.TryGetValue((roomId, sku), out var series) ? series.Points(now) : [];

    private sealed class Series
    {
        private readonly Lock _gate = new();
        private readonly List<(DateTimeOffset At, long Value)> _changes = [];

        public void Add(DateTimeOffset at, long value)
        {
            lock (_gate)
            {
                if (_changes.Count > 0 && _changes[^1].Value == value)
                {
                    return;
                }
                _changes.Add((at, value));
                // Keep the last change before the window: it is the value at the window's start. The changes are
                // in time order, so only the oldest few are looked at (this runs on the room's loop).
                var start = at - Window;
                var drop = 0;
                while (drop + 1 < _changes.Count && _changes[drop + 1].At <= start)
                {
                    drop++;
                }
                drop = Math.Max(drop, _changes.Count - MaxChangesPerSku);
                if (drop > 0)
                {
                    _changes.RemoveRange(0, drop);
                }
            }
        }

        public IReadOnlyList<StockPoint> Points(DateTimeOffset now)
        {
            lock (_gate)
            {
                var start = now - Window;
                // The last change before the window stands at its start.
                var first = Math.Max(0, _changes.FindLastIndex(c => c.At <= start));
                var shown = _changes.Skip(first).Select(c => (At: c.At < start ? start : c.At, c.Value)).ToList();
                if (shown.Count > MaxPoints)
                {
                    // A busy SKU: the last change of each bucket (fixed in time, so a point does not move between updates).
                    shown = [.. shown.GroupBy(c => c.At.ToUnixTimeMilliseconds() / (long)Bucket.TotalMilliseconds).Select(g => (g.First().At, g.Last().Value))];
                }
                return [.. shown.Select(c => new StockPoint { MsAgo = (long)Math.Max(0, (now - c.At).TotalMilliseconds), AvailableToPromise = c.Value })];
            }
        }
    }
}
