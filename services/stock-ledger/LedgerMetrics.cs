using Prometheus;

namespace Stockcast.Ledger;

/// <summary>The ledger's Prometheus metrics, created once per host (tests count exactly). Timestamps are Unix seconds, durations seconds.</summary>
public sealed class LedgerMetrics(IMetricFactory metrics)
{
    public Histogram SyncLagSeconds { get; } = metrics.CreateHistogram(
        "stockcast_ledger_sync_lag_seconds",
        "Time from a warehouse's source_time to the change being applied in the ledger.",
        new HistogramConfiguration
        {
            LabelNames = ["warehouse"],
            Buckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
        });

    public Gauge LastAppliedTimestamp { get; } = metrics.CreateGauge(
        "stockcast_ledger_last_applied_timestamp_seconds",
        "When the ledger last applied a change from this warehouse (Unix seconds).",
        ["warehouse"]);

    public Gauge LastSourceTimestamp { get; } = metrics.CreateGauge(
        "stockcast_ledger_last_source_timestamp_seconds",
        "The warehouse's own timestamp of the newest change applied from it (Unix seconds).",
        ["warehouse"]);

    public Counter Events { get; } = metrics.CreateCounter(
        "stockcast_ledger_events_total",
        "Stock events received, by warehouse and outcome (applied, duplicate, stale, rejected; invalid and fenced batches without a warehouse).",
        ["warehouse", "outcome"]);

    public Counter SupersededDeltas { get; } = metrics.CreateCounter(
        "stockcast_ledger_superseded_deltas_total",
        "Deltas dropped as STALE because their source time is older than the last snapshot's, which already includes them.",
        ["warehouse"]);

    public Gauge ReadViewRecords { get; } = metrics.CreateGauge(
        "stockcast_ledger_read_view_records",
        "Records the availability view holds (listed, then added as new ones arrive on the change feed).");

    public Counter AvailabilityReads { get; } = metrics.CreateCounter(
        "stockcast_ledger_availability_reads_total",
        "GetAvailability answers, by where they came from (view: memory; store: Redis, while the view is loading or behind).",
        ["source"]);

    public Gauge Watchers { get; } = metrics.CreateGauge(
        "stockcast_ledger_watchers",
        "Watch streams open on this replica.");

    public Counter WatchCompacted { get; } = metrics.CreateCounter(
        "stockcast_ledger_watch_compacted_total",
        "Watch calls refused because their start revision was no longer in the change log.");

    public Counter RevisionRegressions { get; } = metrics.CreateCounter(
        "stockcast_ledger_revision_regressions_total",
        "Times the change log was found behind what had been served (Redis lost its latest writes: a failover or a restart without them), by who found it: the change feed (every Watch then told to list again) or a Watch request resuming beyond the log.",
        ["detected_by"]);

    public Counter WatchChangesSent { get; } = metrics.CreateCounter(
        "stockcast_ledger_watch_changes_sent_total",
        "Changes written to Watch streams.");

    public Counter MalformedChanges { get; } = metrics.CreateCounter(
        "stockcast_ledger_malformed_changes_total",
        "Change log lines that did not parse: skipped by the change feed (and every Watch), logged with the entry id.");

    public Gauge Revision { get; } = metrics.CreateGauge(
        "stockcast_ledger_revision",
        "The latest ledger revision this replica has seen.");

    public Counter Reservations { get; } = metrics.CreateCounter(
        "stockcast_ledger_reservations_total",
        "Reservation calls by operation (reserve, release, commit, expire) and outcome.",
        ["operation", "outcome"]);
}
