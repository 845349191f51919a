namespace Stockcast.RunLocal;

/// <summary>
/// Kubernetes' CrashLoopBackOff, shortened for a laptop: 1 s before the first restart, doubling to
/// 30 s while the process keeps dying, and back to 1 s once it has stayed up for a minute.
/// </summary>
internal sealed class CrashLoopBackoff
{
    private static readonly TimeSpan First = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Longest = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Stable = TimeSpan.FromMinutes(1);
    private TimeSpan _next = First;

    /// <param name="uptime">How long the process ran before it ended (zero when it did not even become ready).</param>
    public TimeSpan Next(TimeSpan uptime)
    {
        if (uptime >= Stable)
        {
            _next = First;
        }
        var delay = _next;
        _next = _next * 2 < Longest ? _next * 2 : Longest;
        return delay;
    }
}
