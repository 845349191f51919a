using Stockcast.Ledger.Store;
using Stockcast.Ledger.V1;

namespace Stockcast.Ledger.Watch;

/// <summary>
/// Which changes one watcher wants. A market filter is resolved to its warehouses when the
/// Watch starts; a client that re-registers warehouses re-watches to pick the change up.
/// </summary>
public sealed class WatchFilter
{
    private readonly HashSet<string>? _skus;
    private readonly HashSet<string>? _warehouses;

    private WatchFilter(HashSet<string>? skus, HashSet<string>? warehouses)
    {
        _skus = skus;
        _warehouses = warehouses;
    }

    public static async Task<WatchFilter> CreateAsync(WatchRequest request, StockStore store)
    {
        var skus = request.Skus.Count > 0 ? request.Skus.ToHashSet(StringComparer.Ordinal) : null;
        var warehouses = request.WarehouseIds.Count > 0 ? request.WarehouseIds.ToHashSet(StringComparer.Ordinal) : null;
        if (request.Market.Length > 0)
        {
            var serving = (await store.ListWarehousesAsync()).Where(w => w.Markets.Contains(request.Market)).Select(w => w.WarehouseId);
            warehouses = warehouses is null ? serving.ToHashSet(StringComparer.Ordinal) : warehouses.Intersect(serving).ToHashSet(StringComparer.Ordinal);
        }
        return new WatchFilter(skus, warehouses);
    }

    public bool Matches(StockRecord record)
        => (_skus is null || _skus.Contains(record.Sku)) && (_warehouses is null || _warehouses.Contains(record.WarehouseId));
}
