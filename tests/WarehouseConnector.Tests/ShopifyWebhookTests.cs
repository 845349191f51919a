using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Stockcast.Connector.V1;
using Stockcast.Testing;

namespace Stockcast.Connector.Tests;

/// <summary>Shopify inventory_levels/update webhooks, shaped, headed and signed as Shopify sends them.</summary>
public sealed class ShopifyWebhookTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private const string Warehouse = "us-shopify";
    private const string Secret = "shopify-app-secret-for-tests";
    private ConnectorHost _host = null!;

    public async Task InitializeAsync() => _host = await ConnectorHost.StartAsync(redis.Configuration, new Dictionary<string, string?>
    {
        ["Connector:Feeds:2:WarehouseId"] = Warehouse,
        ["Connector:Feeds:2:Source"] = "shopify",
        ["Connector:Feeds:2:WebhookSecret"] = Secret,
        ["Connector:Feeds:2:ExternalId"] = "655441491",
        ["Connector:Feeds:2:SkuMap:808950810"] = "SERUM-30ML",
    });

    public Task DisposeAsync()
    {
        _host.Dispose();
        return Task.CompletedTask;
    }

    private static string Level(long item, long location, int available, DateTimeOffset at) => JsonSerializer.Serialize(new
    {
        inventory_item_id = item,
        location_id = location,
        available,
        updated_at = at.ToString("yyyy-MM-ddTHH:mm:sszzz"),
        admin_graphql_api_id = $"gid://shopify/InventoryLevel/{location}?inventory_item_id={item}",
    });

    private Task<HttpResponseMessage> DeliverAsync(string body, string? secret = Secret)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/webhooks/shopify/{Warehouse}") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Shopify-Topic", "inventory_levels/update");
        request.Headers.Add("X-Shopify-Webhook-Id", Guid.NewGuid().ToString());
        if (secret is not null)
        {
            request.Headers.Add("X-Shopify-Hmac-Sha256", Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body))));
        }
        return _host.CreateClient().SendAsync(request);
    }

    [Fact]
    public async Task AVerifiedLevelUpdateSetsTheMappedSkusAvailableStock()
    {
        var response = await DeliverAsync(Level(808950810, 655441491, 42, DateTimeOffset.UtcNow.AddSeconds(-2)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(42, (await _host.LedgerRecordAsync(Warehouse, "SERUM-30ML"))!.Quantities.Available);
    }

    [Fact]
    public async Task AnUnsignedOrWronglySignedUpdateIsRefusedAndChangesNothing()
    {
        var body = Level(808950810, 655441491, 999, DateTimeOffset.UtcNow.AddSeconds(-2));

        var unsigned = await DeliverAsync(body, secret: null);
        var wrong = await DeliverAsync(body, secret: "some-other-app-secret");

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized], new[] { unsigned.StatusCode, wrong.StatusCode });
        Assert.Null(await _host.LedgerRecordAsync(Warehouse, "SERUM-30ML"));
    }

    [Fact]
    public async Task AnOlderUpdateDeliveredAgainWithANewWebhookIdDoesNotOverwriteNewerStock()
    {
        var older = Level(808950810, 655441491, 12, DateTimeOffset.UtcNow.AddSeconds(-20));
        var newer = Level(808950810, 655441491, 11, DateTimeOffset.UtcNow.AddSeconds(-10));
        await DeliverAsync(older);
        await DeliverAsync(newer);

        // Every delivery carries a fresh X-Shopify-Webhook-Id (unsigned): the signed updated_at orders them.
        var replayed = await DeliverAsync(older);
        var again = await DeliverAsync(newer);

        var applied = new[]
        {
            (await replayed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("applied").GetInt32(),
            (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("applied").GetInt32(),
        };
        Assert.Equal([0, 0], applied);
        Assert.Equal(11, (await _host.LedgerRecordAsync(Warehouse, "SERUM-30ML"))!.Quantities.Available);
    }

    [Fact]
    public async Task AnUnmappedItemOrAnotherLocationIsDeadLetteredWithTheReason()
    {
        var unmapped = await DeliverAsync(Level(111, 655441491, 5, DateTimeOffset.UtcNow.AddSeconds(-2)));
        var elsewhere = await DeliverAsync(Level(808950810, 999, 5, DateTimeOffset.UtcNow.AddSeconds(-2)));

        Assert.Equal(1, (await unmapped.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("deadLettered").GetInt32());
        Assert.Equal(1, (await elsewhere.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("deadLettered").GetInt32());
        var reasons = (await _host.Client().ListDeadLettersAsync(new ListDeadLettersRequest { WarehouseId = Warehouse })).DeadLetters.Select(l => l.Reason).ToList();
        Assert.Contains(reasons, r => r.StartsWith("inventory_item_id: 111 has no SKU", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.StartsWith("location_id: 999 is not this warehouse's Shopify location", StringComparison.Ordinal));
    }
}
