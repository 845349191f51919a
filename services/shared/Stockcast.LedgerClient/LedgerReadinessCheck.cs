using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Stockcast.LedgerClient;

/// <summary>Unhealthy until the mirror's first complete read of its ledger.</summary>
public sealed class LedgerReadinessCheck(StockMirror mirror) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        => Task.FromResult(mirror.Loaded.IsCompletedSuccessfully
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy($"still reading the {mirror.Name} stock-ledger"));
}
