using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Stockcast.ServiceDefaults.Redis;

public static class RedisExtensions
{
    /// <summary>The one Redis connection of a service, plus the readiness check that pings it.</summary>
    public static IHostApplicationBuilder AddRedis(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<RedisOptions>(builder.Configuration, RedisOptions.Section);
        builder.Services.AddSingleton<RedisMetrics>();
        builder.Services.AddSingleton<MalformedEntries>();
        builder.Services.AddSingleton<IConnectionMultiplexer>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<RedisOptions>>().Value;
            var config = ConfigurationOptions.Parse(options.Configuration);
            // Start even when Redis is down: health reports NOT_SERVING and the multiplexer
            // reconnects by itself, instead of the pod crash-looping.
            config.AbortOnConnectFail = false;
            config.ClientName ??= builder.Environment.ApplicationName;
            var log = sp.GetRequiredService<ILoggerFactory>().CreateLogger("Stockcast.Redis");
            var multiplexer = ConnectionMultiplexer.Connect(config);
            multiplexer.ConnectionFailed += (_, e) => log.LogWarning("Redis connection to {Endpoint} failed: {FailureType}", e.EndPoint, e.FailureType);
            multiplexer.ConnectionRestored += (_, e) => log.LogInformation("Redis connection to {Endpoint} restored", e.EndPoint);
            sp.GetRequiredService<RedisMetrics>().Observe(multiplexer);
            return multiplexer;
        });
        builder.Services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", tags: [HealthTags.Ready]);
        return builder;
    }
}
