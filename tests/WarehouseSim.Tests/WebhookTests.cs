using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Stockcast.WarehouseSim.Model;

namespace Stockcast.WarehouseSim.Tests;

public sealed class WebhookTests
{
    // What a receiver computes: base64(HMAC-SHA256(raw body, shared secret)).
    private static string Expected(byte[] body, string secret) => Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    [Fact]
    public async Task ShipHeroSendsASignedInventoryUpdateAndInventoryChangeForEachOnHandChange()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var host = await new SimHost().LoadAsync(Scenarios.Of(Scenarios.ShipHero(receiver.Url("/shiphero"))));
        await host.AdjustAsync("sh", "MASCARA", -4);

        Assert.Equal(2, receiver.Calls.Count);
        foreach (var call in receiver.Calls)
        {
            Assert.Equal(Expected(call.Body, "shiphero-secret"), call.Headers["x-shiphero-hmac-sha256"]);
            Assert.True(call.Headers.ContainsKey("X-Shiphero-Message-ID"));
        }
        var update = JsonNode.Parse(receiver.Calls[0].Body)!;
        Assert.Equal("Inventory Update", (string)update["webhook_type"]!);
        var item = update["inventory"]![0]!;
        Assert.Equal("MASCARA", (string)item["sku"]!);
        Assert.Equal("106", (string)item["on_hand"]!);
        Assert.Equal("96", (string)item["inventory"]!);
        Assert.Equal(76733, (long)item["updated_warehouse"]!["warehouse_id"]!);

        var change = JsonNode.Parse(receiver.Calls[1].Body)!;
        Assert.Equal("Inventory Change", (string)change["webhook_type"]!);
        Assert.Equal(-4, (int)change["quantity"]!);
        Assert.Equal(110, (int)change["previous_on_hand"]!);
        Assert.Equal("AA-05-01-01", (string)change["location_name"]!);
        Assert.True(DateTime.TryParseExact((string)change["timestamp"]!, "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out _));
    }

    [Fact]
    public async Task ShopifySendsInventoryLevelsUpdateWithEveryDeliveryHeaderAndAValidHmac()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var host = await new SimHost().LoadAsync(Scenarios.Of(Scenarios.Shopify(receiver.Url("/shopify"))));
        await host.AdjustAsync("shop", "SERUM", 5);

        var call = Assert.Single(receiver.Calls);
        Assert.Equal(Expected(call.Body, "shopify-app-secret"), call.Headers["X-Shopify-Hmac-Sha256"]);
        Assert.Equal("inventory_levels/update", call.Headers["X-Shopify-Topic"]);
        Assert.Equal("stockcast-test.myshopify.com", call.Headers["X-Shopify-Shop-Domain"]);
        Assert.True(Guid.TryParse(call.Headers["X-Shopify-Webhook-Id"], out _));
        Assert.True(DateTimeOffset.TryParse(call.Headers["X-Shopify-Triggered-At"], CultureInfo.InvariantCulture, out _));

        var body = JsonNode.Parse(call.Body)!;
        Assert.Equal(655441491, (long)body["location_id"]!);
        Assert.Equal(23, (int)body["available"]!);
        var item = (long)body["inventory_item_id"]!;
        Assert.Equal($"gid://shopify/InventoryLevel/655441491?inventory_item_id={item}", (string)body["admin_graphql_api_id"]!);
        Assert.True(DateTimeOffset.TryParse((string)body["updated_at"]!, CultureInfo.InvariantCulture, out _));
    }

    [Fact]
    public async Task UnsignedWebhooksCarryNoSignatureHeader()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var host = await new SimHost().LoadAsync(Scenarios.Of(
            Scenarios.Shopify(receiver.Url("/shopify"), Signing.Unsigned),
            Scenarios.ShipHero(receiver.Url("/shiphero"), Signing.Unsigned)));
        await host.AdjustAsync("shop", "SERUM", -1);
        await host.AdjustAsync("sh", "MASCARA", -1);

        Assert.Equal(3, receiver.Calls.Count);
        Assert.All(receiver.Calls, c => Assert.False(c.Headers.ContainsKey("X-Shopify-Hmac-Sha256") || c.Headers.ContainsKey("x-shiphero-hmac-sha256")));
    }

    [Fact]
    public async Task WronglySignedWebhooksFailTheReceiversCheck()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var host = await new SimHost().LoadAsync(Scenarios.Of(
            Scenarios.Shopify(receiver.Url("/shopify"), Signing.WrongSecret),
            Scenarios.ShipHero(receiver.Url("/shiphero"), Signing.WrongSecret)));
        await host.AdjustAsync("shop", "SERUM", -1);
        await host.AdjustAsync("sh", "MASCARA", -1);

        var shopify = receiver.Calls.Single(c => c.Path == "/shopify");
        Assert.NotEqual(Expected(shopify.Body, "shopify-app-secret"), shopify.Headers["X-Shopify-Hmac-Sha256"]);
        Assert.All(receiver.Calls.Where(c => c.Path == "/shiphero"),
            c => Assert.NotEqual(Expected(c.Body, "shiphero-secret"), c.Headers["x-shiphero-hmac-sha256"]));
    }

    [Fact]
    public async Task SalesPushOneChangePerUnitAndTheDeliveryLogRecordsEachCall()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var scenario = Scenarios.Of(Scenarios.Shopify(receiver.Url("/shopify"))) with { Sales = [new SalesRate("shop", "SERUM", PerHour: 720)] };
        using var host = await new SimHost().LoadAsync(scenario);
        await host.AdvanceAsync(60);

        // 720/h is one unit every 5 s: 12 units, 12 webhooks, the last one showing what is left.
        Assert.Equal(12, receiver.Calls.Count);
        Assert.Equal(18 - 12, (int)JsonNode.Parse(receiver.Calls[^1].Body)!["available"]!);
        var log = (await host.CreateClient().GetFromJsonAsync<JsonArray>("/sim/webhooks"))!;
        Assert.Equal(12, log.Count);
        Assert.All(log, d => Assert.Equal(200, (int)d!["status"]!));
    }
}
