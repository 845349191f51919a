using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Stockcast.Connector.V1;
using Stockcast.Testing;

namespace Stockcast.Connector.Tests;

/// <summary>
/// ShipHero inventory webhooks, shaped and signed as ShipHero (and the simulator) sends them: what is
/// applied, what is a duplicate or a replay of an older message, what belongs to another warehouse.
/// </summary>
public sealed class ShipHeroWebhookTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private const string Warehouse = "us-shiphero";
    private const string Secret = "shiphero-shared-secret-for-tests";
    private const int ShipHeroWarehouse = 76733;
    private ConnectorHost _host = null!;

    public async Task InitializeAsync() => _host = await ConnectorHost.StartAsync(redis.Configuration, new Dictionary<string, string?>
    {
        ["Connector:Feeds:2:WarehouseId"] = Warehouse,
        ["Connector:Feeds:2:Source"] = "shiphero",
        ["Connector:Feeds:2:WebhookSecret"] = Secret,
        ["Connector:Feeds:2:ExternalId"] = ShipHeroWarehouse.ToString(),
        ["Connector:Feeds:2:ApplyInventoryChanges"] = "true",
    });

    public Task DisposeAsync()
    {
        _host.Dispose();
        return Task.CompletedTask;
    }

    private static string Update(string sku, int onHand, int available, int warehouseId = ShipHeroWarehouse) => JsonSerializer.Serialize(new
    {
        webhook_type = "Inventory Update",
        account_id = 63001,
        inventory = new[]
        {
            new
            {
                sku, inventory = available.ToString(), backorder_quantity = "0", on_hand = onHand.ToString(), reserve = 0, non_sellable = 0, @virtual = false,
                updated_warehouse = new { warehouse_id = warehouseId, identifier = "Primary" },
            },
        },
    });

    /// <summary>A change stamped now (ShipHero stamps to the second): after any Update delivered before it.</summary>
    private static string Change(string sku, int quantity, int warehouseId = ShipHeroWarehouse, DateTime? sentAt = null) => JsonSerializer.Serialize(new
    {
        webhook_type = "Inventory Change",
        warehouse_id = warehouseId,
        sku,
        quantity,
        previous_on_hand = 10,
        timestamp = (sentAt ?? DateTime.UtcNow.AddSeconds(1)).ToString("yyyy-MM-dd HH:mm:ss"),
        reason = "order shipped",
    });

    private Task<HttpResponseMessage> DeliverAsync(string body, string? signature, string messageId = "")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/webhooks/shiphero/{Warehouse}") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (signature is not null)
        {
            request.Headers.Add("x-shiphero-hmac-sha256", signature);
        }
        if (messageId.Length > 0)
        {
            request.Headers.Add("X-Shiphero-Message-ID", messageId);
        }
        return _host.CreateClient().SendAsync(request);
    }

    private static string Sign(string body, string secret = Secret)
        => Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body)));

    [Fact]
    public async Task ASignedInventoryUpdateSetsTheLedgersFigures()
    {
        var body = Update("MASCARA-BLK", onHand: 80, available: 77);

        var response = await DeliverAsync(body, Sign(body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var record = await _host.LedgerRecordAsync(Warehouse, "MASCARA-BLK");
        Assert.Equal((80L, 77L), (record!.Quantities.OnHand, record.Quantities.Available));
    }

    [Fact]
    public async Task AnItemThatIsNotAnObjectIsDeadLetteredWhileTheGoodItemOfTheUpdateIsApplied()
    {
        // Found by the generated bad webhooks: reading a member of a number or string answered 500 for the whole update.
        var body = Update("BLUSH-PINK", onHand: 6, available: 5).Replace("\"inventory\":[", "\"inventory\":[\"12 pcs\",", StringComparison.Ordinal);

        var response = await DeliverAsync(body, Sign(body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("deadLettered").GetInt32());
        Assert.Equal(5, (await _host.LedgerRecordAsync(Warehouse, "BLUSH-PINK"))!.Quantities.Available);
    }

    [Theory]
    [InlineData("{\"webhook_type\":\"Inventory Update\",\"webhook_type\":\"Inventory Change\"}")]
    [InlineData("[1, 2]")]
    public async Task ABodyWithDuplicateKeysOrNoObjectIsRefusedNamingTheField(string body)
    {
        var response = await DeliverAsync(body, Sign(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).TryGetProperty("field", out _));
    }

    [Fact]
    public async Task UnsignedOrWronglySignedWebhooksAreRefusedAndChangeNothing()
    {
        var body = Update("FORGED-1", onHand: 999, available: 999);

        var unsigned = await DeliverAsync(body, signature: null);
        var wrong = await DeliverAsync(body, Sign(body, "not-the-shared-secret"));
        var tampered = await DeliverAsync(body.Replace("999", "998", StringComparison.Ordinal), Sign(body));

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized], new[] { unsigned.StatusCode, wrong.StatusCode, tampered.StatusCode });
        Assert.Null(await _host.LedgerRecordAsync(Warehouse, "FORGED-1"));
    }

    [Fact]
    public async Task AnInventoryChangeDeliveredAgainWithANewMessageIdIsAppliedOnce()
    {
        var update = Update("LIP-RED-01", onHand: 10, available: 10);
        await DeliverAsync(update, Sign(update));
        var change = Change("LIP-RED-01", quantity: -2);

        var first = await DeliverAsync(change, Sign(change), messageId: "msg-42");
        // The message id is not signed: a replay can carry any, and must still be the same change.
        var replayed = await DeliverAsync(change, Sign(change), messageId: "msg-43");

        Assert.Equal(1, await AppliedAsync(first));
        Assert.Equal(0, await AppliedAsync(replayed));
        Assert.Equal(8, (await _host.LedgerRecordAsync(Warehouse, "LIP-RED-01"))!.Quantities.Available);
    }

    [Fact]
    public async Task AnInventoryChangeSignedLongerAgoThanTheDeliveryWindowIsRefusedAsAReplayAndCounted()
    {
        var update = Update("GLOSS-CLR", onHand: 10, available: 10);
        await DeliverAsync(update, Sign(update));
        // The default window is 5 h; its signed timestamp says 6 h ago: a replay, or a retry far too late.
        var stale = Change("GLOSS-CLR", quantity: -3, sentAt: DateTime.UtcNow.AddHours(-6));
        var fresh = Change("GLOSS-CLR", quantity: -1);

        using var replayed = await DeliverAsync(stale, Sign(stale), messageId: "old-1");
        using var taken = await DeliverAsync(fresh, Sign(fresh), messageId: "new-1");

        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.OK), (replayed.StatusCode, taken.StatusCode));
        var problem = await replayed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("outside_replay_window", problem.GetProperty("reason").GetString());
        Assert.Contains("timestamp", problem.GetProperty("detail").GetString());
        Assert.Equal(9, (await _host.LedgerRecordAsync(Warehouse, "GLOSS-CLR"))!.Quantities.Available);
        Assert.Equal(1, _host.Services.GetRequiredService<Stockcast.ServiceDefaults.Limits.PublicRefusals>().Count("webhook_shiphero", Stockcast.ServiceDefaults.Limits.PublicRefusals.OutsideReplayWindow));
    }

    [Fact]
    public async Task ALateRedeliveryOfAnOlderInventoryUpdateDoesNotOverwriteNewerStock()
    {
        var older = Update("SERUM-30ML", onHand: 50, available: 48);
        var newer = Update("SERUM-30ML", onHand: 49, available: 47);
        await DeliverAsync(older, Sign(older), messageId: "m-1");
        await DeliverAsync(newer, Sign(newer), messageId: "m-2");

        // ShipHero retries a delivery it thinks failed; a replay may also come with a fresh message id.
        var redelivered = await DeliverAsync(older, Sign(older), messageId: "m-1");
        var replayed = await DeliverAsync(older, Sign(older), messageId: "m-99");
        var latestAgain = await DeliverAsync(newer, Sign(newer), messageId: "m-2");

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK], new[] { redelivered.StatusCode, replayed.StatusCode, latestAgain.StatusCode });
        var applied = new[] { await AppliedAsync(redelivered), await AppliedAsync(replayed), await AppliedAsync(latestAgain) };
        Assert.Equal([0, 0, 0], applied);
        var record = await _host.LedgerRecordAsync(Warehouse, "SERUM-30ML");
        Assert.Equal((49L, 47L), (record!.Quantities.OnHand, record.Quantities.Available));
    }

    [Fact]
    public async Task WebhooksForAnotherShipHeroWarehouseAreDeadLetteredWithTheReasonAndApplyNothing()
    {
        var update = Update("MASCARA-BLK", onHand: 5, available: 5, warehouseId: 11111);
        var change = Change("MASCARA-BLK", quantity: -1, warehouseId: 11111);

        var updated = await DeliverAsync(update, Sign(update));
        var changed = await DeliverAsync(change, Sign(change));

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK], new[] { updated.StatusCode, changed.StatusCode });
        Assert.Null(await _host.LedgerRecordAsync(Warehouse, "MASCARA-BLK"));
        var reasons = (await _host.Client().ListDeadLettersAsync(new ListDeadLettersRequest { WarehouseId = Warehouse })).DeadLetters.Select(l => l.Reason).ToList();
        Assert.Contains("updated_warehouse.warehouse_id: 11111 is not this feed's ShipHero warehouse (76733)", reasons);
        Assert.Contains("warehouse_id: 11111 is not this feed's ShipHero warehouse (76733)", reasons);
    }

    private static async Task<int> AppliedAsync(HttpResponseMessage response)
        => (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("applied").GetInt32();
}
