using Stockcast.WarehouseSim.Model;

namespace Stockcast.WarehouseSim.Tests;

/// <summary>Deterministic scenarios the tests build on.</summary>
public static class Scenarios
{
    public const string ShipBobToken = "shipbob-test-token";
    public const string AmazonToken = "Atza|amazon-test-token";
    public const string Ck1Token = "ck1-test-token";
    public const string Marketplace = "ATVPDKIKX0DER";

    public static WarehouseSpec ShipBob(int skus = 3) => new()
    {
        Id = "sb",
        Kind = ApiKind.ShipBob,
        Token = ShipBobToken,
        Locations = [new LocationSpec(101, "Cicero (IL)"), new LocationSpec(102, "Moreno Valley (CA)")],
        Stock = [.. Enumerable.Range(0, skus).SelectMany(i => new[]
        {
            new StockLine(Sku(i), OnHand: 100 + i, Committed: 10, Inbound: 5, Location: 101),
            new StockLine(Sku(i), OnHand: 50, Location: 102),
        })],
    };

    public static WarehouseSpec Amazon(int skus = 3) => new()
    {
        Id = "fba",
        Kind = ApiKind.AmazonFba,
        Token = AmazonToken,
        ExternalId = Marketplace,
        Stock = [.. Enumerable.Range(0, skus).Select(i => new StockLine(Sku(i), OnHand: 200 + i, Committed: 20, Inbound: 30))],
    };

    public static WarehouseSpec Ck1(int skus = 3) => new()
    {
        Id = "ck1",
        Kind = ApiKind.Ck1,
        Token = Ck1Token,
        ExternalId = "US",
        Stock = [.. Enumerable.Range(0, skus).Select(i => new StockLine(Sku(i), OnHand: 40 + i, Committed: 4, Inbound: 12))],
    };

    public static WarehouseSpec ShipHero(string url, Signing signing = Signing.Valid) => new()
    {
        Id = "sh",
        Kind = ApiKind.ShipHero,
        ExternalId = "76733",
        Webhook = new WebhookSpec(url, "shiphero-secret", signing),
        Locations = [new LocationSpec(1, "AA-05-01-01")],
        Stock = [new StockLine("MASCARA", OnHand: 110, Committed: 10)],
    };

    public static WarehouseSpec Shopify(string url, Signing signing = Signing.Valid) => new()
    {
        Id = "shop",
        Kind = ApiKind.Shopify,
        ExternalId = "stockcast-test.myshopify.com",
        Webhook = new WebhookSpec(url, "shopify-app-secret", signing),
        Locations = [new LocationSpec(655441491, "Toronto")],
        Stock = [new StockLine("SERUM", OnHand: 20, Committed: 2)],
    };

    public static string Sku(int i) => $"SKU-{i:D4}";

    /// <summary>Every quirk that changes a record (the others change how a webhook is delivered).</summary>
    public static readonly Quirk[] RecordQuirks = [.. Enum.GetValues<Quirk>().Except([Quirk.DuplicateDelivery, Quirk.OlderRedelivered])];

    public static TheoryData<Quirk> EachRecordQuirk => new(RecordQuirks);

    public static Scenario Of(params WarehouseSpec[] warehouses) => new() { Warehouses = [.. warehouses] };
}
