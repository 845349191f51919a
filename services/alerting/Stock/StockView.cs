using System.Collections.Concurrent;
using Stockcast.Ledger.V1;
using Stockcast.LedgerClient;

namespace Stockcast.Alerting.Stock;

/// <summary>A SKU's stock for one market: the ATP viewers there can buy, and where it is.</summary>
public sealed record MarketStock(
    string Market,
    long AvailableToPromise,
    long Inbound,
    IReadOnlyList<(string WarehouseId, long Atp)> ByWarehouse,
    DateTimeOffset? OldestSourceTime);

/// <summary>
/// This region's stock as the rules read it: the local ledger's mirror (kept current by
/// <see cref="LocalLedger"/>), so evaluating costs no round trip, plus since when a record has had
/// committed units the warehouse has not reflected (reservations not settled). Peer regions' stock
/// is kept apart (<see cref="PeerStock"/>), never merged into this.
/// </summary>
public sealed class StockView(LedgerMirrors ledgers)
{
    private readonly StockMirror _ledger = ledgers.Mirror(LedgerMirrors.Local);
    private readonly ConcurrentDictionary<(string Sku, string Warehouse), DateTimeOffset> _committedSince = new();

    /// <summary>Completes once the whole ledger has been listed: nothing is judged on a half-loaded view.</summary>
    public Task Loaded => _ledger.Loaded;

    /// <summary>A record taken from the ledger: the clock of its committed units starts, starts over or stops.</summary>
    public void Took(TakenRecord change, DateTimeOffset now)
    {
        var (record, previous) = (change.Record, change.Previous);
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
    }

    /// <summary>The markets the SKU's warehouses serve.</summary>
    public IEnumerable<string> Markets(string sku) => _ledger.Markets(sku);

    /// <summary>The SKU's ATP over every warehouse of this region, whatever market it serves.</summary>
    public long TotalAtp(string sku) => _ledger.TotalAtp(sku);

    public MarketStock ForMarket(string sku, string market)
    {
        var serving = _ledger.ForMarket(sku, market);
        return new MarketStock(
            market,
            serving.Sum(r => r.AvailableToPromise),
            // A figure below zero is owed by a report on its way (docs/ledger-data-model.md): nothing inbound yet.
            serving.Sum(r => Math.Max(0, r.Quantities.Inbound)),
            [.. serving.OrderByDescending(r => r.AvailableToPromise).ThenBy(r => r.WarehouseId, StringComparer.Ordinal).Select(r => (r.WarehouseId, r.AvailableToPromise))],
            serving.Count == 0 ? null : serving.Min(r => r.SourceTime?.ToDateTimeOffset()));
    }

    /// <summary>Warehouses holding the SKU that do not serve <paramref name="market"/>, with their ATP: where a transfer could come from.</summary>
    public IReadOnlyList<(string WarehouseId, long Atp)> Elsewhere(string sku, string market)
        => [.. _ledger.Records(sku).Where(r => _ledger.Warehouses.ContainsKey(r.WarehouseId) && !_ledger.Serves(r.WarehouseId, market) && r.AvailableToPromise > 0)
            .OrderByDescending(r => r.AvailableToPromise).ThenBy(r => r.WarehouseId, StringComparer.Ordinal)
            .Select(r => (r.WarehouseId, r.AvailableToPromise))];

    /// <summary>Records whose committed units have waited longer than <paramref name="bound"/>.</summary>
    public IEnumerable<(StockRecord Record, DateTimeOffset Since)> Unsettled(DateTimeOffset now, TimeSpan bound)
    {
        foreach (var ((sku, warehouse), since) in _committedSince)
        {
            if (now - since > bound && _ledger.Record(sku, warehouse) is { } record)
            {
                yield return (record, since);
            }
        }
    }
}
