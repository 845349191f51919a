using Prometheus;

namespace Stockcast.LedgerClient;

/// <summary>How each followed ledger is doing, labelled by the ledger's name ("local" or a peer region), created once per host.</summary>
public sealed class LedgerClientMetrics(IMetricFactory metrics)
{
    public Gauge Up { get; } = metrics.CreateGauge(
        "stockcast_ledger_client_up",
        "1 while this replica follows the ledger (read, and its Watch answering), 0 while it cannot.",
        ["ledger"]);

    public Gauge LastHeard { get; } = metrics.CreateGauge(
        "stockcast_ledger_client_last_heard_timestamp_seconds",
        "When the ledger last answered (a read, changes or a progress notification), as Unix seconds.",
        ["ledger"]);

    public Counter Changes { get; } = metrics.CreateCounter(
        "stockcast_ledger_client_changes_total",
        "Stock changes received from the ledger's Watch.",
        ["ledger"]);

    public Counter Rereads { get; } = metrics.CreateCounter(
        "stockcast_ledger_client_rereads_total",
        "Full reads after the ledger answered \"compacted\" (the Watch fell behind its change log).",
        ["ledger"]);

    public Gauge Records { get; } = metrics.CreateGauge(
        "stockcast_ledger_client_records",
        "Stock records (SKU x warehouse) held in memory from the ledger.",
        ["ledger"]);
}
