using Microsoft.Extensions.Options;
using Stockcast.LedgerClient;

namespace Stockcast.Overlay.Feed;

/// <summary>
/// Whether the rooms' figures may be shown as live: the ledger stream is up and answered (changes
/// or progress notifications) within Overlay:LedgerSilenceSeconds. When not, every room says
/// "updating…" until it is back.
/// </summary>
public sealed class FeedHealth(StockMirror stock, IOptions<OverlayOptions> options)
{
    private readonly TimeSpan _silence = TimeSpan.FromSeconds(options.Value.LedgerSilenceSeconds);

    /// <summary>The stream went down or came back.</summary>
    public event Action? Changed
    {
        add => stock.Health.Changed += value;
        remove => stock.Health.Changed -= value;
    }

    /// <summary>Empty when live; otherwise why the figures cannot be trusted as live.</summary>
    public string DownReason(DateTimeOffset now)
    {
        if (stock.HeardAt is not { } heardAt)
        {
            return "not connected to the ledger yet";
        }
        if (!stock.Health.IsUp)
        {
            return "ledger stream down";
        }
        var quiet = now - heardAt;
        return quiet > _silence ? $"ledger stream silent for {quiet.TotalSeconds:0} s" : "";
    }
}
