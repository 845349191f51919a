using Prometheus;

namespace Stockcast.Overlay;

/// <summary>The overlay service's Prometheus metrics, created once per host (tests count exactly).</summary>
public sealed class OverlayMetrics(IMetricFactory metrics)
{
    public Gauge Viewers { get; } = metrics.CreateGauge(
        "stockcast_overlay_viewers",
        "Open room streams on this replica, by transport (sse, ws, grpc; board for operator boards).",
        ["transport"]);

    public Counter RoomUpdates { get; } = metrics.CreateCounter(
        "stockcast_overlay_room_updates_total",
        "Room updates published (after coalescing), each handed to every viewer of the room.");

    public Counter LedgerChanges { get; } = metrics.CreateCounter(
        "stockcast_overlay_ledger_changes_total",
        "Stock changes received from the ledger's Watch.");

    public Gauge LedgerStreamUp { get; } = metrics.CreateGauge(
        "stockcast_overlay_ledger_stream_up",
        "1 while the ledger Watch is live, 0 while rooms show \"updating…\" because it is down.");

    public Gauge LedgerLastHeard { get; } = metrics.CreateGauge(
        "stockcast_overlay_ledger_last_heard_timestamp_seconds",
        "When the ledger Watch last answered (changes or progress), as Unix seconds.");
}
