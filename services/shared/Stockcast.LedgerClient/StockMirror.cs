using System.Collections.Concurrent;
using System.Collections.Immutable;
using Stockcast.Ledger.V1;
using Stockcast.ServiceDefaults.Resilience;

namespace Stockcast.LedgerClient;

/// <summary>
/// One ledger's stock records in memory, per SKU x warehouse, with the markets each warehouse
/// serves: what a service reads instead of calling the ledger. Only its follower
/// (<see cref="LedgerMirrors.FollowAsync"/>) writes it. A change never replaces a newer or equally
/// new record (a resumed Watch may replay changes already read); a record read from the ledger
/// replaces whatever differs, even at a lower revision: after the ledger's store went back
/// (REVISION_REGRESSED) the read is the truth.
/// </summary>
public sealed class StockMirror
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, StockRecord>> _bySku = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _loadedSkus = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile ImmutableDictionary<string, Warehouse> _warehouses = ImmutableDictionary.Create<string, Warehouse>(StringComparer.Ordinal);
    private volatile bool _everythingLoaded;
    private long _count;

    internal StockMirror(string name, StreamHealth health)
    {
        Name = name;
        Health = health;
    }

    /// <summary>The ledger's name: "local", or a peer region.</summary>
    public string Name { get; }

    /// <summary>Whether the ledger answers: up once read and while its Watch answers, and why not when down.</summary>
    public StreamHealth Health { get; }

    /// <summary>When the ledger last answered (a read, changes or a progress notification); null before the first read.</summary>
    public DateTimeOffset? HeardAt => Health.HeardAt;

    /// <summary>Completes at the first complete read of the ledger (every record, or the SKUs followed then).</summary>
    public Task Loaded => _loaded.Task;

    /// <summary>A SKU was read for the first time: it has no figure where it has no record (0), rather than none yet.</summary>
    public event Action<string>? SkuLoaded;

    public IReadOnlyDictionary<string, Warehouse> Warehouses => _warehouses;

    public IEnumerable<string> Skus => _bySku.Keys;

    /// <summary>Records held (SKU x warehouse).</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>Whether the SKU has been read: without a record it then has no stock, rather than an unknown figure.</summary>
    public bool IsLoaded(string sku) => _everythingLoaded || _loadedSkus.ContainsKey(sku);

    /// <summary>The SKU's records, one per warehouse holding it, in no particular order.</summary>
    public IReadOnlyCollection<StockRecord> Records(string sku)
        => _bySku.TryGetValue(sku, out var records) ? (IReadOnlyCollection<StockRecord>)records.Values : [];

    /// <summary>The SKU's record at one warehouse; null when it holds none.</summary>
    public StockRecord? Record(string sku, string warehouseId)
        => _bySku.TryGetValue(sku, out var records) ? records.GetValueOrDefault(warehouseId) : null;

    /// <summary>The SKU's records in warehouse order.</summary>
    public IReadOnlyList<StockRecord> All(string sku) => [.. Records(sku).OrderBy(r => r.WarehouseId, StringComparer.Ordinal)];

    /// <summary>The SKU's records at the warehouses serving <paramref name="market"/>, in warehouse order.</summary>
    public IReadOnlyList<StockRecord> ForMarket(string sku, string market) => [.. All(sku).Where(r => Serves(r.WarehouseId, market))];

    /// <summary>The markets a warehouse serves (none when unknown).</summary>
    public IReadOnlyList<string> MarketsOf(string warehouseId) => _warehouses.TryGetValue(warehouseId, out var warehouse) ? warehouse.Markets : [];

    public bool Serves(string warehouseId, string market) => MarketsOf(warehouseId).Contains(market);

    /// <summary>The markets the SKU's warehouses serve.</summary>
    public IEnumerable<string> Markets(string sku) => Records(sku).SelectMany(r => MarketsOf(r.WarehouseId)).Distinct(StringComparer.Ordinal);

    /// <summary>The SKU's ATP over every warehouse of this ledger, whatever market it serves.</summary>
    public long TotalAtp(string sku) => Records(sku).Sum(r => r.AvailableToPromise);

    /// <summary>
    /// Takes a record read from the ledger unless the same one is held, or a change unless an equally
    /// new or newer record is held; returns the one it replaced.
    /// </summary>
    internal (bool Taken, StockRecord? Previous) Apply(StockRecord record, bool read)
    {
        var records = _bySku.GetOrAdd(record.Sku, _ => new ConcurrentDictionary<string, StockRecord>(StringComparer.Ordinal));
        var previous = records.GetValueOrDefault(record.WarehouseId);
        if (previous is not null && (read ? previous.Equals(record) : previous.ModRevision >= record.ModRevision))
        {
            return (false, previous);
        }
        records[record.WarehouseId] = record;
        if (previous is null)
        {
            Interlocked.Increment(ref _count);
        }
        return (true, previous);
    }

    internal void SetWarehouses(IEnumerable<Warehouse> warehouses)
        => _warehouses = warehouses.ToImmutableDictionary(w => w.WarehouseId, StringComparer.Ordinal);

    /// <summary>A read completed: of every record (<paramref name="skus"/> null) or of these SKUs.</summary>
    internal void MarkLoaded(IEnumerable<string>? skus)
    {
        if (skus is null)
        {
            _everythingLoaded = true;
        }
        else
        {
            foreach (var sku in skus.Where(sku => _loadedSkus.TryAdd(sku, true)))
            {
                SkuLoaded?.Invoke(sku);
            }
        }
        _loaded.TrySetResult();
    }
}
