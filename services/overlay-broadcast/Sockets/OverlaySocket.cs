using System.Net.WebSockets;
using Stockcast.Overlay.Broadcast;
using Stockcast.ServiceDefaults.Limits;

namespace Stockcast.Overlay.Sockets;

/// <summary>
/// GET /overlay/{room}/ws?token=…: the same room updates as the event stream, each a WebSocket text
/// message with the RoomUpdate's JSON (full state first, then each coalesced update). Refusals
/// (401/403/404) come before the upgrade, with no data. Quiet connections are kept alive by the
/// WebSocket's own keep-alive frames every heartbeat; the token is re-checked as often, and a revoked
/// one closes the socket with 1008 (policy violation) "viewer token revoked". A full room or token
/// (429 with Retry-After) and the rate limit are refused before the upgrade too.
/// </summary>
public static class OverlaySocket
{
    public static readonly PublicEndpoint Public = new("overlay_ws", PerAddress: 240, PerToken: 120);

    /// <summary>How long a closing socket waits for the viewer's close frame before the connection is dropped.</summary>
    private static readonly TimeSpan CloseHandshake = TimeSpan.FromSeconds(5);

    public static IEndpointRouteBuilder MapOverlaySocket(this IEndpointRouteBuilder app)
    {
        app.MapGet("/overlay/{roomId}/ws", AcceptAsync).AllowAnonymous().WithPublicLimits(Public);
        return app;
    }

    private static async Task AcceptAsync(string roomId, HttpContext http, RoomViewers viewers, ViewerSlots slots)
    {
        var token = PublicTokens.From(http.Request);
        var (channel, refusal) = await viewers.AdmitAsync(roomId, token);
        if (channel is null)
        {
            http.Response.StatusCode = refusal;
            return;
        }
        var (slot, full) = slots.Take(http, Public.Kind, roomId, token!);
        using var held = slot;
        if (full is not null)
        {
            await full.ExecuteAsync(http);
            return;
        }
        if (!http.WebSockets.IsWebSocketRequest)
        {
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        using var socket = await http.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { KeepAliveInterval = viewers.Heartbeat });
        using var gone = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        var listening = ListenAsync(socket, gone, http.RequestAborted);
        try
        {
            var end = await viewers.StreamAsync(channel, token!, new SocketStream(socket), gone.Token);
            var (status, reason) = end switch
            {
                ViewerEnd.Revoked => (WebSocketCloseStatus.PolicyViolation, "viewer token revoked"),
                ViewerEnd.RoomClosed => (WebSocketCloseStatus.EndpointUnavailable, "room closed"),
                _ => (WebSocketCloseStatus.NormalClosure, ""),
            };
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await socket.CloseOutputAsync(status, reason, http.RequestAborted);
            }
            await listening.WaitAsync(CloseHandshake, http.RequestAborted);
        }
        catch (Exception ex) when (ex is WebSocketException or TimeoutException || (ex is OperationCanceledException && http.RequestAborted.IsCancellationRequested))
        {
            // The viewer went away mid-send, or never answered the close: the connection is dropped.
        }
    }

    /// <summary>
    /// Reads (and drops) what the viewer sends, so its close frame is seen: it ends the stream. A
    /// viewer has nothing to say; a small buffer suffices because messages are only skipped.
    /// </summary>
    private static async Task ListenAsync(WebSocket socket, CancellationTokenSource gone, CancellationToken aborted)
    {
        var buffer = new byte[64];
        try
        {
            while ((await socket.ReceiveAsync(buffer.AsMemory(), aborted)).MessageType != WebSocketMessageType.Close)
            {
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // The connection dropped.
        }
        finally
        {
            await gone.CancelAsync();
        }
    }

    private sealed class SocketStream(WebSocket socket) : IViewerTransport
    {
        public string Name => "ws";

        public ValueTask SendAsync(EncodedUpdate update, CancellationToken cancellationToken)
            => socket.SendAsync(update.Utf8Json, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);

        // The WebSocket's keep-alive frames (KeepAliveInterval = the heartbeat) already keep it open.
        public ValueTask HeartbeatAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
