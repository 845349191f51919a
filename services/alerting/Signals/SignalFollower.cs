using Microsoft.Extensions.Options;
using Stockcast.Alerting.Demand;
using Stockcast.Alerting.Engine;

namespace Stockcast.Alerting.Signals;

/// <summary>
/// Every replica follows the signal stream into its <see cref="DemandMeter"/>. At start it replays
/// the last few long-window half-lives, so the rates after a restart or on a new replica are what
/// they were (the ledger's reservations re-accumulate from the Watch).
/// </summary>
public sealed class SignalFollower(SignalStore signals, DemandMeter demand, DirtySkus dirty, IOptions<AlertingOptions> options, TimeProvider clock, ILogger<SignalFollower> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var replayFrom = clock.GetUtcNow() - TimeSpan.FromMinutes(options.Value.TrendLongMinutes * 3);
        var after = $"{Math.Max(0, replayFrom.ToUnixTimeMilliseconds())}-0";
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var (id, signal) in signals.Stream.FollowAsync(after, stoppingToken))
                {
                    after = id;
                    demand.Signal(signal, signal.OccurredAt.ToDateTimeOffset());
                    dirty.Mark(signal.Sku);
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                log.LogWarning("Following signals failed: {Error}; resuming after {Id}", ex.Message, after);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }
}
