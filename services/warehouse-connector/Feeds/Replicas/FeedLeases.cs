using Microsoft.Extensions.Options;
using Stockcast.ServiceDefaults.Redis;
using StackExchange.Redis;

namespace Stockcast.Connector.Feeds.Replicas;

/// <summary>
/// Keeps every polled feed's lease (<see cref="FeedLease"/>): each round renews the ones this replica
/// holds and takes the free ones. A lease lives one poll interval (2 s at least, 30 s at most) and is
/// renewed every third of that, so a dead holder's feed is taken within 1⅓ lives — within two poll
/// intervals — and read at once. Real time: Redis bounds the leases, whatever clock reads run on.
/// </summary>
public sealed class FeedLeases : BackgroundService
{
    private static readonly TimeSpan ShortestLife = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan LongestLife = TimeSpan.FromSeconds(30);

    private readonly Dictionary<string, FeedLease> _leases;
    private readonly ConnectorMetrics _metrics;

    public FeedLeases(IConnectionMultiplexer redis, IOptions<RedisOptions> redisOptions, IOptions<ConnectorOptions> options, ConnectorMetrics metrics, ILogger<FeedLeases> log)
    {
        _metrics = metrics;
        var holder = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
        _leases = options.Value.Feeds.Where(f => f.IsPolled).ToDictionary(
            f => f.WarehouseId,
            f => new FeedLease(redis, redisOptions.Value.KeyPrefix, f.WarehouseId, holder, LifeOf(f), log));
    }

    public static TimeSpan LifeOf(FeedOptions feed)
    {
        var interval = TimeSpan.FromSeconds(feed.PollIntervalSeconds);
        return interval < ShortestLife ? ShortestLife : interval > LongestLife ? LongestLife : interval;
    }

    public FeedLease For(string warehouseId) => _leases[warehouseId];

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
        => Task.WhenAll(_leases.Values.Select(lease => KeepAsync(lease, stoppingToken)));

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        foreach (var lease in _leases.Values)
        {
            try
            {
                await lease.ReleaseAsync();
            }
            catch (Exception ex) when (RedisFaults.IsRedis(ex) || ex is ObjectDisposedException)
            {
                // It runs out by itself.
            }
        }
    }

    private async Task KeepAsync(FeedLease lease, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(lease.Life / 3);
        do
        {
            await lease.KeepAsync();
            _metrics.FeedLeaseHeld.WithLabels(lease.WarehouseId).Set(lease.Current is null ? 0 : 1);
        }
        while (await NextRoundAsync(timer, stoppingToken));
    }

    private static async Task<bool> NextRoundAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
