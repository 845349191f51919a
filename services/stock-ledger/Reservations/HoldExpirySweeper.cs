using Microsoft.Extensions.Options;
using Stockcast.Ledger.Store;
using Stockcast.ServiceDefaults.Resilience;

namespace Stockcast.Ledger.Reservations;

/// <summary>
/// Expires held reservations whose hold time has passed, so their units count again. Every
/// replica sweeps; the script is atomic and only touches what is due, so sweeps never collide.
/// Runs on the stream loop ("hold-expiry"): a sweep that fails (Redis away, stalled or answering
/// an error) is retried with backoff, one warning per outage, and the period resumes.
/// </summary>
public sealed class HoldExpirySweeper(LedgerMetrics metrics, StockStore store, IOptions<LedgerOptions> options, Streams streams, ILogger<HoldExpirySweeper> log) : BackgroundService
{
    private const int BatchLimit = 500;

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
        => streams.Loop("hold-expiry").EveryAsync(TimeSpan.FromMilliseconds(options.Value.ExpirySweepIntervalMs), async _ =>
        {
            int expired;
            do
            {
                expired = await store.ExpireHoldsAsync(BatchLimit);
                if (expired > 0)
                {
                    metrics.Reservations.WithLabels("expire", "ok").Inc(expired);
                    log.LogDebug("Expired {Count} held reservations", expired);
                }
            }
            while (expired == BatchLimit);
        }, stoppingToken);
}
