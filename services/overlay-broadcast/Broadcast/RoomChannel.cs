using System.Collections.Concurrent;
using Stockcast.Overlay.Rooms;
using Stockcast.Overlay.V1;

namespace Stockcast.Overlay.Broadcast;

/// <summary>
/// One room on this replica: a dirty flag and one send loop. Changes only mark the room dirty; the
/// loop waits out the room's rate limit, then composes the state at that moment and hands it to
/// every subscriber. However many changes arrive in between, at most max_updates_per_second go out
/// and the last one always does.
/// </summary>
public sealed class RoomChannel(OverlayMetrics metrics, string roomId, RoomCatalog catalog, RoomComposer composer, IEnumerable<IRoomObserver> observers, TimeProvider clock, CancellationToken closed)
{
    private readonly SemaphoreSlim _dirty = new(0, 1);
    private readonly ConcurrentDictionary<IRoomSubscriber, byte> _subscribers = new();
    private readonly Lock _gate = new();
    private int _pending;
    private RoomUpdate? _latest;
    private RoomUpdate? _latestContent;
    private DateTimeOffset _lastSentAt = DateTimeOffset.MinValue;

    public string RoomId => roomId;

    /// <summary>The last update sent to the room's viewers (null before the first).</summary>
    public RoomUpdate? Latest => Volatile.Read(ref _latest);

    /// <summary>Cancelled when the room is deleted or the service stops: viewers' streams end with it.</summary>
    public CancellationToken Closed => closed;

    public void MarkDirty()
    {
        if (Interlocked.Exchange(ref _pending, 1) == 0)
        {
            _dirty.Release();
        }
    }

    /// <summary>A buffer to pull the room's updates from (boards): the current full state at once, then every update.</summary>
    public RoomSubscription Subscribe()
    {
        var subscription = new RoomSubscription(s => _subscribers.TryRemove(s, out _));
        Add(subscription);
        return subscription;
    }

    /// <summary>Hands <paramref name="subscriber"/> the current full state at once, then every update, until the result is disposed.</summary>
    public IDisposable Subscribe(IRoomSubscriber subscriber)
    {
        Add(subscriber);
        return new Removal(this, subscriber);
    }

    private void Add(IRoomSubscriber subscriber)
    {
        _subscribers[subscriber] = 0;
        lock (_gate)
        {
            if (_latest is null)
            {
                Publish(clock.GetUtcNow());
            }
            if (_latest is not null)
            {
                subscriber.Offer(_latest);
            }
        }
    }

    public async Task RunAsync()
    {
        var cancellationToken = closed;
        while (!cancellationToken.IsCancellationRequested)
        {
            await _dirty.WaitAsync(cancellationToken);
            var perSecond = catalog.Current.Rooms.GetValueOrDefault(roomId)?.MaxUpdatesPerSecond ?? RoomValidation.DefaultMaxUpdatesPerSecond;
            var wait = _lastSentAt + TimeSpan.FromSeconds(1.0 / Math.Max(1, perSecond)) - clock.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, clock, cancellationToken);
            }
            Interlocked.Exchange(ref _pending, 0);
            lock (_gate)
            {
                Publish(clock.GetUtcNow());
            }
        }
    }

    /// <summary>Composes the room now; sends it only when what viewers see changed (ages and send time aside).</summary>
    private void Publish(DateTimeOffset now)
    {
        var snapshot = catalog.Current;
        if (!snapshot.Rooms.TryGetValue(roomId, out var room))
        {
            return;
        }
        var update = composer.Compose(room, snapshot.Spotlights.GetValueOrDefault(roomId), now);
        var content = WithoutClock(update);
        if (content.Equals(_latestContent))
        {
            return;
        }
        // Derived from the clock, so a viewer reconnecting to another replica still sees ids go up.
        update.Sequence = Math.Max((_latest?.Sequence ?? 0) + 1, now.ToUnixTimeMilliseconds());
        _latest = update;
        _latestContent = content;
        _lastSentAt = now;
        metrics.RoomUpdates.Inc();
        // Observers first: whoever is handed this update (a board) finds its cues and history already there.
        foreach (var observer in observers)
        {
            observer.Observe(room, update, now);
        }
        // Offering writes to each viewer's connection on this thread when its pipe takes the bytes at once (ViewerFeed).
        foreach (var (subscriber, _) in _subscribers)
        {
            subscriber.Offer(update);
        }
    }

    private sealed class Removal(RoomChannel channel, IRoomSubscriber subscriber) : IDisposable
    {
        public void Dispose() => channel._subscribers.TryRemove(subscriber, out _);
    }

    private static RoomUpdate WithoutClock(RoomUpdate update)
    {
        var content = update.Clone();
        content.SentAt = null;
        foreach (var stock in content.Skus.Append(content.Spotlight?.Stock).OfType<SkuStock>())
        {
            stock.AgeMs = 0;
            foreach (var warehouse in stock.Warehouses)
            {
                warehouse.AgeMs = 0;
            }
        }
        return content;
    }
}
