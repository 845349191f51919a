using Stockcast.Overlay.Board;
using Stockcast.Overlay.Broadcast;
using Stockcast.Overlay.Rooms;
using Stockcast.Overlay.V1;

namespace Stockcast.Overlay.Cues;

/// <summary>
/// One host's cue stream (gRPC WatchCues or the board's /cues SSE): the room's recent cues, then each new
/// one, in the listener's language. Ends like a board: the host leaving, a revoked token (re-checked every
/// few seconds), the room deleted, or the replica stopping.
/// </summary>
public sealed class CueStream(RoomCatalog catalog, CueDesk cues, ViewerTokens tokens, TimeProvider clock, IHostApplicationLifetime lifetime)
{
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(5);

    /// <param name="token">The operator token, re-checked every few seconds; null for a caller whose API key was checked on the call.</param>
    /// <param name="quiet">Called after a few quiet seconds (an SSE heartbeat); may be null.</param>
    public async Task<ViewerEnd> RunAsync(RoomChannel channel, string? token, string language, Func<Cue, CancellationToken, Task> send, Func<CancellationToken, Task>? quiet, CancellationToken gone)
    {
        using var session = new OperatorSession(channel, token, gone, tokens, clock, lifetime);
        using var listener = cues.Listen(channel.RoomId);
        try
        {
            while (true)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(session.Stopping);
                wait.CancelAfter(Quiet);
                var more = true;
                try
                {
                    more = await listener.Reader.WaitToReadAsync(wait.Token);
                }
                catch (OperationCanceledException) when (!session.Stopping.IsCancellationRequested)
                {
                    if (quiet is not null)
                    {
                        await quiet(session.Stopping);
                    }
                }
                if (!more)
                {
                    return ViewerEnd.RoomClosed; // the room was deleted
                }
                if (!await session.StillAllowedAsync())
                {
                    return ViewerEnd.Revoked;
                }
                while (listener.Reader.TryRead(out var cue))
                {
                    if (catalog.Current.Rooms.TryGetValue(channel.RoomId, out var room))
                    {
                        await send(CueDesk.InWords(room, cue, language), session.Stopping);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (session.Stopping.IsCancellationRequested)
        {
            return session.Ended;
        }
    }
}
