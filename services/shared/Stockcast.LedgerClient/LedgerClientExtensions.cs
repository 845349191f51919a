using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Stockcast.Ledger.V1;
using Stockcast.ServiceDefaults;
using Stockcast.ServiceDefaults.Clients;

namespace Stockcast.LedgerClient;

public static class LedgerClientExtensions
{
    /// <summary>
    /// Registers the ledger client called <paramref name="name"/> ("local", or a peer region) as every
    /// service client is registered (<see cref="ServiceClientExtensions.AddServiceClient"/>), and
    /// <see cref="LedgerMirrors"/> to follow it.
    /// </summary>
    public static IHttpClientBuilder AddLedgerClient(this IServiceCollection services, string name, Func<IServiceProvider, ServiceEndpoint> endpoint)
    {
        services.TryAddSingleton<LedgerClientMetrics>();
        services.TryAddSingleton<LedgerMirrors>();
        return services.AddServiceClient<StockLedger.StockLedgerClient>(name, endpoint);
    }

    /// <summary>Not ready until the ledger called <paramref name="name"/> has been read once: nothing is judged on a half-loaded mirror.</summary>
    public static IHealthChecksBuilder AddLedgerReadiness(this IHealthChecksBuilder builder, string name)
        => builder.Add(new HealthCheckRegistration(
            $"ledger-{name}",
            sp => new LedgerReadinessCheck(sp.GetRequiredService<LedgerMirrors>().Mirror(name)),
            failureStatus: null,
            tags: [HealthTags.Ready]));
}
