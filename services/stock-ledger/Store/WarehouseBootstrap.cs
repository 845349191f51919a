using Microsoft.Extensions.Options;
using Stockcast.Ledger.V1;
using StackExchange.Redis;

namespace Stockcast.Ledger.Store;

/// <summary>Registers the warehouses named in configuration (Helm values), retrying until Redis answers.</summary>
public sealed class WarehouseBootstrap(StockStore store, IOptions<LedgerOptions> options, ILogger<WarehouseBootstrap> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var pending = options.Value.Warehouses;
        var delay = TimeSpan.FromMilliseconds(200);
        while (pending.Count > 0 && !stoppingToken.IsCancellationRequested)
        {
            try
            {
                foreach (var w in pending)
                {
                    await store.RegisterWarehouseAsync(new Warehouse { WarehouseId = w.Id, Region = w.Region, Markets = { w.Markets }, AllocationDelayMs = w.AllocationDelayMs });
                }
                log.LogInformation("Registered {Count} configured warehouses", pending.Count);
                return;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                log.LogWarning(ex, "Could not register configured warehouses yet; retrying in {Delay}", delay);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 10_000));
            }
        }
    }
}
