namespace Stockcast.Connector.Feeds.FileDrop;

/// <summary>
/// Which of our warehouses a row of a drop is for. Without a warehouse column, the drop feed's own.
/// With one, the row's code through the feed's WarehouseCodes (any case), or a code that already is
/// the id of one of the connector's warehouses; any other code is the row's problem, and the row is
/// dead-lettered with the drop feed. Routed rows keep the drop feed's settings (SKU map, units):
/// they describe the export, whichever warehouse a row is for.
/// </summary>
public sealed class WarehouseRouting
{
    private readonly Dictionary<string, FeedOptions> _byCode = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, FeedOptions> _byId = new(StringComparer.Ordinal);

    public WarehouseRouting(FeedOptions drop, IEnumerable<FeedOptions> feeds)
    {
        Drop = drop;
        foreach (var feed in feeds)
        {
            _byId[feed.WarehouseId] = feed.WarehouseId == drop.WarehouseId ? drop : drop.RoutedTo(feed.WarehouseId);
        }
        foreach (var (code, warehouseId) in drop.WarehouseCodes)
        {
            _byCode[code.Trim()] = _byId[warehouseId];
        }
    }

    /// <summary>The drop feed itself: rows without a warehouse column, and rows whose code is unknown.</summary>
    public FeedOptions Drop { get; }

    public (FeedOptions Feed, string? Problem) Route(string code)
    {
        var trimmed = code.Trim();
        if (trimmed.Length == 0)
        {
            return (Drop, "warehouse: empty cell (say which warehouse the row is for)");
        }
        if (_byCode.TryGetValue(trimmed, out var mapped) || _byId.TryGetValue(trimmed, out mapped))
        {
            return (mapped, null);
        }
        return (Drop, $"warehouse: code '{trimmed}' is not in the feed's WarehouseCodes, nor a warehouse of ours");
    }
}
