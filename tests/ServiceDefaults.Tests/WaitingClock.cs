using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using Stockcast.Testing;

namespace Stockcast.ServiceDefaults.Tests;

/// <summary>
/// A fake clock that says each time something starts waiting on it, and for how long: a backoff is
/// read and then skipped, never slept through, so its length is asserted exactly.
/// </summary>
public sealed class WaitingClock() : FakeTimeProvider(new DateTimeOffset(2026, 1, 5, 9, 0, 0, TimeSpan.Zero))
{
    private readonly Channel<TimeSpan> _waits = Channel.CreateUnbounded<TimeSpan>();

    /// <summary>Waits begun and not yet taken by <see cref="NextWaitAsync"/>.</summary>
    public int WaitsBegun => _waits.Reader.Count;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        _waits.Writer.TryWrite(dueTime);
        return timer;
    }

    /// <summary>The next wait begun on this clock (already begun, or the next one).</summary>
    public async Task<TimeSpan> NextWaitAsync()
    {
        using var deadline = new CancellationTokenSource(Eventually.DefaultDeadline);
        return await _waits.Reader.ReadAsync(deadline.Token);
    }

    /// <summary>Lets the next wait pass at once; returns how long it was.</summary>
    public async Task<TimeSpan> SkipNextWaitAsync()
    {
        var wait = await NextWaitAsync();
        Advance(wait);
        return wait;
    }
}
