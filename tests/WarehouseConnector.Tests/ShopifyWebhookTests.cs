using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
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

    private static string Stamp(int secondsAgo = 2) => DateTimeOffset.UtcNow.AddSeconds(-secondsAgo).ToString("yyyy-MM-ddTHH:mm:sszzz");

    private async Task<JsonElement> DeliverOkAsync(string body)
    {
        using var response = await DeliverAsync(body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    // The quirk corpus: Shopify's inventory level as its documentation and shops show it.

    [Fact]
    public async Task AnUntrackedItemsNullAvailableIsDeadLetteredNotAppliedAsZero()
    {
        var result = await DeliverOkAsync($$"""{"inventory_item_id":808950810,"location_id":655441491,"available":null,"updated_at":"{{Stamp()}}"}""");

        Assert.StartsWith("available: required, but null or missing", result.GetProperty("deadLetters")[0].GetProperty("reason").GetString());
        Assert.Null(await _host.LedgerRecordAsync(Warehouse, "SERUM-30ML"));
    }

    [Fact]
    public async Task ANegativeAvailableFromAShopThatSellsWhenOutOfStockIsZeroAvailableWithTheBackorderReserved()
    {
        var result = await DeliverOkAsync($$"""{"inventory_item_id":808950810,"location_id":655441491,"available":-4,"updated_at":"{{Stamp()}}"}""");

        Assert.Equal(1, result.GetProperty("applied").GetInt32());
        var record = await _host.LedgerRecordAsync(Warehouse, "SERUM-30ML");
        Assert.Equal((0L, 0L, 4L), (record!.Quantities.Available, record.Quantities.OnHand, record.Quantities.Reserved));
    }

    [Fact]
    public async Task ALevelWithoutUpdatedAtIsAppliedAtItsReceiptMarkedEstimated()
    {
        var result = await DeliverOkAsync("""{"inventory_item_id":808950810,"location_id":655441491,"available":"6"}""");

        Assert.Equal(1, result.GetProperty("applied").GetInt32());
        var record = await _host.LedgerRecordAsync(Warehouse, "SERUM-30ML");
        Assert.Equal((6L, true), (record!.Quantities.Available, record.SourceTimeEstimated));
    }

    // The dead letters API, with Shopify's letters.

    [Fact]
    public async Task ADeadLetterIsReplayedWithTheFeedsCurrentSkuMapOnceTheMappingIsFixed()
    {
        var refused = await DeliverOkAsync(Level(222, 655441491, 9, DateTimeOffset.UtcNow.AddSeconds(-2)));
        Assert.StartsWith("inventory_item_id: 222 has no SKU", refused.GetProperty("deadLetters")[0].GetProperty("reason").GetString());

        // The mapping fix (a values change rolled out): the feed's map now knows the item.
        _host.Services.GetRequiredService<IOptions<ConnectorOptions>>().Value.Feeds.Single(f => f.WarehouseId == Warehouse).SkuMap["222"] = "TONER-50ML";
        var replay = await _host.Client().ReplayDeadLettersAsync(new ReplayDeadLettersRequest { WarehouseId = Warehouse });

        Assert.Equal((1, 0), (replay.Delivered, replay.StillFailing.Count));
        Assert.Equal(9, (await _host.LedgerRecordAsync(Warehouse, "TONER-50ML"))!.Quantities.Available);
        Assert.Empty((await _host.Client().ListDeadLettersAsync(new ListDeadLettersRequest { WarehouseId = Warehouse })).DeadLetters);
    }

    [Fact]
    public async Task DeadLettersAreListedAPageAtATimeNewestFirstAndFilteredByReasonAndTime()
    {
        for (var item = 1; item <= 5; item++)
        {
            await DeliverOkAsync(Level(item, 655441491, 1, DateTimeOffset.UtcNow.AddSeconds(-2)));
        }
        // "After" is inclusive to the millisecond: the cut lies in a later millisecond than the letters
        // above (stamped at most now; the last one can share this very millisecond), and before the next.
        var cut = DateTimeOffset.UtcNow.AddMilliseconds(2);
        await Eventually.TrueAsync(() => Task.FromResult(DateTimeOffset.UtcNow > cut.AddMilliseconds(5)), "the clock passes the cut");
        await DeliverOkAsync(Level(808950810, 777, 1, DateTimeOffset.UtcNow.AddSeconds(-2)));
        var client = _host.Client();

        var first = await client.ListDeadLettersAsync(new ListDeadLettersRequest { WarehouseId = Warehouse, Limit = 4 });
        var second = await client.ListDeadLettersAsync(new ListDeadLettersRequest { WarehouseId = Warehouse, Limit = 4, PageToken = first.NextPageToken });
        var unmapped = await client.ListDeadLettersAsync(new ListDeadLettersRequest { WarehouseId = Warehouse, Filter = new DeadLetterFilter { ReasonContains = "HAS NO SKU" } });
        var recent = await client.ListDeadLettersAsync(new ListDeadLettersRequest { WarehouseId = Warehouse, Filter = new DeadLetterFilter { ReceivedAfter = Timestamp.FromDateTimeOffset(cut) } });

        Assert.Equal((4, 2, "", 6L), (first.DeadLetters.Count, second.DeadLetters.Count, second.NextPageToken, first.Total));
        Assert.Equal(6, first.DeadLetters.Concat(second.DeadLetters).Select(l => l.Id).Distinct().Count());
        Assert.StartsWith("location_id: 777", first.DeadLetters[0].Reason);
        Assert.Equal(("shopify", 5), (unmapped.DeadLetters[0].Format, unmapped.DeadLetters.Count));
        Assert.StartsWith("location_id: 777", Assert.Single(recent.DeadLetters).Reason);
    }

    [Fact]
    public async Task DeadLettersArePurgedByIdOrFilterOnlyWithAWriteKeyAndNeverAllByAccident()
    {
        for (var item = 1; item <= 3; item++)
        {
            await DeliverOkAsync(Level(item, 655441491, 1, DateTimeOffset.UtcNow.AddSeconds(-2)));
        }
        await DeliverOkAsync(Level(808950810, 777, 1, DateTimeOffset.UtcNow.AddSeconds(-2)));
        var client = _host.Client();
        var letters = (await client.ListDeadLettersAsync(new ListDeadLettersRequest { WarehouseId = Warehouse })).DeadLetters;

        var anonymous = await Assert.ThrowsAsync<RpcException>(() => new WarehouseConnector.WarehouseConnectorClient(_host.Channel(null))
            .PurgeDeadLettersAsync(new PurgeDeadLettersRequest { WarehouseId = Warehouse, All = true }).ResponseAsync);
        var unbounded = await Assert.ThrowsAsync<RpcException>(() => client.PurgeDeadLettersAsync(new PurgeDeadLettersRequest { WarehouseId = Warehouse }).ResponseAsync);
        var byId = await client.PurgeDeadLettersAsync(new PurgeDeadLettersRequest { WarehouseId = Warehouse, Ids = { letters[^1].Id } });
        var byReason = await client.PurgeDeadLettersAsync(new PurgeDeadLettersRequest { WarehouseId = Warehouse, Filter = new DeadLetterFilter { ReasonContains = "has no SKU" } });

        Assert.Equal(StatusCode.Unauthenticated, anonymous.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, unbounded.StatusCode);
        Assert.Equal((1, 2), (byId.Purged, byReason.Purged));
        Assert.Single((await client.ListDeadLettersAsync(new ListDeadLettersRequest { WarehouseId = Warehouse })).DeadLetters);
        Assert.Equal(1, (await client.PurgeDeadLettersAsync(new PurgeDeadLettersRequest { WarehouseId = Warehouse, All = true })).Purged);
        Assert.Equal(0, (await client.ListFeedsAsync(new ListFeedsRequest())).Feeds.Single(f => f.WarehouseId == Warehouse).DeadLetters);
    }
}
