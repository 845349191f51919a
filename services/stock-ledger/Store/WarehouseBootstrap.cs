using Microsoft.Extensions.Options;
using Stockcast.Ledger.V1;
using Stockcast.ServiceDefaults.Resilience;

namespace Stockcast.Ledger.Store;

/// <summary>Registers the warehouses named in configuration (Helm values), retrying until Redis answers.</summary>
public sealed class WarehouseBootstrap(StockStore store, IOptions<LedgerOptions> options, TimeProvider clock, ILogger<WarehouseBootstrap> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var pending = options.Value.Warehouses;
        if (pending.Count == 0)
        {
            return;
        }
        var retry = Backoff.Startup(clock, (ex, wait) => log.LogWarning(ex, "Could not register configured warehouses yet; retrying in {Delay}", wait));
        await retry.ExecuteAsync(async _ =>
        {
            foreach (var w in pending)
            {
                await store.RegisterWarehouseAsync(new Warehouse { WarehouseId = w.Id, Region = w.Region, Markets = { w.Markets }, AllocationDelayMs = w.AllocationDelayMs });
            }
        }, stoppingToken);
        log.LogInformation("Registered {Count} configured warehouses", pending.Count);
    }
}
