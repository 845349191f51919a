using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Stockcast.Alerting.Stock;

/// <summary>Not ready until the ledger has been listed once: Preflight and the rules need the whole picture.</summary>
public sealed class StockViewHealthCheck(StockView view) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        => Task.FromResult(view.Loaded.IsCompletedSuccessfully
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("still listing the stock-ledger"));
}
