using System.Collections.Concurrent;
using Stockcast.Ledger.V1;

namespace Stockcast.Alerting.Stock;

/// <summary>A SKU's stock for one market: the ATP viewers there can buy, and where it is.</summary>
public sealed record MarketStock(
    string Market,
    long AvailableToPromise,
    long Inbound,
    IReadOnlyList<(string WarehouseId, long Atp)> ByWarehouse,
    DateTimeOffset? OldestSourceTime);

/// <summary>
/// One ledger's records in memory, kept current by a <see cref="LedgerFollower"/>: every rule reads
/// from here, so evaluating costs no round trip. Also notes since when a record has had committed
/// units the warehouse has not reflected (reservations not settled). The local ledger has one; each
/// peer region has its own (<see cref="PeerStock"/>), never merged into the local one.
/// </summary>
public sealed class StockView
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, StockRecord>> _bySku = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Sku, string Warehouse), DateTimeOffset> _committedSince = new();
    private volatile IReadOnlyDictionary<string, Warehouse> _warehouses = new Dictionary<string, Warehouse>();

    public IReadOnlyDictionary<string, Warehouse> Warehouses => _warehouses;

    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _heardAtTicks = long.MinValue;

    /// <summary>Completes once the whole ledger has been listed: nothing is judged on a half-loaded view.</summary>
    public Task Loaded => _loaded.Task;

    public void SetWarehouses(IEnumerable<Warehouse> warehouses)
        => _warehouses = warehouses.ToDictionary(w => w.WarehouseId, StringComparer.Ordinal);

    /// <summary>When the ledger last answered (a listing, a change or a progress notification); null before the first listing.</summary>
    public DateTimeOffset? HeardAt
    {
        get
        {
            var ticks = Interlocked.Read(ref _heardAtTicks);
            return ticks == long.MinValue ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    public void MarkLoaded(DateTimeOffset now)
    {
        Heard(now);
        _loaded.TrySetResult();
    }

    public void Heard(DateTimeOffset now) => Interlocked.Exchange(ref _heardAtTicks, now.UtcTicks);

    public IEnumerable<string> Skus => _bySku.Keys;

    /// <summary>Takes a record unless an equally new or newer one is held; returns the one it replaced.</summary>
    public (bool Taken, StockRecord? Previous) Apply(StockRecord record, DateTimeOffset now)
    {
        var records = _bySku.GetOrAdd(record.Sku, _ => new ConcurrentDictionary<string, StockRecord>(StringComparer.Ordinal));
        var previous = records.GetValueOrDefault(record.WarehouseId);
        if (previous is not null && previous.ModRevision >= record.ModRevision)
        {
            return (false, previous);
        }
        records[record.WarehouseId] = record;
        var key = (record.Sku, record.WarehouseId);
        if (record.Committed == 0)
        {
            _committedSince.TryRemove(key, out _);
        }
        else if (previous is null || previous.Committed == 0 || record.Committed < previous.Committed)
        {
            // New commitments, or some settled: the clock for the rest starts now.
            _committedSince[key] = now;
        }
        return (true, previous);
    }

    public IReadOnlyCollection<StockRecord> Records(string sku)
        => _bySku.TryGetValue(sku, out var records) ? (IReadOnlyCollection<StockRecord>)records.Values : [];

    /// <summary>The markets the SKU's warehouses serve.</summary>
    public IEnumerable<string> Markets(string sku)
        => Records(sku).SelectMany(r => _warehouses.TryGetValue(r.WarehouseId, out var w) ? w.Markets : []).Distinct(StringComparer.Ordinal);

    public MarketStock ForMarket(string sku, string market)
    {
        var serving = Records(sku).Where(r => Serves(r.WarehouseId, market)).ToList();
        return new MarketStock(
            market,
            serving.Sum(r => r.AvailableToPromise),
            serving.Sum(r => r.Quantities.Inbound),
            [.. serving.OrderByDescending(r => r.AvailableToPromise).ThenBy(r => r.WarehouseId, StringComparer.Ordinal).Select(r => (r.WarehouseId, r.AvailableToPromise))],
            serving.Count == 0 ? null : serving.Min(r => r.SourceTime?.ToDateTimeOffset()));
    }

    /// <summary>The SKU's ATP over every warehouse of this ledger, whatever market it serves.</summary>
    public long TotalAtp(string sku) => Records(sku).Sum(r => r.AvailableToPromise);

    /// <summary>Warehouses holding the SKU that do not serve <paramref name="market"/>, with their ATP: where a transfer could come from.</summary>
    public IReadOnlyList<(string WarehouseId, long Atp)> Elsewhere(string sku, string market)
        => [.. Records(sku).Where(r => _warehouses.ContainsKey(r.WarehouseId) && !Serves(r.WarehouseId, market) && r.AvailableToPromise > 0)
            .OrderByDescending(r => r.AvailableToPromise).ThenBy(r => r.WarehouseId, StringComparer.Ordinal)
            .Select(r => (r.WarehouseId, r.AvailableToPromise))];

    /// <summary>Records whose committed units have waited longer than <paramref name="bound"/>.</summary>
    public IEnumerable<(StockRecord Record, DateTimeOffset Since)> Unsettled(DateTimeOffset now, TimeSpan bound)
    {
        foreach (var ((sku, warehouse), since) in _committedSince)
        {
            if (now - since > bound && _bySku.TryGetValue(sku, out var records) && records.TryGetValue(warehouse, out var record))
            {
                yield return (record, since);
            }
        }
    }

    public IEnumerable<(string Sku, string WarehouseId)> WithCommitments => _committedSince.Keys;

    private bool Serves(string warehouseId, string market)
        => _warehouses.TryGetValue(warehouseId, out var w) && w.Markets.Contains(market);
}
