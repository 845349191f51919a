using Prometheus;

namespace Stockcast.Connector;

/// <summary>The connector's Prometheus metrics: per warehouse, timestamps as Unix seconds.</summary>
public sealed class ConnectorMetrics(IMetricFactory metrics)
{
    public Counter Records { get; } = metrics.CreateCounter(
        "stockcast_connector_records_total",
        "Warehouse records by outcome: received, applied, duplicate, stale, dead_lettered.",
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

    public Gauge LastReconciliationTimestamp { get; } = metrics.CreateGauge(
        "stockcast_connector_last_reconciliation_timestamp_seconds",
        "When the last full reconciliation of this warehouse finished (Unix seconds).",
        ["warehouse"]);
}
