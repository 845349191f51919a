using Stockcast.Overlay.V1;

namespace Stockcast.Overlay.Broadcast;

/// <summary>
/// A board connection's buffer, pulled by its own loop: a single slot, latest update wins. A slow
/// connection skips intermediate states instead of queueing them, so memory per connection stays
/// constant and nobody is shown a backlog of old numbers. (Viewers are pushed to: ViewerFeed.)
/// </summary>
public sealed class RoomSubscription(Action<RoomSubscription> unsubscribe) : IRoomSubscriber, IDisposable
{
    private readonly SemaphoreSlim _signal = new(0, 1);
    private RoomUpdate? _latest;
    private int _pending;

    public void Offer(RoomUpdate update)
    {
        Volatile.Write(ref _latest, update);
        if (Interlocked.Exchange(ref _pending, 1) == 0)
        {
            _signal.Release();
        }
    }

    /// <summary>The latest update once there is a new one; null when <paramref name="quiet"/> passed first.</summary>
    public async Task<RoomUpdate?> NextAsync(TimeSpan quiet, CancellationToken cancellationToken)
    {
        if (!await _signal.WaitAsync(quiet, cancellationToken))
        {
            return null;
        }
        Interlocked.Exchange(ref _pending, 0);
        return Volatile.Read(ref _latest);
    }

    // The semaphore is not disposed: a publisher that took its subscriber list just before this
    // unsubscribed may still offer once, and a SemaphoreSlim without a wait handle holds nothing to free.
    public void Dispose() => unsubscribe(this);
}
