using Prometheus;
using Stockcast.Overlay.Broadcast;
using Stockcast.Overlay.Rooms;
using Stockcast.Overlay.V1;

namespace Stockcast.Overlay.Board;

/// <summary>
/// One board connection (SSE page or gRPC WatchBoard): the board's state on every room update and at
/// least once a second, since ages, pace and alerts move without one. Boards are few: composing per
/// connection is cheap. Ends like a viewer's stream: the operator leaving, a revoked token, the room
/// deleted, or the replica stopping (at once, so the shutdown is not held open).
/// </summary>
public sealed class BoardStream(OverlayMetrics metrics, RoomCatalog catalog, BoardComposer composer, ViewerTokens tokens, TimeProvider clock, IHostApplicationLifetime lifetime)
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    /// <param name="token">The operator token, re-checked every few seconds; null for a caller whose API key was checked on the call.</param>
    public async Task<ViewerEnd> RunAsync(RoomChannel channel, string? token, Func<BoardUpdate, CancellationToken, Task> send, CancellationToken viewerGone)
    {
        using var session = new OperatorSession(channel, token, viewerGone, tokens, clock, lifetime);
        using var subscription = channel.Subscribe();
        using var viewer = metrics.Viewers.WithLabels("board").TrackInProgress();
        try
        {
            while (true)
            {
                var update = await subscription.NextAsync(Tick, session.Stopping) ?? channel.Latest;
                if (!await session.StillAllowedAsync())
                {
                    return ViewerEnd.Revoked;
                }
                if (update is not null && catalog.Current.Rooms.TryGetValue(channel.RoomId, out var room))
                {
                    await send(composer.Compose(room, update, clock.GetUtcNow()), session.Stopping);
                }
            }
        }
        catch (OperationCanceledException) when (session.Stopping.IsCancellationRequested)
        {
            return session.Ended;
        }
    }
}
