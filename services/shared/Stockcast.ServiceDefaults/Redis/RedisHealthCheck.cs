using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Stockcast.ServiceDefaults.Redis;

/// <summary>
/// Ready only while every Redis primary answers PING within a second, and still as a primary: a node
/// demoted by a failover answers every write READONLY until the client moves on, so it is not ready
/// either. Stalled (a timeout), BUSY with a script or LOADING its data, it is not ready. When the
/// client itself holds every node for a replica (it learnt of a demotion), the topology is read again,
/// so a node promoted back is written to as soon as this check next runs, not at the client's next
/// periodic configuration check (a minute by default).
/// </summary>
public sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var servers = redis.GetServers();
            var primaries = servers.Where(s => !s.IsReplica).ToArray();
            if (primaries.Length == 0 && servers.Any(s => s.IsConnected))
            {
                await redis.ConfigureAsync().WaitAsync(Timeout, cancellationToken);
                return HealthCheckResult.Unhealthy("Redis has no primary (failing over?)");
            }
            if (primaries.Length == 0 || primaries.Any(s => !s.IsConnected))
            {
                return HealthCheckResult.Unhealthy("Redis is not connected");
            }
            // PING is refused while Redis is LOADING (ROLE is not); ROLE says whether the node is still a primary.
            var answers = primaries.Select(async s =>
            {
                await s.PingAsync();
                return await s.RoleAsync();
            });
            var roles = await Task.WhenAll(answers).WaitAsync(Timeout, cancellationToken);
            return roles.Any(r => r is Role.Replica)
                ? HealthCheckResult.Unhealthy("Redis is a replica (failed over?): writes are answered READONLY")
                : HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (RedisFaults.IsRedis(ex) || ex is TimeoutException)
        {
            return HealthCheckResult.Unhealthy("Redis did not answer", ex);
        }
    }
}
