using System.Text.Json;
using Stockcast.Connector.V1;
using Stockcast.Testing;

namespace Stockcast.Connector.Tests;

/// <summary>The CK1 adapter against the simulated CK1 API: 30 SKUs a call, PascalCase fields.</summary>
public sealed class Ck1FeedTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private const string Warehouse = "eu-ck1";
    private const string Token = "ck1-connector-test-token";
    private readonly Simulator _sim = new();
    private ConnectorHost _host = null!;

    public async Task InitializeAsync()
    {
        var stock = string.Join(",", Enumerable.Range(0, 70).Select(i => $$"""{"sku":"CK-{{i:D2}}","onHand":{{50 + i}},"committed":{{i % 4}},"inbound":{{i % 5 * 10}}}"""));
        await _sim.LoadAsync($$"""
            {"start":"2026-01-05T00:00:00Z",
             "warehouses":[{"id":"ck","kind":"Ck1","token":"{{Token}}","externalId":"DE","stock":[{{stock}}]}]}
            """);
        var settings = new Dictionary<string, string?>
        {
            ["Connector:Feeds:2:WarehouseId"] = Warehouse,
            ["Connector:Feeds:2:Source"] = "ck1",
            ["Connector:Feeds:2:BaseUrl"] = _sim.Server.BaseAddress.ToString(),
            ["Connector:Feeds:2:Credentials"] = Token,
            ["Connector:Feeds:2:ExternalId"] = "DE",
            ["Connector:Feeds:2:PollIntervalSeconds"] = "3600",
        };
        for (var i = 0; i < 70; i++)
        {
            settings[$"Connector:Feeds:2:Skus:{i}"] = $"CK-{i:D2}";
        }
        _host = await ConnectorHost.StartAsync(redis.Configuration, settings, _sim.Server.CreateHandler);
    }

    public Task DisposeAsync()
    {
        _host.Dispose();
        _sim.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task AFullSyncAsksThirtySkusAtATimeAndMapsCk1sQuantities()
    {
        var sync = await _host.Client().TriggerFullSyncAsync(new TriggerFullSyncRequest { WarehouseId = Warehouse });

        Assert.Equal(70, sync.RecordsReceived);
        using var state = JsonDocument.Parse(await _sim.StateAsync());
        var truth = state.RootElement.GetProperty("warehouses")[0].GetProperty("skus").EnumerateArray().Single(s => s.GetProperty("sku").GetString() == "CK-69");
        var record = await _host.LedgerRecordAsync(Warehouse, "CK-69");
        Assert.Equal(truth.GetProperty("onHand").GetInt64(), record!.Quantities.OnHand);
        Assert.Equal(truth.GetProperty("available").GetInt64(), record.Quantities.Available);
        Assert.Equal(truth.GetProperty("inbound").GetInt64(), record.Quantities.Inbound);
        Assert.Equal(69 % 4, record.Quantities.Reserved);
    }

    [Fact]
    public async Task ANonNumericStockQuantityIsDeadLetteredNamingTheField()
    {
        await _sim.MalformAsync("ck", "CK-05", "NonNumericQuantity");

        var sync = await _host.Client().TriggerFullSyncAsync(new TriggerFullSyncRequest { WarehouseId = Warehouse });

        Assert.Equal(1, sync.RecordsDeadLettered);
        var letter = Assert.Single((await _host.Client().ListDeadLettersAsync(new ListDeadLettersRequest { WarehouseId = Warehouse })).DeadLetters);
        Assert.StartsWith("TotalStockQty: '\"12 pcs\"' is not a whole number", letter.Reason);
        Assert.Null(await _host.LedgerRecordAsync(Warehouse, "CK-05"));
    }

    // The quirk corpus: CK1's inventory records as its open API documents them and accounts send them.

    [Theory]
    [InlineData("ControlCharacterSku", "Sku: ")]
    [InlineData("NullQuantity", "TotalStockQty: required, but null")]
    [InlineData("NegativeAvailable", "AvailStockQty: must not be negative")]
    public async Task ARecordCk1SendsBrokenIsDeadLetteredWithItsFieldWhileTheOthersAreApplied(string quirk, string reason)
    {
        await _sim.MalformAsync("ck", "CK-05", quirk);

        var sync = await _host.Client().TriggerFullSyncAsync(new TriggerFullSyncRequest { WarehouseId = Warehouse });

        Assert.Equal((70, 1), (sync.RecordsReceived, sync.RecordsDeadLettered));
        Assert.StartsWith(reason, Assert.Single((await _host.Client().ListDeadLettersAsync(new ListDeadLettersRequest { WarehouseId = Warehouse })).DeadLetters).Reason);
        Assert.NotNull(await _host.LedgerRecordAsync(Warehouse, "CK-06"));
    }

    [Fact]
    public async Task AStockQuantityCk1SendsAsAStringOfDigitsIsApplied()
    {
        await _sim.MalformAsync("ck", "CK-05", "NumericStringQuantity");

        var sync = await _host.Client().TriggerFullSyncAsync(new TriggerFullSyncRequest { WarehouseId = Warehouse });

        Assert.Equal(0, sync.RecordsDeadLettered);
        Assert.Equal(55, (await _host.LedgerRecordAsync(Warehouse, "CK-05"))!.Quantities.OnHand);
    }
}
