using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Stockcast.Testing;

namespace Stockcast.Connector.Tests;

/// <summary>ShipHero inventory webhooks, shaped and signed as ShipHero (and the simulator) sends them.</summary>
public sealed class ShipHeroWebhookTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private const string Warehouse = "us-shiphero";
    private const string Secret = "shiphero-shared-secret-for-tests";
    private ConnectorHost _host = null!;

    public async Task InitializeAsync() => _host = await ConnectorHost.StartAsync(redis.Configuration, new Dictionary<string, string?>
    {
        ["Connector:Feeds:2:WarehouseId"] = Warehouse,
        ["Connector:Feeds:2:Source"] = "shiphero",
        ["Connector:Feeds:2:WebhookSecret"] = Secret,
        ["Connector:Feeds:2:ApplyInventoryChanges"] = "true",
    });

    public Task DisposeAsync()
    {
        _host.Dispose();
        return Task.CompletedTask;
    }

    private static string Update(string sku, int onHand, int available) => JsonSerializer.Serialize(new
    {
        webhook_type = "Inventory Update",
        account_id = 63001,
        inventory = new[] { new { sku, inventory = available.ToString(), backorder_quantity = "0", on_hand = onHand.ToString(), reserve = 0, non_sellable = 0, @virtual = false } },
    });

    private static string Change(string sku, int quantity) => JsonSerializer.Serialize(new
    {
        webhook_type = "Inventory Change",
        warehouse_id = 76733,
        sku,
        quantity,
        previous_on_hand = 10,
        timestamp = DateTime.UtcNow.AddSeconds(-1).ToString("yyyy-MM-dd HH:mm:ss"),
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
    public async Task AnInventoryChangeDeliveredTwiceIsAppliedOnce()
    {
        var update = Update("LIP-RED-01", onHand: 10, available: 10);
        await DeliverAsync(update, Sign(update));
        var change = Change("LIP-RED-01", quantity: -2);

        var first = await DeliverAsync(change, Sign(change), messageId: "msg-42");
        var redelivered = await DeliverAsync(change, Sign(change), messageId: "msg-42");

        Assert.Equal(1, (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("applied").GetInt32());
        Assert.Equal(0, (await redelivered.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("applied").GetInt32());
        Assert.Equal(8, (await _host.LedgerRecordAsync(Warehouse, "LIP-RED-01"))!.Quantities.Available);
    }
}
