using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
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
    private const int Bodies = 500;
    private const string Placeholder = "GOOD-0";
    private const string Drop = "us-drop";
    private const int Files = 400;
    private const int FilesPerPoll = 10;
    private readonly string _folder = Directory.CreateTempSubdirectory("stockcast-fuzz-drop-").FullName;
    private ConnectorHost _host = null!;
    private int _good;

    public async Task InitializeAsync() => _host = await ConnectorHost.StartAsync(redis.Configuration, new Dictionary<string, string?>
    {
        ["Connector:Feeds:2:WarehouseId"] = ShipHero,
        ["Connector:Feeds:2:Source"] = "shiphero",
        ["Connector:Feeds:2:WebhookSecret"] = Secret,
        ["Connector:Feeds:2:ExternalId"] = ShipHeroWarehouse.ToString(CultureInfo.InvariantCulture),
        ["Connector:Feeds:4:WarehouseId"] = "us-shopify",
        ["Connector:Feeds:4:Source"] = "shopify",
        ["Connector:Feeds:4:WebhookSecret"] = Secret,
        ["Connector:Feeds:4:ExternalId"] = "655441491",
        ["Connector:Feeds:4:SkuMap:808950810"] = "SERUM-30ML",
        ["Connector:Feeds:3:WarehouseId"] = Drop,
        ["Connector:Feeds:3:Source"] = "file-drop",
        ["Connector:Feeds:3:SettleSeconds"] = "0",
        ["Connector:Feeds:3:Folder"] = _folder,
        ["Connector:Feeds:3:PollIntervalSeconds"] = "3600",
    });

    public Task DisposeAsync()
    {
        _host.Dispose();
        Directory.Delete(_folder, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task GeneratedBadRequestsAreRefusedNamingTheFieldAndChangeNoDeadLetter()
    {
        var client = _host.Client();
        using var seeded = await ConnectorHost.PushAsync(_host.Pusher(), "us-erp", new { sku = "BAD\u0001SKU", available = 1, sourceTime = Now });
        var letter = (await client.ListDeadLettersAsync(new ListDeadLettersRequest { WarehouseId = "us-erp" })).DeadLetters.Single().Id;
        var fuzz = new GrpcFuzz(_host.Channel(ConnectorHost.AdminKey).CreateCallInvoker(), WarehouseConnector.Descriptor,
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
        var levels = Gen.OneOf(JsonGen.OneValueSpoiled(ShopifyLevel()), JsonGen.EncodingMangled(ShopifyLevel()));
        var signatures = Gen.OneOf<string?>(null, "", "garbage", "c2lnbmF0dXJl", new string('A', 44), "sig\nnature", "valid over another body", "valid", "valid", "valid", "valid", "valid", "valid");
        var pcg = new PCG(1, 15);

        for (var i = 0; i < Bodies; i++)
        {
            await PushAsync(pusher, Fresh(pushes.Generate(pcg, null, out _)), tally);
            await WebhookAsync(Fresh(hooks.Generate(pcg, null, out _)), signatures.Generate(pcg, null, out _), tally);
            if (i % 2 == 0)
            {
                await WebhookAsync(levels.Generate(pcg, null, out _), signatures.Generate(pcg, null, out _), tally, shopify: true);
            }
        }

        var good = Fresh(new FuzzedBody(Encoding.UTF8.GetBytes(PushBody().ToJsonString()), "", "none"));
        using var after = await pusher.PostAsync("/v1/warehouses/us-erp/stock", Content(good.Bytes));
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.NotNull(await _host.LedgerRecordAsync("us-erp", GoodSkuIn(good with { Path = "records[1]" })!));
        ReliabilityReport.WriteSection("bad-input-connector-http", tally.Markdown("warehouse-connector pushes and webhooks",
            $"{Bodies} canonical pushes and {Bodies} ShipHero webhooks (WarehouseConnector.Tests BadInputTests), each a good record and a second one, and {Bodies / 2} Shopify inventory levels, " +
            "with one value spoiled (a number as a string or words, negative, huge, an empty or odd timestamp, null, the wrong kind, control characters, removed) " +
            "or the body's encoding mangled; webhooks signed well, or not, or wrongly. Accepted answers took the good record; those in brackets also dead-lettered the bad one, with its reason."));
        tally.AssertNoViolations();
    }

    [Fact]
    public async Task GeneratedBadDropFilesDeadLetterTheirBadRowsAndTakeTheGoodOnes()
    {
        var tally = new Tally();
        var now = DateTimeOffset.UtcNow.AddSeconds(-5).ToString("O", CultureInfo.InvariantCulture);
        string[] header = ["sku", "onHand", "available", "reserved", "sourceTime"];
        string[] row = ["OTHER-3", "4", "4", "0", now];
        string[] Good(string sku) => [sku, "6", "5", "0", now];
        var cells = Gen.OneOf("", " ", "12 pcs", "n/a", "-1", "1e30", "99999999999999999999", " 5 ", "5.5", "5,5", "\"5\"", "🧸", "A\u0001B", "yesterday", "2026-12-04", "9999-12-31T23:59:59Z", "a;b", "\t");
        var rowSpoil = Gen.Select(Gen.Int[0, header.Length - 1], cells).Select((column, cell) =>
        {
            var spoiled = (string[])row.Clone();
            spoiled[column] = cell;
            return ($"row 2 {header[column]} <- '{cell}'", (Func<string, string>)(good => CsvText(header, Good(good), spoiled)), true);
        });
        var fileSpoil = Gen.OneOf<(string, Func<string, byte[]>, bool)>(
            ("UTF-16 with its byte-order mark", good => [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(CsvText(header, Good(good), row))], true),
            ("byte-order mark", good => [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(CsvText(header, Good(good), row))], true),
            ("invalid UTF-8", good => [.. Encoding.UTF8.GetBytes(CsvText(header, Good(good), row)), 0xC3, 0x28], false),
            ("no header", good => Encoding.UTF8.GetBytes(string.Join(",", Good(good)) + "\n"), false),
            ("no sku column", good => Encoding.UTF8.GetBytes(CsvText(["item", .. header[1..]], Good(good), row)), false),
            ("unclosed quote", good => Encoding.UTF8.GetBytes(CsvText(header, Good(good), row) + "\"OTHER-4,1,1,0\n"), false),
            ("a row with an extra cell", good => Encoding.UTF8.GetBytes(CsvText(header, Good(good), [.. row, "x"])), true),
            ("semicolons", good => Encoding.UTF8.GetBytes(CsvText(header, Good(good), row).Replace(',', ';')), true),
            ("CRLF", good => Encoding.UTF8.GetBytes(CsvText(header, Good(good), row).Replace("\n", "\r\n", StringComparison.Ordinal)), true),
            ("empty", _ => [], false));
        var files = Gen.Frequency(
            (3, rowSpoil.Select(r => (r.Item1, (Func<string, byte[]>)(good => Encoding.UTF8.GetBytes(r.Item2(good))), r.Item3, ".csv"))),
            (1, fileSpoil.Select(f => (f.Item1, f.Item2, f.Item3, ".csv"))),
            (2, JsonGen.OneValueSpoiled(DropJson(now), under: "records[1]").Select(b => ($"{b.Path} <- {b.Spoil}", (Func<string, byte[]>)(good => Replace(b.Bytes, good)), true, ".json"))),
            (1, JsonGen.EncodingMangled(DropJson(now)).Select(b => ($"{b.Path} <- {b.Spoil}", (Func<string, byte[]>)(good => Replace(b.Bytes, good)), false, ".json"))));
        var pcg = new PCG(1, 15);
        var client = _host.Client();

        for (var poll = 0; poll < Files / FilesPerPoll; poll++)
        {
            var dropped = new List<(string Name, string Spoil, string Good, bool GoodRowTaken)>();
            for (var i = 0; i < FilesPerPoll; i++)
            {
                var (spoil, make, goodRowTaken, extension) = files.Generate(pcg, null, out _);
                var good = $"GOOD-{Interlocked.Increment(ref _good)}";
                var name = $"export-{poll}-{i}{extension}";
                await File.WriteAllBytesAsync(Path.Combine(_folder, name), make(good));
                dropped.Add((name, spoil, good, goodRowTaken));
            }
            try
            {
                await client.TriggerFullSyncAsync(new TriggerFullSyncRequest { WarehouseId = Drop });
            }
            catch (RpcException e)
            {
                tally.Violation($"a poll of files [{string.Join("; ", dropped.Select(d => d.Spoil))}] answered {e.StatusCode}: {e.Status.Detail}");
            }
            foreach (var (name, spoil, good, goodRowTaken) in dropped)
            {
                var applied = await _host.LedgerRecordAsync(Drop, good) is not null;
                var outcome = File.Exists(Path.Combine(_folder, "processed", name)) ? "processed"
                    : File.Exists(Path.Combine(_folder, "failed", name)) ? "failed" : "left in the folder";
                tally.Count($"{Path.GetExtension(name)} file", outcome == "processed" ? Tally.Accepted : outcome);
                var problem = outcome switch
                {
                    "processed" when !applied => "processed, but its good row is not in the ledger",
                    "processed" => null,
                    "failed" when applied => "failed, yet its good row was applied",
                    "failed" when !File.Exists(Path.Combine(_folder, "failed", name + ".error.txt")) => "failed with no reason beside it",
                    "failed" when goodRowTaken => "one bad row failed the whole file",
                    "failed" => null,
                    _ => "neither processed nor failed",
                };
                if (problem is not null)
                {
                    tally.Violation($"{name} ({spoil}): {problem}");
                }
            }
        }

        ReliabilityReport.WriteSection("bad-input-connector-files", tally.Markdown("warehouse-connector file drops",
            $"{Files} generated CSV and JSON exports (WarehouseConnector.Tests BadInputTests), {FilesPerPoll} a poll, each with a good row: one cell spoiled " +
            "(words, negative, huge, padded, quoted or decimal numbers, empty or odd timestamps, control characters) or the file mangled (UTF-16 with its byte-order mark, invalid UTF-8, " +
            "a byte-order mark, no header, no sku column, an unclosed quote, an extra cell, semicolons, CRLF, empty). A processed file applied its good row; a failed one applied nothing and says why."));
        tally.AssertNoViolations();
    }

    private static string CsvText(string[] header, string[] good, string[] other)
        => $"{string.Join(",", header)}\n{string.Join(",", good)}\n{string.Join(",", other.Select(Quoted))}\n";

    /// <summary>A cell as an exporter writes it: quoted when it holds a comma, a quote or a line break.</summary>
    private static string Quoted(string cell) => cell.IndexOfAny([',', '"', '\n', '\r']) < 0 ? cell : $"\"{cell.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";

    private static JsonNode DropJson(string now) => new JsonObject
    {
        ["records"] = new JsonArray(
            new JsonObject { ["sku"] = Placeholder, ["onHand"] = 6, ["available"] = 5, ["sourceTime"] = now },
            new JsonObject { ["sku"] = "OTHER-3", ["onHand"] = 4, ["available"] = 4, ["sourceTime"] = now }),
    };

    private static byte[] Replace(byte[] bytes, string good)
    {
        var placeholder = Encoding.UTF8.GetBytes(Placeholder);
        var at = bytes.AsSpan().IndexOf(placeholder);
        return at < 0 ? bytes : [.. bytes[..at], .. Encoding.UTF8.GetBytes(good), .. bytes[(at + placeholder.Length)..]];
    }

    private async Task PushAsync(HttpClient pusher, FuzzedBody body, Tally tally)
    {
        var sku = GoodSkuIn(body);
        using var response = await pusher.PostAsync("/v1/warehouses/us-erp/stock", Content(body.Bytes));
        await JudgeAsync("POST /v1/warehouses/{id}/stock", response, body, "us-erp", sku, tally, record: "records[1]");
    }

    private async Task WebhookAsync(FuzzedBody body, string? signature, Tally tally, bool shopify = false)
    {
        var sku = GoodSkuIn(body);
        var (vendor, warehouse, header) = shopify ? ("shopify", "us-shopify", "X-Shopify-Hmac-Sha256") : ("shiphero", ShipHero, "x-shiphero-hmac-sha256");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/webhooks/{vendor}/{warehouse}") { Content = Content(body.Bytes) };
        if (shopify)
        {
            request.Headers.Add("X-Shopify-Topic", "inventory_levels/update");
            request.Headers.Add("X-Shopify-Webhook-Id", Guid.NewGuid().ToString());
        }
        var signed = signature switch
        {
            "valid" => Sign(body.Bytes),
            "valid over another body" => Sign([.. body.Bytes, (byte)' ']),
            _ => signature,
        };
        if (signed is not null)
        {
            request.Headers.TryAddWithoutValidation(header, signed);
        }
        using var response = await _host.CreateClient().SendAsync(request);
        if (signature != "valid")
        {
            tally.Count($"POST /webhooks/{vendor}/{{id}} (bad signature)", ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture));
            if (response.StatusCode != HttpStatusCode.Unauthorized || (sku is not null && await _host.LedgerRecordAsync(warehouse, sku) is not null))
            {
                tally.Violation($"signature '{signature}' answered {(int)response.StatusCode} or applied the body <- {body}");
            }
            return;
        }
        // A Shopify level is one record: a bad figure or time in it is its dead letter (200), not a refused request.
        await JudgeAsync($"POST /webhooks/{vendor}/{{id}}", response, body, warehouse, sku, tally, record: shopify ? "available" : "inventory[1]");
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
            tally.Count(row, deadLettered > 0 ? $"{Tally.Accepted}, bad record dead-lettered" : Tally.Accepted);
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

    private static JsonNode ShopifyLevel() => new JsonObject
    {
        ["inventory_item_id"] = 808950810,
        ["location_id"] = 655441491,
        ["available"] = 6,
        ["updated_at"] = DateTimeOffset.UtcNow.AddSeconds(-5).ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture),
        ["admin_graphql_api_id"] = "gid://shopify/InventoryLevel/655441491?inventory_item_id=808950810",
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
        => body with { Bytes = Replace(body.Bytes, $"GOOD-{Interlocked.Increment(ref _good)}") };

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
