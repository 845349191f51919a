using Grpc.Core;
using Grpc.Net.Client.Balancer;
using Grpc.Net.Client.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Stockcast.Ledger.V1;
using Stockcast.ServiceDefaults;

namespace Stockcast.LedgerClient;

public static class LedgerClientExtensions
{
    /// <summary>A headless Service's addresses follow the pods: look again this often, so new replicas get calls too.</summary>
    private static readonly TimeSpan DnsRefresh = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Registers the ledger client called <paramref name="name"/> ("local", or a peer region):
    /// <c>GrpcClientFactory.CreateClient&lt;StockLedger.StockLedgerClient&gt;(name)</c>, and
    /// <see cref="LedgerMirrors"/> to follow it. <paramref name="endpoint"/> is read when the
    /// channel is first needed, so it may come from validated options.
    /// </summary>
    public static IHttpClientBuilder AddLedgerClient(this IServiceCollection services, string name, Func<IServiceProvider, LedgerEndpoint> endpoint)
    {
        services.TryAddSingleton<LedgerClientMetrics>();
        services.TryAddSingleton<LedgerMirrors>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ResolverFactory>(new DnsResolverFactory(DnsRefresh)));
        return services.AddGrpcClient<StockLedger.StockLedgerClient>(name, (sp, client) => client.Address = endpoint(sp).Address)
            // Pings find a silently dropped connection (a peer across a WAN) instead of waiting on it
            // for ever; several HTTP/2 connections, as gRPC's own default handler allows.
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                KeepAlivePingDelay = TimeSpan.FromSeconds(20),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
                EnableMultipleHttp2Connections = true,
            })
            .AddCallCredentials((_, metadata, sp) =>
            {
                var key = endpoint(sp).ApiKey;
                if (key.Length > 0)
                {
                    metadata.Add("Authorization", "Bearer " + key);
                }
                return Task.CompletedTask;
            })
            .ConfigureChannel((sp, channel) =>
            {
                // In-cluster calls are plaintext HTTP/2; the key still has to go with them.
                channel.UnsafeUseInsecureChannelCallCredentials = true;
                if (endpoint(sp).IsBalanced)
                {
                    channel.Credentials = ChannelCredentials.Insecure;
                    channel.ServiceConfig = new ServiceConfig { LoadBalancingConfigs = { new RoundRobinConfig() } };
                }
            });
    }

    /// <summary>Not ready until the ledger called <paramref name="name"/> has been read once: nothing is judged on a half-loaded mirror.</summary>
    public static IHealthChecksBuilder AddLedgerReadiness(this IHealthChecksBuilder builder, string name)
        => builder.Add(new HealthCheckRegistration(
            $"ledger-{name}",
            sp => new LedgerReadinessCheck(sp.GetRequiredService<LedgerMirrors>().Mirror(name)),
            failureStatus: null,
            tags: [HealthTags.Ready]));
}
