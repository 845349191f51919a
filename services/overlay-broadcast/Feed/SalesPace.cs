using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Stockcast.Overlay.Feed;

/// <summary>
/// How fast each SKU's stock is leaving, per warehouse: every drop in a warehouse's ATP (a sale, a
/// reservation, a write-off) over a trailing window. Rises (restock, a cancelled order) are not
/// subtracted: the board's question is how fast it goes, and its ETA stays on the safe side.
/// In memory per replica: a replica that just started knows the pace since then.
/// </summary>
public sealed class SalesPace(IOptions<OverlayOptions> options, TimeProvider clock)
{
    private static readonly TimeSpan ShortestSpan = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<string, Drops> _drops = new(StringComparer.Ordinal);

    public TimeSpan Window { get; } = TimeSpan.FromMinutes(options.Value.VelocityWindowMinutes);

    private sealed class Drops(DateTimeOffset since)
    {
        public readonly DateTimeOffset Since = since;
        public readonly Queue<(DateTimeOffset At, string WarehouseId, long Units)> Entries = new();
    }

    /// <summary>A warehouse's ATP for the SKU went from <paramref name="before"/> (null: first seen) to <paramref name="after"/>.</summary>
    public void Observe(string sku, string warehouseId, long? before, long after)
    {
        var now = clock.GetUtcNow();
        var drops = _drops.GetOrAdd(sku, _ => new Drops(now));
        if (before is { } was && after < was)
        {
            lock (drops)
            {
                drops.Entries.Enqueue((now, warehouseId, was - after));
                Trim(drops, now);
            }
        }
    }

    /// <summary>
    /// Units per hour leaving the warehouses <paramref name="counted"/> accepts, over the window (or
    /// since the SKU was first seen, when shorter, but at least a minute, so one sale is not a torrent).
    /// </summary>
    public double PerHour(string sku, Func<string, bool> counted)
    {
        if (!_drops.TryGetValue(sku, out var drops))
        {
            return 0;
        }
        var now = clock.GetUtcNow();
        long units;
        lock (drops)
        {
            Trim(drops, now);
            units = drops.Entries.Where(e => counted(e.WarehouseId)).Sum(e => e.Units);
        }
        var span = TimeSpan.FromTicks(Math.Clamp((now - drops.Since).Ticks, ShortestSpan.Ticks, Window.Ticks));
        return units / span.TotalHours;
    }

    private void Trim(Drops drops, DateTimeOffset now)
    {
        while (drops.Entries.Count > 0 && now - drops.Entries.Peek().At > Window)
        {
            drops.Entries.Dequeue();
        }
    }
}
