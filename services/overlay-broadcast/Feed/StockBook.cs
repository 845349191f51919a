using System.Collections.Concurrent;
using System.Collections.Immutable;
using Stockcast.Ledger.V1;

namespace Stockcast.Overlay.Feed;

/// <summary>
/// The figures of the SKUs the rooms show: ATP and source time per SKU x warehouse, plus which
/// warehouses serve which market, so any room's market total is a sum over its warehouses.
/// </summary>
public sealed class StockBook(SalesPace pace)
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, WarehouseFigure>> _figures = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _loaded = new(StringComparer.Ordinal);
    private volatile ImmutableDictionary<string, ImmutableHashSet<string>> _marketsByWarehouse = ImmutableDictionary<string, ImmutableHashSet<string>>.Empty;

    public readonly record struct WarehouseFigure(string WarehouseId, long AvailableToPromise, DateTimeOffset SourceTime, long ModRevision);

    /// <summary>A SKU's figures changed.</summary>
    public event Action<string>? SkuChanged;

    public void SetWarehouses(IEnumerable<Warehouse> warehouses)
        => _marketsByWarehouse = warehouses.ToImmutableDictionary(w => w.WarehouseId, w => w.Markets.ToImmutableHashSet(StringComparer.Ordinal));

    /// <summary>Applies a record unless a newer one is already held (a resumed Watch may replay).</summary>
    public void Apply(StockRecord record)
    {
        var figures = _figures.GetOrAdd(record.Sku, _ => new ConcurrentDictionary<string, WarehouseFigure>(StringComparer.Ordinal));
        var figure = new WarehouseFigure(record.WarehouseId, record.AvailableToPromise, record.SourceTime?.ToDateTimeOffset() ?? DateTimeOffset.MinValue, record.ModRevision);
        var known = figures.TryGetValue(record.WarehouseId, out var held);
        if (known && held.ModRevision >= figure.ModRevision)
        {
            return;
        }
        figures[record.WarehouseId] = figure;
        pace.Observe(record.Sku, record.WarehouseId, known ? held.AvailableToPromise : null, figure.AvailableToPromise);
        SkuChanged?.Invoke(record.Sku);
    }

    /// <summary>These SKUs were read from the ledger: a SKU without records there has none to show (0), not "no figure yet".</summary>
    public void MarkLoaded(IEnumerable<string> skus)
    {
        foreach (var sku in skus)
        {
            if (_loaded.TryAdd(sku, true))
            {
                SkuChanged?.Invoke(sku);
            }
        }
    }

    public bool IsLoaded(string sku) => _loaded.ContainsKey(sku);

    public IReadOnlyCollection<string> Warehouses => _marketsByWarehouse.Keys.ToList();

    /// <summary>The markets a warehouse serves (none when unknown).</summary>
    public IReadOnlySet<string> MarketsOf(string warehouseId)
        => _marketsByWarehouse.TryGetValue(warehouseId, out var markets) ? markets : ImmutableHashSet<string>.Empty;

    /// <summary>The SKU's figures at every warehouse, in warehouse order.</summary>
    public IReadOnlyList<WarehouseFigure> All(string sku)
        => _figures.TryGetValue(sku, out var figures) ? [.. figures.Values.OrderBy(f => f.WarehouseId, StringComparer.Ordinal)] : [];

    /// <summary>The SKU's figures at the warehouses serving <paramref name="market"/>, in warehouse order.</summary>
    public IReadOnlyList<WarehouseFigure> ForMarket(string sku, string market)
    {
        if (!_figures.TryGetValue(sku, out var figures))
        {
            return [];
        }
        var markets = _marketsByWarehouse;
        return [.. figures.Values
            .Where(f => markets.TryGetValue(f.WarehouseId, out var served) && served.Contains(market))
            .OrderBy(f => f.WarehouseId, StringComparer.Ordinal)];
    }
}
