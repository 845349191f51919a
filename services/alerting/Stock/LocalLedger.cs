using Stockcast.Alerting.Demand;
using Stockcast.Alerting.Engine;
using Stockcast.Ledger.V1;
using Stockcast.LedgerClient;

namespace Stockcast.Alerting.Stock;

/// <summary>
/// Follows this region's ledger (every record) through the shared ledger client: its changes mark
/// SKUs for evaluation, reservations seen on the Watch are sales for the velocity, and commitments
/// start their settlement clock in <see cref="StockView"/>. Every replica runs one (followers answer
/// Preflight from it; the leader evaluates from it).
/// </summary>
public sealed class LocalLedger(LedgerMirrors ledgers, StockView view, DemandMeter demand, DirtySkus dirty, TimeProvider clock) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
        => ledgers.FollowAsync(new LedgerFollow(LedgerMirrors.Local), Taken, stoppingToken);

    private void Taken(TakenRecord change)
    {
        var now = clock.GetUtcNow();
        view.Took(change, now);
        var heldBefore = change.Previous?.Held ?? 0;
        if (change.Cause == ChangeCause.Reserved && change.Record.Held > heldBefore)
        {
            demand.Sale(change.Record.Sku, change.Record.Held - heldBefore, now);
        }
        dirty.Mark(change.Record.Sku);
    }
}
