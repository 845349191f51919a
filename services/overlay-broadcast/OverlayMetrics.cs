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
}
