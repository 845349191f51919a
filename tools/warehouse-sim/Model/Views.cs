namespace Stockcast.WarehouseSim.Model;

/// <summary>The identifiers each API knows a SKU by, derived once per scenario so they are stable.</summary>
public sealed record SkuIds(string Sku, long InventoryId, long InventoryItemId, string Asin, string FnSku);

public sealed record LocationLevel(LocationSpec Location, int OnHand, int Committed, int Inbound)
{
    public int Fulfillable => Math.Max(0, OnHand - Committed);
}

public sealed record SkuLevels(SkuIds Ids, IReadOnlyList<LocationLevel> Locations, DateTimeOffset UpdatedAt)
{
    public string Sku => Ids.Sku;
    public int OnHand => Locations.Sum(l => l.OnHand);
    public int Committed => Locations.Sum(l => l.Committed);
    public int Inbound => Locations.Sum(l => l.Inbound);
    public int Fulfillable => Locations.Sum(l => l.Fulfillable);
}

public enum FeedStatus { Live, Frozen, Down }

/// <summary>One change of on-hand stock at one location, as pushed webhooks report it.</summary>
public sealed record StockChange(
    WarehouseSpec Warehouse,
    SkuLevels After,
    LocationLevel LocationAfter,
    int LocationOnHandBefore,
    int WarehouseOnHandBefore,
    DateTimeOffset At,
    string Reason)
{
    public int Delta => LocationAfter.OnHand - LocationOnHandBefore;
}

/// <summary>The true stock and what happened to it, so tests can count every unit end to end.</summary>
public sealed record SkuTruth(string Sku, int OnHand, int Committed, int Inbound, int Available, int Sold, int RemovedByStockOut, int Adjusted,
    IReadOnlyList<LocationLevel> Locations, DateTimeOffset UpdatedAt);

public sealed record WarehouseTruth(string Id, ApiKind Kind, FeedStatus Feed, IReadOnlyList<SkuTruth> Skus);

public sealed record SimState(DateTimeOffset Now, int ElapsedSeconds, IReadOnlyList<WarehouseTruth> Warehouses);
