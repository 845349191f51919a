using System.Collections.Immutable;
using Stockcast.Overlay.V1;

namespace Stockcast.Overlay.Rooms;

/// <summary>
/// This replica's copy of every room and spotlight, swapped whole on each refresh so readers never
/// see a half-updated set. <see cref="Changed"/> fires only when something actually differs.
/// </summary>
public sealed class RoomCatalog(RoomStore store)
{
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private volatile Snapshot _current = new(ImmutableDictionary<string, Room>.Empty, ImmutableDictionary<string, SpotlightCard>.Empty);
    private CancellationTokenSource _changed = new();

    public sealed record Snapshot(ImmutableDictionary<string, Room> Rooms, ImmutableDictionary<string, SpotlightCard> Spotlights);

    public Snapshot Current => _current;

    public event Action? Changed;

    /// <summary>Cancelled at the next change: lets a long-running call end when the rooms change.</summary>
    public CancellationToken NextChange => Volatile.Read(ref _changed).Token;

    /// <summary>The rooms still to be shown (not ended), whose SKUs the ledger feed follows.</summary>
    public static bool IsActive(Room room, DateTimeOffset now) => room.EndsAt is null || room.EndsAt.ToDateTimeOffset() > now;

    public async Task RefreshAsync()
    {
        await _refresh.WaitAsync();
        try
        {
            var rooms = (await store.RoomsAsync()).ToImmutableDictionary();
            var spotlights = (await store.SpotlightsAsync()).ToImmutableDictionary();
            if (SameAs(_current.Rooms, rooms) && SameAs(_current.Spotlights, spotlights))
            {
                return;
            }
            _current = new Snapshot(rooms, spotlights);
        }
        finally
        {
            _refresh.Release();
        }
        Interlocked.Exchange(ref _changed, new CancellationTokenSource()).Cancel();
        Changed?.Invoke();
    }

    private static bool SameAs<T>(ImmutableDictionary<string, T> current, ImmutableDictionary<string, T> next)
        => current.Count == next.Count && next.All(e => current.TryGetValue(e.Key, out var value) && Equals(value, e.Value));
}
