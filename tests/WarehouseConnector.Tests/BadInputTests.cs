using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Stockcast.Connector.V1;
using Stockcast.Testing;
using Stockcast.Testing.BadInput;

namespace Stockcast.Connector.Tests;

/// <summary>
/// Generated bad input to the connector: every gRPC request, and pushed and webhook bodies with one
/// value spoiled or their encoding mangled, next to a good record in the same batch. Never a 5xx; a
/// bad record is dead-lettered with a reason while the good one of its batch reaches the ledger; a
/// wholly bad request is a 4xx naming the field (or 401 for a signature) and applies nothing.
/// </summary>
public sealed class BadInputTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private const string ShipHero = "us-shiphero";
    private const string Secret = "shiphero-shared-secret-for-tests";
    private const int ShipHeroWarehouse = 76733;
    private const int PerMethod = 150;
    private const int Bodies = 700;
    private const string Placeholder = "GOOD-0";
    private ConnectorHost _host = null!;
    private int _good;

    public async Task InitializeAsync() => _host = await ConnectorHost.StartAsync(redis.Configuration, new Dictionary<string, string?>
    {
        ["Connector:Feeds:2:WarehouseId"] = ShipHero,
        ["Connector:Feeds:2:Source"] = "shiphero",
        ["Connector:Feeds:2:WebhookSecret"] = Secret,
        ["Connector:Feeds:2:ExternalId"] = ShipHeroWarehouse.ToString(CultureInfo.InvariantCulture),
    });

    public Task DisposeAsync()
    {
        _host.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task GeneratedBadRequestsAreRefusedNamingTheFieldAndChangeNoDeadLetter()
    {
        var client = _host.Client();
        using var seeded = await ConnectorHost.PushAsync(_host.Pusher(), "us-erp", new { sku = "BAD\u0001SKU", available = 1, sourceTime = Now });
        var letter = (await client.ListDeadLettersAsync(new ListDeadLettersRequest { WarehouseId = "us-erp" })).DeadLetters.Single().Id;
        var fuzz = new GrpcFuzz(_host.Channel(ConnectorHost.PusherKey).CreateCallInvoker(), WarehouseConnector.Descriptor,
            async () => $"{await client.ListDeadLettersAsync(new ListDeadLettersRequest { WarehouseId = "us-erp", Limit = 1000 })}");
        var filter = new DeadLetterFilter { ReasonContains = "sku", ReceivedAfter = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(-1)), ReceivedBefore = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(1)) };
        var seeds = new Dictionary<string, IMessage[]>
        {
            ["ListFeeds"] = [new ListFeedsRequest()],
            ["TriggerFullSync"] = [new TriggerFullSyncRequest { WarehouseId = "us-erp" }],
            ["ListDeadLetters"] = [new ListDeadLettersRequest { WarehouseId = "us-erp", Limit = 10, Filter = filter }],
            ["ReplayDeadLetters"] = [new ReplayDeadLettersRequest { WarehouseId = "us-erp", Ids = { letter } }, new ReplayDeadLettersRequest { WarehouseId = "us-erp", Filter = filter }],
            ["PurgeDeadLetters"] = [new PurgeDeadLettersRequest { WarehouseId = "eu-cases", Ids = { "1-0" } }, new PurgeDeadLettersRequest { WarehouseId = "eu-cases", Filter = filter }],
            ["WatchFeedEvents"] = [new WatchFeedEventsRequest { AfterId = "0", WarehouseId = "us-erp" }],
        };

        await fuzz.RunAsync(seeds, PerMethod, async () => Assert.Contains((await client.ListFeedsAsync(new ListFeedsRequest())).Feeds, f => f.WarehouseId == "us-erp"));

        ReliabilityReport.WriteSection("bad-input-connector-grpc", fuzz.Tally.Markdown("warehouse-connector gRPC (feeds, dead letters, feed events)",
            $"Every method of `stockcast.connector.v1.WarehouseConnector`, {PerMethod} generated requests each (WarehouseConnector.Tests BadInputTests)."));
        fuzz.Tally.AssertNoViolations();
    }

    [Fact]
    public async Task GeneratedBadPushesAndWebhooksNeverHoldBackTheGoodRecordOfTheirBatch()
    {
        var tally = new Tally();
        var pusher = _host.Pusher();
        var pushes = Gen.OneOf(
            Gen.Int[0, 9].SelectMany(_ => JsonGen.OneValueSpoiled(PushBody(), under: "records[1]")),
            JsonGen.OneValueSpoiled(PushBody()),
            JsonGen.EncodingMangled(PushBody()));
        var hooks = Gen.OneOf(
            Gen.Int[0, 9].SelectMany(_ => JsonGen.OneValueSpoiled(ShipHeroBody(), under: "inventory[1]")),
            JsonGen.OneValueSpoiled(ShipHeroBody()),
            JsonGen.EncodingMangled(ShipHeroBody()));
        var signatures = Gen.OneOf<string?>(null, "", "garbage", "c2lnbmF0dXJl", new string('A', 44), "sig\nnature", "valid over another body", "valid", "valid", "valid", "valid", "valid", "valid");
        var pcg = new PCG(1, 15);

        for (var i = 0; i < Bodies; i++)
        {
            await PushAsync(pusher, Fresh(pushes.Generate(pcg, null, out _)), tally);
            await WebhookAsync(Fresh(hooks.Generate(pcg, null, out _)), signatures.Generate(pcg, null, out _), tally);
        }

        var good = Fresh(new FuzzedBody(Encoding.UTF8.GetBytes(PushBody().ToJsonString()), "", "none"));
        using var after = await pusher.PostAsync("/v1/warehouses/us-erp/stock", Content(good.Bytes));
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.NotNull(await _host.LedgerRecordAsync("us-erp", GoodSkuIn(good with { Path = "records[1]" })!));
        ReliabilityReport.WriteSection("bad-input-connector-http", tally.Markdown("warehouse-connector pushes and webhooks",
            $"{Bodies} canonical pushes and {Bodies} ShipHero webhooks (WarehouseConnector.Tests BadInputTests), each a good record and a second one, " +
            "with one value spoiled (a number as a string or words, negative, huge, an empty or odd timestamp, null, the wrong kind, control characters, removed) " +
            "or the body's encoding mangled; webhooks signed well, or not, or wrongly. \"accepted, n dead-lettered\" counts answers that took the good record and dead-lettered the bad one."));
        tally.AssertNoViolations();
    }

    private async Task PushAsync(HttpClient pusher, FuzzedBody body, Tally tally)
    {
        var sku = GoodSkuIn(body);
        using var response = await pusher.PostAsync("/v1/warehouses/us-erp/stock", Content(body.Bytes));
        await JudgeAsync("POST /v1/warehouses/{id}/stock", response, body, "us-erp", sku, tally, record: "records[1]");
    }

    private async Task WebhookAsync(FuzzedBody body, string? signature, Tally tally)
    {
        var sku = GoodSkuIn(body);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/webhooks/shiphero/{ShipHero}") { Content = Content(body.Bytes) };
        var signed = signature switch
        {
            "valid" => Sign(body.Bytes),
            "valid over another body" => Sign([.. body.Bytes, (byte)' ']),
            _ => signature,
        };
        if (signed is not null)
        {
            request.Headers.TryAddWithoutValidation("x-shiphero-hmac-sha256", signed);
        }
        using var response = await _host.CreateClient().SendAsync(request);
        if (signature != "valid")
        {
            tally.Count("POST /webhooks/shiphero/{id} (bad signature)", ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture));
            if (response.StatusCode != HttpStatusCode.Unauthorized || (sku is not null && await _host.LedgerRecordAsync(ShipHero, sku) is not null))
            {
                tally.Violation($"signature '{signature}' answered {(int)response.StatusCode} or applied the body <- {body}");
            }
            return;
        }
        await JudgeAsync("POST /webhooks/shiphero/{id}", response, body, ShipHero, sku, tally, record: "inventory[1]");
    }

    /// <summary>
    /// A 200 took the good record (and dead-lettered a bad one with its reason); a refusal is a 4xx
    /// naming the field, for a body spoiled beyond its records, and applied nothing.
    /// </summary>
    private async Task JudgeAsync(string row, HttpResponseMessage response, FuzzedBody body, string warehouse, string? goodSku, Tally tally, string record)
    {
        var problem = await HttpAnswers.ProblemAsync(response, fieldExpected: true);
        var applied = goodSku is not null && await _host.LedgerRecordAsync(warehouse, goodSku) is not null;
        if (response.StatusCode == HttpStatusCode.OK)
        {
            var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            var deadLettered = answer["deadLettered"] is JsonArray letters ? letters.Count : answer["deadLettered"]?.GetValue<int>() ?? 0;
            tally.Count(row, deadLettered > 0 ? $"{Tally.Accepted}, {deadLettered} dead-lettered" : Tally.Accepted);
            if (goodSku is not null && !applied)
            {
                problem ??= "answered 200 but the good record of the batch is not in the ledger";
            }
        }
        else
        {
            tally.Count(row, ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture));
            if (body.Path.StartsWith(record, StringComparison.Ordinal))
            {
                problem ??= $"one bad record ({body.Path}) refused the whole batch with {(int)response.StatusCode}";
            }
            if (applied)
            {
                problem ??= $"refused with {(int)response.StatusCode} yet the good record was applied";
            }
        }
        if (problem is not null)
        {
            tally.Violation($"{row}: {problem} <- {body}");
        }
    }

    private static string Now => DateTimeOffset.UtcNow.AddSeconds(-1).ToString("O", CultureInfo.InvariantCulture);

    private static JsonNode PushBody() => new JsonObject
    {
        ["records"] = new JsonArray(
            new JsonObject { ["sku"] = Placeholder, ["available"] = 5, ["onHand"] = 6, ["sourceTime"] = Now },
            new JsonObject { ["sku"] = "OTHER-1", ["available"] = 3, ["onHand"] = 3, ["sourceTime"] = Now }),
    };

    private static JsonNode ShipHeroBody() => new JsonObject
    {
        ["webhook_type"] = "Inventory Update",
        ["account_id"] = 63001,
        ["inventory"] = new JsonArray(
            Item(Placeholder),
            Item("OTHER-2")),
    };

    private static JsonObject Item(string sku) => new()
    {
        ["sku"] = sku,
        ["inventory"] = "7",
        ["backorder_quantity"] = "0",
        ["on_hand"] = "9",
        ["reserve"] = 0,
        ["non_sellable"] = 0,
        ["updated_warehouse"] = new JsonObject { ["warehouse_id"] = ShipHeroWarehouse, ["identifier"] = "Primary" },
    };

    /// <summary>The body with the good record's SKU made its own, so whether it reached the ledger says what this body did.</summary>
    private FuzzedBody Fresh(FuzzedBody body)
    {
        var sku = Encoding.UTF8.GetBytes($"GOOD-{Interlocked.Increment(ref _good)}");
        var placeholder = Encoding.UTF8.GetBytes(Placeholder);
        var at = body.Bytes.AsSpan().IndexOf(placeholder);
        return at < 0 ? body : body with { Bytes = [.. body.Bytes[..at], .. sku, .. body.Bytes[(at + placeholder.Length)..]] };
    }

    /// <summary>The good record's SKU when the spoil left it whole (it was the other record, or the body's encoding that was spoiled), else null.</summary>
    private static string? GoodSkuIn(FuzzedBody body)
    {
        var text = Encoding.UTF8.GetString(body.Bytes);
        var at = text.IndexOf("GOOD-", StringComparison.Ordinal);
        var sku = at < 0 ? null : new string([.. text[at..].TakeWhile(c => c is '-' || char.IsAsciiDigit(c) || char.IsAsciiLetterUpper(c))]);
        var untouched = body.Path.StartsWith("records[1]", StringComparison.Ordinal) || body.Path.StartsWith("inventory[1]", StringComparison.Ordinal);
        return untouched ? sku : null;
    }

    private static string Sign(byte[] body) => Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), body));

    private static ByteArrayContent Content(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }
}
