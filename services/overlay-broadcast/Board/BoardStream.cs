using Stockcast.Overlay.Broadcast;
using Stockcast.Overlay.Rooms;
using Stockcast.Overlay.V1;

namespace Stockcast.Overlay.Board;

/// <summary>
/// One board connection (SSE page or gRPC WatchBoard): the board's state on every room update and at
/// least once a second, since ages, pace and alerts move without one. Boards are few: composing per
/// connection is cheap.
/// </summary>
public sealed class BoardStream(RoomCatalog catalog, BoardComposer composer, TimeProvider clock)
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    /// <param name="stillAllowed">Re-checked every few seconds (a revoked token ends the stream); null when the caller's credentials are checked per call.</param>
    /// <returns>False when <paramref name="stillAllowed"/> said no.</returns>
    public async Task<bool> RunAsync(RoomChannel channel, Func<BoardUpdate, Task> send, Func<Task<bool>>? stillAllowed, CancellationToken cancellationToken)
    {
        using var subscription = channel.Subscribe();
        var checkedAt = clock.GetUtcNow();
        while (true)
        {
            var update = await subscription.NextAsync(Tick, cancellationToken) ?? channel.Latest;
            var now = clock.GetUtcNow();
            if (stillAllowed is not null && now - checkedAt > 5 * Tick)
            {
                if (!await stillAllowed())
                {
                    return false;
                }
                checkedAt = now;
            }
            if (update is not null && catalog.Current.Rooms.TryGetValue(channel.RoomId, out var room))
            {
                await send(composer.Compose(room, update, now));
            }
        }
    }
}
