using Microsoft.Extensions.Options;
using Prometheus;
using Stockcast.Overlay.Rooms;
using Stockcast.Overlay.V1;

namespace Stockcast.Overlay.Broadcast;

/// <summary>How a viewer's stream ended.</summary>
public enum ViewerEnd
{
    /// <summary>The viewer disconnected.</summary>
    Left,

    /// <summary>The token was revoked (noticed by the shared tick, ViewerTicks).</summary>
    Revoked,

    /// <summary>The room was deleted or the service is stopping.</summary>
    RoomClosed,
}

/// <summary>What one viewer transport (Server-Sent Events, WebSocket, gRPC WatchRoom) does with the shared loop's output.</summary>
public interface IViewerTransport
{
    /// <summary>The "transport" label of stockcast_overlay_viewers.</summary>
    string Name { get; }

    ValueTask SendAsync(EncodedUpdate update, CancellationToken cancellationToken);

    /// <summary>A quiet connection whose token is still valid: keep proxies from closing it, find dead viewers.</summary>
    ValueTask HeartbeatAsync(CancellationToken cancellationToken);
}

/// <summary>
/// What every viewer transport shares: who may open a room's stream (refused before anything is
/// sent), and the stream itself: the room's full state, then each coalesced update, written by the
/// room's loop (ViewerFeed); heartbeats on a quiet connection and a re-check of the token every
/// heartbeat (busy or quiet) from one shared tick (ViewerTicks); it ends on revocation, room deletion,
/// the service stopping or the viewer leaving. No thread, loop, timer or queue per viewer.
/// </summary>
public sealed class RoomViewers(OverlayMetrics metrics, ViewerTokens tokens, RoomHub hub, ViewerTicks ticks, IOptions<OverlayOptions> options, IHostApplicationLifetime lifetime)
{
    public TimeSpan Heartbeat => TimeSpan.FromSeconds(options.Value.HeartbeatSeconds);

    /// <summary>
    /// The room's channel; or, with none, the status refusing the caller: 401 without a token, 403
    /// wrong, revoked or too narrow (a viewer token on the board), 404 no such room.
    /// </summary>
    public async Task<(RoomChannel? Channel, int Refusal)> AdmitAsync(string roomId, string? token, TokenScope needed = TokenScope.Viewer)
    {
        if (await tokens.RefusalAsync(roomId, token, needed) is { } status)
        {
            return (null, status);
        }
        return await hub.FindAsync(roomId) is { } channel ? (channel, 0) : (null, StatusCodes.Status404NotFound);
    }

    /// <summary>Streams the room to one admitted viewer until it ends; <paramref name="viewerGone"/> fires when the viewer leaves.</summary>
    /// <param name="token">The viewer token, re-checked every heartbeat; null for a caller whose API key was checked on the call.</param>
    public async Task<ViewerEnd> StreamAsync(RoomChannel channel, string? token, IViewerTransport transport, CancellationToken viewerGone)
    {
        // Stopping ends the stream at once: Kestrel would otherwise wait out its shutdown timeout for
        // these never-ending requests, and the viewer reconnects (to another replica) by itself.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(viewerGone, channel.Closed, lifetime.ApplicationStopping);
        using var viewer = metrics.Viewers.WithLabels(transport.Name).TrackInProgress();
        var feed = new ViewerFeed(transport, stop.Token);
        try
        {
            using (stop.Token.Register(() => feed.End(viewerGone.IsCancellationRequested ? ViewerEnd.Left : ViewerEnd.RoomClosed)))
            using (ticks.Add(feed, channel.RoomId, token))
            using (channel.Subscribe(feed))
            {
                return await feed.Ended;
            }
        }
        finally
        {
            // The transport may write a last message (revoked, close frame): no feed write may be under way then.
            await feed.IdleAsync();
        }
    }
}
