using Microsoft.Extensions.Options;
using Stockcast.Ledger.Store;
using StackExchange.Redis;

namespace Stockcast.Ledger.Reservations;

/// <summary>
/// Expires held reservations whose hold time has passed, so their units count again. Every
/// replica sweeps; the script is atomic and only touches what is due, so sweeps never collide.
/// </summary>
public sealed class HoldExpirySweeper(LedgerMetrics metrics, StockStore store, IOptions<LedgerOptions> options, TimeProvider clock, ILogger<HoldExpirySweeper> log) : BackgroundService
{
    private const int BatchLimit = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(options.Value.ExpirySweepIntervalMs), clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
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
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                log.LogWarning(ex, "Could not expire held reservations; will retry");
            }
        }
    }
}
