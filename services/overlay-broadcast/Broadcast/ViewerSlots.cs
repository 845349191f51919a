using Microsoft.Extensions.Options;
using Stockcast.ServiceDefaults.Limits;

namespace Stockcast.Overlay.Broadcast;

/// <summary>
/// The caps on open page streams (SSE, WebSocket, board) per room and per token on this replica. A
/// stream holds its slot until it ends; a refusal is 429 with Retry-After and the reason
/// (room_connections, token_connections), which the pages treat as "try again later", never final.
/// Counts are kept only while a room or token has streams open, keyed by the token's hash.
/// </summary>
public sealed class ViewerSlots(IOptions<OverlayOptions> options, PublicRefusals refusals)
{
    private readonly Dictionary<string, int> _rooms = [];
    private readonly Dictionary<string, int> _tokens = [];

    /// <summary>A slot for one stream of <paramref name="roomId"/> opened with <paramref name="token"/>, or the refusal to answer.</summary>
    public (IDisposable? Slot, IResult? Refusal) Take(HttpContext http, string endpoint, string roomId, string token)
    {
        var limits = options.Value;
        var tokenKey = PublicTokens.Key(token);
        string? reason;
        lock (_rooms)
        {
            reason = _rooms.GetValueOrDefault(roomId) >= limits.MaxRoomConnections ? PublicRefusals.RoomConnections
                : _tokens.GetValueOrDefault(tokenKey) >= limits.MaxTokenConnections ? PublicRefusals.TokenConnections
                : null;
            if (reason is null)
            {
                _rooms[roomId] = _rooms.GetValueOrDefault(roomId) + 1;
                _tokens[tokenKey] = _tokens.GetValueOrDefault(tokenKey) + 1;
                return (new Slot(this, roomId, tokenKey), null);
            }
        }
        var detail = reason == PublicRefusals.RoomConnections
            ? $"this room has its {limits.MaxRoomConnections} open streams; try again later"
            : $"this token has its {limits.MaxTokenConnections} open streams; try again later";
        return (null, refusals.Refuse(http, endpoint, reason, StatusCodes.Status429TooManyRequests, detail, TimeSpan.FromSeconds(limits.ConnectionRetryAfterSeconds)));
    }

    private void Give(string roomId, string tokenKey)
    {
        lock (_rooms)
        {
            Release(_rooms, roomId);
            Release(_tokens, tokenKey);
        }
    }

    private static void Release(Dictionary<string, int> counts, string key)
    {
        if (--counts[key] == 0)
        {
            counts.Remove(key);
        }
    }

    private sealed class Slot(ViewerSlots slots, string roomId, string tokenKey) : IDisposable
    {
        private int _given;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _given, 1) == 0)
            {
                slots.Give(roomId, tokenKey);
            }
        }
    }
}
