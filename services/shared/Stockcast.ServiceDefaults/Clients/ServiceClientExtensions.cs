using Grpc.Core;
using Grpc.Net.Client.Balancer;
using Grpc.Net.Client.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Stockcast.ServiceDefaults.Clients;

/// <summary>The one way a service registers a gRPC client of another Stockcast service.</summary>
public static class ServiceClientExtensions
{
    /// <summary>A headless Service's addresses follow the pods: look again this often, so new replicas get calls too.</summary>
    private static readonly TimeSpan DnsRefresh = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Registers the gRPC client <typeparamref name="TClient"/> called <paramref name="name"/> with
    /// Grpc.Net.ClientFactory (<c>GrpcClientFactory.CreateClient&lt;TClient&gt;(name)</c>): the API key
    /// added by one call credential, <c>dns:///</c> addresses balanced round-robin over every pod, and
    /// with <see cref="ServiceTlsOptions.CaPath"/> set, TLS trusting only that CA.
    /// <paramref name="endpoint"/> is read when the channel is first needed, so it may come from validated options.
    /// </summary>
    public static IHttpClientBuilder AddServiceClient<TClient>(this IServiceCollection services, string name, Func<IServiceProvider, ServiceEndpoint> endpoint)
        where TClient : class
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ResolverFactory>(new DnsResolverFactory(DnsRefresh)));
        return services.AddGrpcClient<TClient>(name, (sp, client) => client.Address = endpoint(sp).Address)
            // Pings find a silently dropped connection (a peer across a WAN) instead of waiting on it
            // for ever; several HTTP/2 connections, as gRPC's own default handler allows.
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                var handler = new SocketsHttpHandler
                {
                    KeepAlivePingDelay = TimeSpan.FromSeconds(20),
                    KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
                    EnableMultipleHttp2Connections = true,
                };
                var tls = ServiceTlsOptions.Of(sp);
                if (tls.Enabled)
                {
                    handler.SslOptions.RemoteCertificateValidationCallback = CaTrust.FromPemFile(tls.CaPath).Validate;
                }
                return handler;
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
                // In-cluster calls are plaintext HTTP/2 unless TLS is on; the key still has to go with them.
                channel.UnsafeUseInsecureChannelCallCredentials = true;
                if (endpoint(sp).IsBalanced)
                {
                    // A dns:/// address has no scheme to say https: the channel's credentials do.
                    channel.Credentials = ServiceTlsOptions.Of(sp).Enabled ? ChannelCredentials.SecureSsl : ChannelCredentials.Insecure;
                    channel.ServiceConfig = new ServiceConfig { LoadBalancingConfigs = { new RoundRobinConfig() } };
                }
            });
    }
}
