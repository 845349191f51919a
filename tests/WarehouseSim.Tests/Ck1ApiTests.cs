using System.Net;
using System.Net.Http.Json;
using Stockcast.WarehouseSim.Model;

namespace Stockcast.WarehouseSim.Tests;

public sealed class Ck1ApiTests
{
    private static JsonContent Query(string warehouseId, IEnumerable<string> skus) => JsonContent.Create(new { WarehouseId = warehouseId, Skus = skus.ToArray() });

    [Fact]
    public async Task AQueryReturnsOneRecordPerKnownSkuInCk1FieldNames()
    {
        using var host = await new SimHost().LoadAsync(Scenarios.Of(Scenarios.Ck1(skus: 3)));
        using var response = await host.Ck1().PostAsync("/v1/inventories", Query("US", [Scenarios.Sku(0), Scenarios.Sku(2), "NOT-STOCKED"]));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var records = (await SimHost.JsonAsync(response)).AsArray();
        Assert.Equal([Scenarios.Sku(0), Scenarios.Sku(2)], records.Select(r => (string)r!["Sku"]!));
        var r = records[1]!;
        Assert.Equal("US", (string)r["WarehouseId"]!);
        Assert.Equal(42, (int)r["TotalStockQty"]!);
        Assert.Equal(38, (int)r["AvailStockQty"]!);
        Assert.Equal(12, (int)r["InTransitStockQty"]!);
        Assert.StartsWith(Scenarios.Sku(2) + "_MN", (string)r["Ck1Sku"]!);
        Assert.True(DateTimeOffset.TryParse((string)r["CreateTime"]!, out _));
    }

    [Fact]
    public async Task TheGetFormTakesCommaSeparatedSkus()
    {
        using var host = await new SimHost().LoadAsync(Scenarios.Of(Scenarios.Ck1(skus: 2)));
        var records = (await SimHost.JsonAsync(await host.Ck1().GetAsync($"/v1/inventories?Skus={Scenarios.Sku(0)},{Scenarios.Sku(1)}&WarehouseId=US"))).AsArray();
        Assert.Equal(2, records.Count);
    }

    [Fact]
    public async Task MoreThanThirtySkusIsAModelStateError()
    {
        using var host = await new SimHost().LoadAsync(Scenarios.Of(Scenarios.Ck1(skus: 31)));
        using var thirty = await host.Ck1().PostAsync("/v1/inventories", Query("US", Enumerable.Range(0, 30).Select(Scenarios.Sku)));
        Assert.Equal(HttpStatusCode.OK, thirty.StatusCode);

        using var response = await host.Ck1().PostAsync("/v1/inventories", Query("US", Enumerable.Range(0, 31).Select(Scenarios.Sku)));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await SimHost.JsonAsync(response);
        Assert.Equal("The request is invalid.", (string)body["Message"]!);
        Assert.NotNull(body["ModelState"]!["request.Skus"]);
    }

    [Fact]
    public async Task AnUnknownWarehouseOrAMissingTokenIsRejected()
    {
        using var host = await new SimHost().LoadAsync(Scenarios.Of(Scenarios.Ck1()));
        using var unknown = await host.Ck1().PostAsync("/v1/inventories", Query("UK", [Scenarios.Sku(0)]));
        using var anonymous = await host.Ck1(token: null).PostAsync("/v1/inventories", Query("US", [Scenarios.Sku(0)]));
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task ANegativeQuantityIsServedWhenAsked()
    {
        var scenario = Scenarios.Of(Scenarios.Ck1(skus: 1)) with { Malformed = [new MalformedRecord("ck1", Scenarios.Sku(0), Quirk.NegativeQuantity)] };
        using var host = await new SimHost().LoadAsync(scenario);
        var record = (await SimHost.JsonAsync(await host.Ck1().PostAsync("/v1/inventories", Query("US", [Scenarios.Sku(0)]))))[0]!;
        Assert.True((int)record["TotalStockQty"]! < 0);
    }
}
