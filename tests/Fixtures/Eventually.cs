using System.Diagnostics;

namespace Stockcast.Testing;

/// <summary>Waits for a condition with a deadline instead of sleeping a fixed time.</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Asks <paramref name="condition"/> until it is true. An exception from it means "not yet"; on
    /// timeout the last one is the <see cref="Exception.InnerException"/> and is named in the message.
    /// </summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? deadline = null)
    {
        var limit = deadline ?? DefaultDeadline;
        var clock = Stopwatch.StartNew();
        var pause = TimeSpan.FromMilliseconds(10);
        Exception? last = null;
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception e)
            {
                // Not yet: the system under test is still getting there.
                last = e;
            }
            if (clock.Elapsed >= limit)
            {
                var cause = last is null ? "" : $"; the last exception was {last.GetType().Name}: {last.Message}";
                throw new TimeoutException($"Timed out after {limit.TotalSeconds:0}s waiting until {what}{cause}", last);
            }
            await Task.Delay(pause);
            pause = TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds * 2, 200));
        }
    }

    public static Task TrueAsync(Func<bool> condition, string what, TimeSpan? deadline = null)
        => TrueAsync(() => Task.FromResult(condition()), what, deadline);
}
