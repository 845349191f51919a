using Stockcast.Overlay.V1;

namespace Stockcast.Overlay.Broadcast;

/// <summary>
/// Sees every update a room sends, on the room's loop, whether or not anybody watches: host cues and
/// the board's stock history are derived from what viewers were shown. Must return quickly.
/// </summary>
public interface IRoomObserver
{
    void Observe(Room room, RoomUpdate update, DateTimeOffset now);

    /// <summary>The room is gone: drop what was kept for it.</summary>
    void Forget(string roomId);
}
