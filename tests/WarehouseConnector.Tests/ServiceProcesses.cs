using System.Globalization;
using System.Text.Json;
using Grpc.Net.Client;
using Stockcast.Ledger.V1;
using Stockcast.Testing;

namespace Stockcast.Connector.Tests;

/// <summary>The four warehouse quantities the process tests compare.</summary>
public sealed record Figures(long OnHand, long Available, long Reserved, long Inbound)
{
    public static Figures Of(Quantities q) => new(q.OnHand, q.Available, q.Reserved, q.Inbound);
}

/// <summary>One SKU's truth at a simulated warehouse (GET /sim/state).</summary>
public sealed record SkuTruth(string Sku, long OnHand, long Committed, long Inbound, long Available, long Sold, long RemovedByStockOut, long Adjusted)
{
    /// <summary>What the ledger must hold for it (the warehouse's committed units are its reserved).</summary>
    public Figures Expected => new(OnHand, Available, Committed, Inbound);
}

/// <summary>What the tests that run the services as processes share: a ledger, scrapes, the truth to compare with.</summary>
public static class ServiceProcesses
{
    /// <summary>A ledger process with these warehouses registered (region us-east, market US unless given).</summary>
    public static async Task<LedgerProcess> StartLedgerAsync(string redisConfiguration, params string[] warehouses)
    {
        var settings = new Dictionary<string, string>();
        for (var i = 0; i < warehouses.Length; i++)
        {
            settings[$"Ledger:Warehouses:{i}:Id"] = warehouses[i];
            settings[$"Ledger:Warehouses:{i}:Region"] = "us-east";
            settings[$"Ledger:Warehouses:{i}:Markets:0"] = "US";
        }
        var ledger = new LedgerProcess(redisConfiguration, settings);
        try
        {
            await ledger.StartAsync();
            using var channel = TestChannels.WithApiKey(ledger.GrpcAddress, LedgerProcess.ReaderKey);
            var client = new StockLedger.StockLedgerClient(channel);
            await Eventually.TrueAsync(async () => (await client.ListWarehousesAsync(new ListWarehousesRequest())).Warehouses.Count == warehouses.Length, "the ledger registered its warehouses");
            return ledger;
        }
        catch
        {
            ledger.Dispose();
            throw;
        }
    }

    /// <summary>One series of a Prometheus scrape; 0 when it has not been written yet.</summary>
    public static async Task<double> MetricAsync(ServiceProcess service, string series)
    {
        var scrape = await service.MetricsAsync();
        var line = scrape.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }

    /// <summary>The simulated warehouse's true stock, SKU by SKU.</summary>
    public static async Task<List<SkuTruth>> TruthAsync(Simulator sim, string simWarehouse)
    {
        using var state = JsonDocument.Parse(await sim.StateAsync());
        var warehouse = state.RootElement.GetProperty("warehouses").EnumerateArray().Single(w => w.GetProperty("id").GetString() == simWarehouse);
        return [.. warehouse.GetProperty("skus").EnumerateArray().Select(s => new SkuTruth(
            s.GetProperty("sku").GetString()!, s.GetProperty("onHand").GetInt64(), s.GetProperty("committed").GetInt64(),
            s.GetProperty("inbound").GetInt64(), s.GetProperty("available").GetInt64(), s.GetProperty("sold").GetInt64(),
            s.GetProperty("removedByStockOut").GetInt64(), s.GetProperty("adjusted").GetInt64()))];
    }

    /// <summary>What the ledger holds for a warehouse (up to 1000 SKUs), by SKU.</summary>
    public static async Task<Dictionary<string, Figures>> LedgerStockAsync(StockLedger.StockLedgerClient ledger, string warehouse)
    {
        var page = await ledger.ListStockAsync(new ListStockRequest { WarehouseId = warehouse, PageSize = 1000 });
        return page.Records.ToDictionary(r => r.Sku, r => Figures.Of(r.Quantities));
    }

    /// <summary>Every SKU whose ledger figures are not the warehouse's.</summary>
    public static List<string> Differences(IEnumerable<SkuTruth> truth, Dictionary<string, Figures> ledger)
        => [.. truth
            .Select(t => (t.Sku, Truth: t.Expected, Ledger: ledger.GetValueOrDefault(t.Sku)))
            .Where(x => x.Ledger != x.Truth)
            .Select(x => $"{x.Sku}: ledger {x.Ledger?.ToString() ?? "nothing"}, warehouse {x.Truth}")];
}
