using Stockcast.Overlay.Broadcast;
using Stockcast.Overlay.Rooms;
using Stockcast.Overlay.V1;

namespace Stockcast.Overlay.Board;

/// <summary>
/// What the operator's streams (the board, the host's cues) share: they end when the operator leaves, the
/// room is deleted or the replica stops (at once, so a shutdown is not held open), and their operator
/// token is asked again every few seconds, so a revocation ends them.
/// </summary>
/// <param name="token">The operator token; null for a gRPC caller whose API key was checked on the call.</param>
public sealed class OperatorSession(RoomChannel channel, string? token, CancellationToken gone, ViewerTokens tokens, TimeProvider clock, IHostApplicationLifetime lifetime) : IDisposable
{
    private static readonly TimeSpan Recheck = TimeSpan.FromSeconds(5);
    private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(gone, channel.Closed, lifetime.ApplicationStopping);
    private DateTimeOffset _checkedAt = clock.GetUtcNow();

    /// <summary>Cancelled when the stream is to end.</summary>
    public CancellationToken Stopping => _stop.Token;

    /// <summary>False once the token is found revoked (asked at most every few seconds).</summary>
    public async ValueTask<bool> StillAllowedAsync()
    {
        var now = clock.GetUtcNow();
        if (token is null || now - _checkedAt <= Recheck)
        {
            return true;
        }
        _checkedAt = now;
        return await tokens.IsValidAsync(channel.RoomId, token, TokenScope.Operator);
    }

    /// <summary>Why the stream ended once <see cref="Stopping"/> was cancelled.</summary>
    public ViewerEnd Ended => gone.IsCancellationRequested ? ViewerEnd.Left : ViewerEnd.RoomClosed;

    public void Dispose() => _stop.Dispose();
}
