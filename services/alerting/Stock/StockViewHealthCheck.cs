using Microsoft.Extensions.Diagnostics.HealthChecks;
using Stockcast.Alerting.Catalog;

namespace Stockcast.Alerting.Stock;

/// <summary>Not ready until the ledger has been listed and the catalogue read once: Preflight and the rules need the whole picture.</summary>
public sealed class StockViewHealthCheck(StockView view, CatalogStore catalog) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        => Task.FromResult(!view.Loaded.IsCompletedSuccessfully ? HealthCheckResult.Unhealthy("still listing the stock-ledger")
            : !catalog.Loaded.IsCompletedSuccessfully ? HealthCheckResult.Unhealthy("still reading rules, products and streams")
            : HealthCheckResult.Healthy());
}
