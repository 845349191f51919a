using Stockcast.LedgerClient;
using Stockcast.Overlay.Rooms;
using Stockcast.ServiceDefaults.Identifiers;

namespace Stockcast.Overlay.Feed;

/// <summary>
/// One ledger Watch per replica, whatever the number of viewers, filtered to the SKUs of the rooms
/// that have not ended; the shared ledger client reads them, watches, resumes and reads again when
/// the rooms' SKUs change. Each change feeds the sales pace and reaches the rooms showing the SKU.
/// </summary>
public sealed class LedgerFeed(LedgerMirrors ledgers, StockMirror stock, RoomCatalog catalog, SalesPace pace, TimeProvider clock) : BackgroundService, IFollowedSkus
{
    /// <summary>Well inside Overlay:LedgerSilenceSeconds, so a quiet ledger is not taken for a silent one.</summary>
    private const int ProgressIntervalSeconds = 1;

    /// <summary>A SKU's figures changed, or it was read for the first time.</summary>
    public event Action<string>? SkuChanged;

    /// <summary>
    /// The featured SKUs of every room that has not ended. One SKU the ledger would refuse (a room
    /// written to Redis past UpsertRoom's checks) would make it refuse the one Watch of every room:
    /// such a SKU is left out by the ledger's own rule, so only its room lacks its figures.
    /// </summary>
    public IReadOnlySet<string> Current()
    {
        var now = clock.GetUtcNow();
        return catalog.Current.Rooms.Values
            .Where(r => RoomCatalog.IsActive(r, now))
            .SelectMany(r => r.Featured.Select(f => f.Sku))
            .Where(Identifiers.Sku.IsValid)
            .ToHashSet(StringComparer.Ordinal);
    }

    public CancellationToken NextChange => catalog.NextChange;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        stock.SkuLoaded += Changed;
        try
        {
            await ledgers.FollowAsync(new LedgerFollow(LedgerMirrors.Local) { Skus = this, ProgressIntervalSeconds = ProgressIntervalSeconds }, Taken, stoppingToken);
        }
        finally
        {
            stock.SkuLoaded -= Changed;
        }
    }

    private void Taken(TakenRecord change)
    {
        pace.Observe(change.Record.Sku, change.Record.WarehouseId, change.Previous?.AvailableToPromise, change.Record.AvailableToPromise);
        Changed(change.Record.Sku);
    }

    private void Changed(string sku) => SkuChanged?.Invoke(sku);
}
