using Prometheus;

namespace Stockcast.Overlay;

/// <summary>The overlay service's Prometheus metrics.</summary>
public static class OverlayMetrics
{
    public static readonly Gauge Viewers = Metrics.CreateGauge(
        "stockcast_overlay_viewers",
        "Open room streams on this replica, by transport (sse, ws, grpc).",
        "transport");

    public static readonly Counter RoomUpdates = Metrics.CreateCounter(
        "stockcast_overlay_room_updates_total",
        "Room updates published (after coalescing), each handed to every viewer of the room.");

    public static readonly Counter LedgerChanges = Metrics.CreateCounter(
        "stockcast_overlay_ledger_changes_total",
        "Stock changes received from the ledger's Watch.");

    public static readonly Gauge LedgerStreamUp = Metrics.CreateGauge(
        "stockcast_overlay_ledger_stream_up",
        "1 while the ledger Watch is live, 0 while rooms show \"updating…\" because it is down.");

    public static readonly Gauge LedgerLastHeard = Metrics.CreateGauge(
        "stockcast_overlay_ledger_last_heard_timestamp_seconds",
        "When the ledger Watch last answered (changes or progress), as Unix seconds.");
}
