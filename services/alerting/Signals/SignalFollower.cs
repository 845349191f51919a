using Microsoft.Extensions.Options;
using Stockcast.Alerting.Demand;
using Stockcast.Alerting.Engine;
using Stockcast.ServiceDefaults.Resilience;

namespace Stockcast.Alerting.Signals;

/// <summary>
/// Every replica follows the signal stream into its <see cref="DemandMeter"/>. At start it replays
/// the last few long-window half-lives, so the rates after a restart or on a new replica are what
/// they were (the ledger's reservations re-accumulate from the Watch). After a break it resumes after
/// the last signal it took.
/// </summary>
public sealed class SignalFollower(SignalStore signals, DemandMeter demand, DirtySkus dirty, IOptions<AlertingOptions> options, Streams streams, TimeProvider clock)
    : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var replayFrom = clock.GetUtcNow() - TimeSpan.FromMinutes(options.Value.TrendLongMinutes * 3);
        var after = $"{Math.Max(0, replayFrom.ToUnixTimeMilliseconds())}-0";
        var loop = streams.Loop("signals");
        return loop.RunAsync(async cancellationToken =>
        {
            await foreach (var (id, signal) in signals.Stream.FollowAsync(after, cancellationToken, loop.Heard))
            {
                after = id;
                demand.Signal(signal, signal.OccurredAt.ToDateTimeOffset());
                dirty.Mark(signal.Sku);
            }
        }, stoppingToken);
    }
}
