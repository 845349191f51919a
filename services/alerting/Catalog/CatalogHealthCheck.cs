using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Stockcast.Alerting.Catalog;

/// <summary>Not ready until rules, products and streams have been read once: Preflight and the rules need the whole picture (the ledger has its own check).</summary>
public sealed class CatalogHealthCheck(CatalogStore catalog) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        => Task.FromResult(catalog.Loaded.IsCompletedSuccessfully ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("still reading rules, products and streams"));
}
