using Stockcast.Connector.Delivery;
using Stockcast.Connector.Events;
using Stockcast.Connector.V1;

namespace Stockcast.Connector.Feeds;

/// <summary>
/// Reports what a reconciling read found: SKUs whose ledger figures differed from the warehouse's
/// (already corrected by the read's snapshots) and SKUs the ledger holds that the warehouse's full
/// picture lacked. Those are reported, not zeroed: a listing that leaves a SKU out is as often a
/// catalogue or filter change as stock gone, and zeroing live stock on a guess would cancel sales.
/// Reported as metrics, one log line and one DRIFT_CORRECTED event per read that found any.
/// </summary>
public sealed class Reconciliation(ConnectorMetrics metrics, LedgerSink ledger, FeedEventStore feedEvents, TimeProvider clock, ILogger<Reconciliation> log)
{
    private const int SkusNamed = 10;

    public async Task<SyncResult> ReportAsync(FeedRead read, SyncResult result, CancellationToken cancellationToken)
    {
        var warehouse = read.Feed.WarehouseId;
        var missing = (await ledger.ListSkusAsync(warehouse, cancellationToken)).Where(sku => !read.SeenSkus.Contains(sku)).ToList();
        var units = read.Drifted.Sum(d => Math.Abs(d.WarehouseOnHand - d.LedgerOnHand));
        metrics.DriftSkus.WithLabels(warehouse).Inc(read.Drifted.Count);
        metrics.DriftUnits.WithLabels(warehouse).Inc(units);
        metrics.MissingSkus.WithLabels(warehouse).Set(missing.Count);
        metrics.LastReconciliationTimestamp.WithLabels(warehouse).Set(clock.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0);
        if (read.Drifted.Count > 0 || missing.Count > 0)
        {
            var largest = read.Drifted.OrderByDescending(d => Math.Abs(d.WarehouseOnHand - d.LedgerOnHand)).Take(SkusNamed)
                .Select(d => $"{d.Sku} {d.LedgerOnHand}->{d.WarehouseOnHand}");
            var detail = $"{read.Drifted.Count} SKUs differed by {units} units in all, corrected (largest: {string.Join(", ", largest)})"
                + (missing.Count == 0 ? "" : $"; {missing.Count} SKUs in the ledger are missing from the warehouse's picture (e.g. {string.Join(", ", missing.Take(SkusNamed))})");
            log.LogWarning("Reconciliation of {Warehouse}: {Detail}", warehouse, detail);
            await feedEvents.AppendAsync(new FeedEvent
            {
                Kind = FeedEventKind.DriftCorrected,
                WarehouseId = warehouse,
                Skus = read.Drifted.Count,
                Units = units,
                Detail = detail,
            });
        }
        else
        {
            log.LogInformation("Reconciliation of {Warehouse}: the ledger matched all {Skus} SKUs", warehouse, read.SeenSkus.Count);
        }
        return result with { SkusDrifted = read.Drifted.Count, DriftUnits = units, SkusMissing = missing.Count };
    }
}
