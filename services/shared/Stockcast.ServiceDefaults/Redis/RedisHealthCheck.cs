using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Stockcast.ServiceDefaults.Redis;

/// <summary>Ready only while every Redis primary answers a PING within a second.</summary>
public sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var primaries = redis.GetServers().Where(s => !s.IsReplica).ToArray();
            if (primaries.Length == 0 || primaries.Any(s => !s.IsConnected))
            {
                return HealthCheckResult.Unhealthy("Redis is not connected");
            }
            await Task.WhenAll(primaries.Select(s => s.PingAsync().WaitAsync(Timeout, cancellationToken)));
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (RedisFaults.IsRedis(ex) || ex is TimeoutException)
        {
            return HealthCheckResult.Unhealthy("Redis did not answer PING", ex);
        }
    }
}
