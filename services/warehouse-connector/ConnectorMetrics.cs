using Prometheus;

namespace Stockcast.Connector;

/// <summary>The connector's Prometheus metrics: per warehouse, timestamps as Unix seconds.</summary>
public sealed class ConnectorMetrics(IMetricFactory metrics)
{
    public Counter Records { get; } = metrics.CreateCounter(
        "stockcast_connector_records_total",
        "Warehouse records by outcome: received, then each one of applied, unchanged, duplicate, stale, dead_lettered.",
        ["warehouse", "outcome"]);

    public Histogram SyncLagSeconds { get; } = metrics.CreateHistogram(
        "stockcast_connector_sync_lag_seconds",
        "Time from a record's source_time to its acceptance by the ledger.",
        new HistogramConfiguration
        {
            LabelNames = ["warehouse"],
            Buckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
        });

    public Gauge LastSuccessTimestamp { get; } = metrics.CreateGauge(
        "stockcast_connector_last_success_timestamp_seconds",
        "When the ledger last accepted a batch from this warehouse's feed (Unix seconds).",
        ["warehouse"]);

    public Gauge DeadLetters { get; } = metrics.CreateGauge(
        "stockcast_connector_dead_letters",
        "Dead letters waiting for this warehouse.",
        ["warehouse"]);

    public Counter DeliveryErrors { get; } = metrics.CreateCounter(
        "stockcast_connector_delivery_errors_total",
        "Failed attempts to deliver a batch to the ledger, by gRPC status.",
        ["warehouse", "code"]);

    public Counter EstimatedTimeRecords { get; } = metrics.CreateCounter(
        "stockcast_connector_estimated_time_records_total",
        "Records sent with a stand-in source time marked estimated: the source gave none usable (missing, empty, unparseable) or one too far ahead (clamped).",
        ["warehouse"]);

    public Counter ClampedTimeRecords { get; } = metrics.CreateCounter(
        "stockcast_connector_clamped_time_records_total",
        "Of the estimated-time records, those whose source time was further ahead than MaxClockSkewSeconds: sent with their receipt time.",
        ["warehouse"]);

    public Counter SupersededEvents { get; } = metrics.CreateCounter(
        "stockcast_connector_superseded_events_total",
        "Deltas whose event id came again later in the same batch: the last one is delivered, these count as duplicates.",
        ["warehouse"]);

    public Counter LedgerRefusals { get; } = metrics.CreateCounter(
        "stockcast_connector_ledger_refusals_total",
        "Records the ledger refused as malformed (INVALID_ARGUMENT), set aside as dead letters while the rest of their batch was delivered.",
        ["warehouse"]);

    public Counter Backorders { get; } = metrics.CreateCounter(
        "stockcast_connector_backorders_total",
        "Records with a negative available figure the source means as a backorder, applied as zero available.",
        ["warehouse"]);

    public Gauge DeadLetterRatio { get; } = metrics.CreateGauge(
        "stockcast_connector_dead_letter_ratio",
        "Share of the feed's records dead-lettered over its recent window (DeadLetterWindowMinutes).",
        ["warehouse"]);

    public Gauge FeedDegraded { get; } = metrics.CreateGauge(
        "stockcast_connector_feed_degraded",
        "1 while the feed's dead-letter ratio is above its DegradedDeadLetterRatio (DEGRADED).",
        ["warehouse"]);

    public Gauge FeedLeaseHeld { get; } = metrics.CreateGauge(
        "stockcast_connector_feed_lease_held",
        "1 while this replica holds the polled feed's lease (and is the one reading it), else 0.",
        ["warehouse"]);

    public Counter RateLimitWaits { get; } = metrics.CreateCounter(
        "stockcast_connector_rate_limit_waits_total",
        "Times a warehouse API said to slow down (HTTP 429) and the connector waited as asked.",
        ["warehouse"]);

    public Counter PollErrors { get; } = metrics.CreateCounter(
        "stockcast_connector_poll_errors_total",
        "Failed reads of a polled feed, by kind: api, network, ledger, timeout, other.",
        ["warehouse", "kind"]);

    public Counter FeedEvents { get; } = metrics.CreateCounter(
        "stockcast_connector_feed_events_total",
        "Feed events raised, by kind: FeedStale, FeedRecovered, UnexplainedZero, ImplausibleJump, DriftCorrected.",
        ["warehouse", "kind"]);

    public Gauge FeedStale { get; } = metrics.CreateGauge(
        "stockcast_connector_feed_stale",
        "1 while the feed has had no successful sync for longer than its StaleAfterSeconds.",
        ["warehouse"]);

    public Counter DriftSkus { get; } = metrics.CreateCounter(
        "stockcast_connector_drift_skus_total",
        "SKUs a full reconciliation found differing from the warehouse (and corrected).",
        ["warehouse"]);

    public Counter DriftUnits { get; } = metrics.CreateCounter(
        "stockcast_connector_drift_units_total",
        "Units of on-hand difference a full reconciliation found (and corrected).",
        ["warehouse"]);

    public Gauge MissingSkus { get; } = metrics.CreateGauge(
        "stockcast_connector_reconciliation_missing_skus",
        "SKUs the ledger holds for the warehouse that its last full picture lacked.",
        ["warehouse"]);

    public Counter DropFiles { get; } = metrics.CreateCounter(
        "stockcast_connector_drop_files_total",
        "Drop files by outcome: processed, failed (moved to failed/ with its reason, nothing applied), deferred (left for the next poll).",
        ["warehouse", "outcome"]);

    public Counter DropRows { get; } = metrics.CreateCounter(
        "stockcast_connector_drop_rows_total",
        "Rows of drop files by outcome: read, applied, dead_lettered, unchanged.",
        ["warehouse", "outcome"]);

    public Gauge LastReconciliationTimestamp { get; } = metrics.CreateGauge(
        "stockcast_connector_last_reconciliation_timestamp_seconds",
        "When the last full reconciliation of this warehouse finished (Unix seconds).",
        ["warehouse"]);
}
