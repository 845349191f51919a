using System.Text;
using Stockcast.Overlay.Broadcast;
using Stockcast.ServiceDefaults.Limits;

namespace Stockcast.Overlay.Sse;

/// <summary>
/// GET /overlay/{room}/events?token=…: the room's updates as Server-Sent Events for the overlay
/// page. Each event is the room's full state (JSON of RoomUpdate) with id = its sequence, so a
/// reconnect just gets the current state first; nothing needs replaying. Quiet connections get a
/// heartbeat comment; the token is re-checked every heartbeat and a revoked one ends the stream
/// (the stream is shared with the WebSocket and gRPC: Broadcast/RoomViewers). Rate-limited and capped per room
/// and per token (429 with Retry-After, which the page waits out).
/// </summary>
public static class OverlayEvents
{
    /// <summary>Opening attempts: a page reconnects after 1 s at the soonest, and asks why once per refusal.</summary>
    public static readonly PublicEndpoint Public = new("overlay_events", PerAddress: 240, PerToken: 120);

    private static readonly byte[] Heartbeat = Encoding.UTF8.GetBytes(": heartbeat\n\n");

    public static IEndpointRouteBuilder MapOverlayEvents(this IEndpointRouteBuilder app)
    {
        app.MapGet("/overlay/{roomId}/events", StreamAsync).AllowAnonymous().WithPublicLimits(Public);
        return app;
    }

    private static async Task StreamAsync(string roomId, HttpContext http, RoomViewers viewers, ViewerSlots slots)
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

        var events = new EventStream(http.Response);
        try
        {
            await SseResponse.StartAsync(http, http.RequestAborted);
            if (await viewers.StreamAsync(channel, token!, events, http.RequestAborted) == ViewerEnd.Revoked)
            {
                await SseResponse.WriteAsync(http.Response, SseResponse.Revoked, http.RequestAborted);
            }
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The viewer left.
        }
    }

    private sealed class EventStream(HttpResponse response) : IViewerTransport
    {
        public string Name => "sse";

        // The same shared bytes for every viewer of the update.
        public ValueTask SendAsync(EncodedUpdate update, CancellationToken cancellationToken) => SseResponse.WriteAsync(response, update.ServerSentEvent, cancellationToken);

        public ValueTask HeartbeatAsync(CancellationToken cancellationToken) => SseResponse.WriteAsync(response, Heartbeat, cancellationToken);
    }
}
