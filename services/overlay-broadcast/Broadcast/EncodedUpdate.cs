using System.Runtime.CompilerServices;
using System.Text;
using Stockcast.Overlay.Sse;
using Stockcast.Overlay.V1;

namespace Stockcast.Overlay.Broadcast;

/// <summary>
/// A room update as the bytes viewers are sent, made once per update and shared by every viewer of
/// the room: formatting the JSON per connection would cost more than everything else at thousands
/// of viewers (docs/benchmarks.md, overlay-broadcast fan-out).
/// </summary>
public sealed class EncodedUpdate
{
    // Keyed by the published instance, which every subscriber of the room is handed; an entry goes with its update.
    private static readonly ConditionalWeakTable<RoomUpdate, EncodedUpdate> Encoded = new();

    private EncodedUpdate(RoomUpdate update)
    {
        var json = SseResponse.Json.Format(update);
        Update = update;
        Utf8Json = Encoding.UTF8.GetBytes(json);
        ServerSentEvent = SseResponse.Event("update", update.Sequence, json);
    }

    /// <summary>The update itself (gRPC viewers are sent the message, not its JSON).</summary>
    public RoomUpdate Update { get; }

    /// <summary>The RoomUpdate as protobuf JSON (a WebSocket text message).</summary>
    public ReadOnlyMemory<byte> Utf8Json { get; }

    /// <summary>The whole Server-Sent Event: id, event type and the JSON as data.</summary>
    public ReadOnlyMemory<byte> ServerSentEvent { get; }

    /// <summary>Published updates are not changed afterwards, so the bytes made for the first viewer serve all.</summary>
    public static EncodedUpdate Of(RoomUpdate update) => Encoded.GetValue(update, static u => new EncodedUpdate(u));
}
