using Google.Protobuf;
using Stockcast.Ledger.V1;
using Stockcast.Testing;
using Stockcast.Testing.BadInput;

namespace Stockcast.Ledger.Tests;

/// <summary>
/// Thousands of generated bad requests to every method of the ledger's gRPC API (one field of a valid
/// request spoiled, or a random message): each is refused with a client status naming the field, or
/// taken as valid; a refused one changes nothing, read back through the API; the ledger still serves.
/// </summary>
public sealed class BadRequestTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private const int PerMethod = 200;

    [Fact]
    public async Task GeneratedBadRequestsAreRefusedNamingTheFieldAndChangeNothing()
    {
        // Holds are swept once a minute at most, not every 50 ms: a sweep between two reads would look like a refused request that changed something.
        using var host = await new LedgerHost(redis.Configuration, settings: new Dictionary<string, string?> { ["Ledger:ExpirySweepIntervalMs"] = "60000" }).ReadyAsync();
        var client = host.Client();
        await client.ApplyAsync(Stock.Snapshot("us-east", "TEE-1", 1000, version: 1), Stock.Snapshot("us-west", "TEE-2", 1000, version: 1));
        await client.ReserveAsync(new ReserveRequest { OrderId = "held-1", Sku = "TEE-1", Market = "US", Quantity = 1, HoldSeconds = 3600 });
        var fuzz = new GrpcFuzz(host.Channel(LedgerHost.WriterKey).CreateCallInvoker(), StockLedger.Descriptor, async () =>
        {
            var stock = await client.ListStockAsync(new ListStockRequest { PageSize = 1000 });
            var warehouses = await client.ListWarehousesAsync(new ListWarehousesRequest());
            var held = await client.GetReservationAsync(new GetReservationRequest { OrderId = "held-1" });
            return $"{stock} {warehouses} {held}";
        });
        var good = 0;

        await fuzz.RunAsync(Seeds(), PerMethod, async () =>
        {
            var sku = $"GOOD-{++good}";
            await client.ApplyAsync(Stock.Snapshot("eu-de", sku, 7, version: 1));
            Assert.Equal(7, await client.AtpAsync(sku, "DE"));
        });

        ReliabilityReport.WriteSection("bad-input-ledger-grpc", fuzz.Tally.Markdown("stock-ledger gRPC",
            $"Every method of `stockcast.ledger.v1.StockLedger`, {PerMethod} generated requests each (BadRequestTests): " +
            "a valid request with one field spoiled, or a random message."));
        fuzz.Tally.AssertNoViolations();
    }

    private static Dictionary<string, IMessage[]> Seeds()
    {
        var batch = new ApplyStockEventsRequest
        {
            BatchId = "b-1",
            Events = { Stock.Snapshot("us-east", "TEE-3", 5, version: 2), Stock.Delta("us-west", "TEE-2", "e-1", -1) },
            Fence = new WriterFence { Name = "feed:us-east-fuzz", Term = 1 },
        };
        return new()
        {
            ["RegisterWarehouse"] = [new RegisterWarehouseRequest { Warehouse = new Warehouse { WarehouseId = "us-south", Region = "us-south", Markets = { "US" }, AllocationDelayMs = 1000 } }],
            ["ListWarehouses"] = [new ListWarehousesRequest()],
            ["ApplyStockEvents"] = [batch],
            ["GetStock"] = [new GetStockRequest { Sku = "TEE-1", WarehouseId = "us-east" }],
            ["BatchGetStock"] = [new BatchGetStockRequest { Keys = { new StockKey { Sku = "TEE-1", WarehouseId = "us-east" }, new StockKey { Sku = "TEE-2", WarehouseId = "us-west" } } }],
            ["ListStock"] = [new ListStockRequest { WarehouseId = "us-east", PageSize = 10 }, new ListStockRequest { SkuPrefix = "TEE", PageSize = 10 }],
            ["GetAvailability"] = [new GetAvailabilityRequest { Sku = "TEE-1", Market = "US" }],
            ["Reserve"] = [new ReserveRequest { OrderId = "o-1", Sku = "TEE-1", Market = "US", Quantity = 1, HoldSeconds = 600 }],
            ["Release"] = [new ReleaseRequest { OrderId = "o-1" }],
            ["Commit"] = [new CommitRequest { OrderId = "o-1" }],
            ["GetReservation"] = [new GetReservationRequest { OrderId = "o-1" }],
            ["Watch"] = [new WatchRequest { StartRevision = 1, Skus = { "TEE-1" }, WarehouseIds = { "us-east" }, Market = "US", ProgressIntervalSeconds = 5 }],
        };
    }
}
