using Microsoft.Extensions.Options;
using Stockcast.Alerting.Demand;
using Stockcast.Alerting.Engine;
using Stockcast.Ledger.V1;

namespace Stockcast.Alerting.Stock;

/// <summary>
/// Follows this region's ledger into <see cref="StockView"/>: its changes mark SKUs for evaluation and
/// reservations seen on the Watch are sales for the velocity. Every replica runs one (followers
/// answer Preflight from it; the leader evaluates from it).
/// </summary>
public sealed class LocalLedger(IOptions<AlertingOptions> options, StockView view, DemandMeter demand, DirtySkus dirty, TimeProvider clock, ILogger<LocalLedger> log) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
        => new LedgerFollower(new LedgerSource("local", options.Value.LedgerAddress!, options.Value.LedgerApiKey), view, clock, log)
            .FollowAsync(Taken, reachable: null, stoppingToken);

    private void Taken(TakenRecord change)
    {
        var heldBefore = change.Previous?.Held ?? 0;
        if (change.Cause == ChangeCause.Reserved && change.Record.Held > heldBefore)
        {
            demand.Sale(change.Record.Sku, change.Record.Held - heldBefore, clock.GetUtcNow());
        }
        dirty.Mark(change.Record.Sku);
    }
}
