using Microsoft.Extensions.Options;

namespace Stockcast.Overlay.Feed;

/// <summary>
/// Whether the ledger stream is live: it answered recently (changes or progress notifications) and
/// has not failed since. When not, every room says "updating…" until it is back.
/// </summary>
public sealed class FeedHealth(OverlayMetrics metrics, IOptions<OverlayOptions> options, TimeProvider clock)
{
    private readonly TimeSpan _silence = TimeSpan.FromSeconds(options.Value.LedgerSilenceSeconds);
    private long _heardAtTicks;
    private volatile string _downReason = "not connected to the ledger yet";

    /// <summary>The stream went down or came back.</summary>
    public event Action? Changed;

    public void Heard()
    {
        var now = clock.GetUtcNow();
        Interlocked.Exchange(ref _heardAtTicks, now.UtcTicks);
        metrics.LedgerLastHeard.Set(now.ToUnixTimeMilliseconds() / 1000.0);
        if (_downReason.Length > 0)
        {
            _downReason = "";
            metrics.LedgerStreamUp.Set(1);
            Changed?.Invoke();
        }
    }

    public void Down(string reason)
    {
        if (_downReason.Length == 0)
        {
            _downReason = reason;
            metrics.LedgerStreamUp.Set(0);
            Changed?.Invoke();
        }
    }

    /// <summary>Empty when live; otherwise why the figures cannot be trusted as live.</summary>
    public string DownReason(DateTimeOffset now)
    {
        var reason = _downReason;
        if (reason.Length > 0)
        {
            return reason;
        }
        var quiet = now - new DateTimeOffset(Interlocked.Read(ref _heardAtTicks), TimeSpan.Zero);
        return quiet > _silence ? $"ledger stream silent for {quiet.TotalSeconds:0} s" : "";
    }
}
