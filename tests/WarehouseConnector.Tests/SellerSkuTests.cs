using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Stockcast.Connector.V1;
using Stockcast.Ledger.V1;
using Stockcast.Testing;

namespace Stockcast.Connector.Tests;

/// <summary>SKUs as Amazon, Shopify and ERP exports write them, through the canonical push into the ledger.</summary>
public sealed class SellerSkuTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private ConnectorHost _host = null!;

    // eu-cases keeps the whitespace around SKUs: such a record is dead-lettered instead of trimmed.
    public async Task InitializeAsync()
        => _host = await ConnectorHost.StartAsync(redis.Configuration, new Dictionary<string, string?> { ["Connector:Feeds:1:KeepSkuWhitespace"] = "true" });

    public Task DisposeAsync()
    {
        _host.Dispose();
        return Task.CompletedTask;
    }

    // UTF-8 as it is: only quotes and backslashes escaped.
    private static readonly JsonSerializerOptions AsWritten = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Now => DateTimeOffset.UtcNow.AddSeconds(-1).ToString("O");

    /// <summary>Pushes records written as JSON text, as an ERP sends them: UTF-8 as it is, escapes only where it wrote them.</summary>
    private async Task<JsonElement> PushAsync(string warehouse, params string[] records)
    {
        using var body = new StringContent($$"""{ "records": [{{string.Join(",", records)}}] }""", Encoding.UTF8, "application/json");
        var response = await _host.Pusher().PostAsync($"/v1/warehouses/{warehouse}/stock", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static string Snapshot(string skuJson, int available, int version = 1)
        => $$"""{ "sku": {{skuJson}}, "onHand": {{available}}, "available": {{available}}, "sourceTime": "{{Now}}", "sourceVersion": {{version}} }""";

    [Fact]
    public async Task SkusWithSpacesAnyScriptAndSpecialCharactersArriveAsWrittenAndPaddingIsTrimmed()
    {
        var skus = SellerSkus.All;
        using var cts = new CancellationTokenSource(Eventually.DefaultDeadline);
        using var watch = _host.LedgerClient().Watch(new WatchRequest { Skus = { SellerSkus.Stroller, SellerSkus.Deluxe, "TEE-PAD-1" } }, cancellationToken: cts.Token);
        Assert.True(await watch.ResponseStream.MoveNext(cts.Token));

        var pushed = await PushAsync("us-erp", [.. skus.Select((sku, i) => Snapshot(JsonSerializer.Serialize(sku, AsWritten), 10 + i)), Snapshot("\" TEE-PAD-1\\r\\n\"", 7)]);

        Assert.Equal(skus.Length + 1, pushed.GetProperty("applied").GetInt32());
        foreach (var (sku, i) in skus.Select((sku, i) => (sku, i)))
        {
            var record = await _host.LedgerClient().GetStockAsync(new GetStockRequest { Sku = sku, WarehouseId = "us-erp" });
            Assert.Equal((sku, 10L + i), (record.Sku, record.Quantities.Available));
            Assert.Equal(10 + i, (await _host.LedgerClient().GetAvailabilityAsync(new GetAvailabilityRequest { Sku = sku, Market = "US" })).AvailableToPromise);
        }
        Assert.Equal(7, (await _host.LedgerRecordAsync("us-erp", "TEE-PAD-1"))!.Quantities.Available);
        var watched = new List<string>();
        while (watched.Count < 3 && await watch.ResponseStream.MoveNext(cts.Token))
        {
            watched.AddRange(watch.ResponseStream.Current.Changes.Select(c => c.Record.Sku));
        }
        Assert.Equal([SellerSkus.Stroller, SellerSkus.Deluxe, "TEE-PAD-1"], watched);
        // Label values are bounded sets (warehouses, outcomes): a SKU is never one, here or in the ledger.
        var metrics = await _host.MetricsAsync() + await _host.Ledger.MetricsAsync();
        Assert.All(skus.Append("TEE-PAD-1"), sku => Assert.DoesNotContain(sku, metrics, StringComparison.Ordinal));
    }

    public static TheoryData<string, string, string> RefusedSkus => new()
    {
        { "us-erp", "\"TEE\\n1\"", "sku: must not contain a line break (U+000A at character 4)" },
        { "us-erp", "\"TEE\\u0000\"", "sku: must not contain a control character (U+0000 at character 4)" },
        { "us-erp", "\"TEE-\\ud83d\"", "sku: must not contain a lone surrogate: it is not text" },
        { "us-erp", JsonSerializer.Serialize(new string('S', 256)), "sku: must be at most 255 characters (got 256)" },
        { "eu-cases", "\" TEE\"", "sku: must not start with whitespace (U+0020)" },
    };

    [Theory]
    [MemberData(nameof(RefusedSkus))]
    public async Task ASkuTheRuleRefusesIsDeadLetteredWithTheRulesReasonAndNeverApplied(string warehouse, string skuJson, string reason)
    {
        var pushed = await PushAsync(warehouse, Snapshot("\"GOOD-1\"", 3), Snapshot(skuJson, 5));

        Assert.Equal(1, pushed.GetProperty("applied").GetInt32());
        Assert.Equal(reason, pushed.GetProperty("deadLettered").EnumerateArray().Single().GetProperty("reason").GetString());
        Assert.Equal(["GOOD-1"], (await _host.LedgerClient().ListStockAsync(new ListStockRequest { WarehouseId = warehouse })).Records.Select(r => r.Sku));
        var letter = Assert.Single((await _host.Client().ListDeadLettersAsync(new ListDeadLettersRequest { WarehouseId = warehouse })).DeadLetters);
        Assert.Equal(reason, letter.Reason);
    }

    [Theory]
    [InlineData("Connector:Feeds:0:SkuMap: ERP-1", "TEE-1", "Connector:Feeds:0:SkuMap ' ERP-1' -> 'TEE-1': must not start with whitespace (U+0020).")]
    [InlineData("Connector:Feeds:0:Skus:0", "TEE 1 ", "Connector:Feeds:0:Skus:0 'TEE 1 ': must not end with whitespace (U+0020).")]
    public async Task ConfiguredSkusTheRuleRefusesStopStartUpNamingTheEntry(string key, string value, string message)
    {
        using var host = await ConnectorHost.StartAsync(redis.Configuration, new Dictionary<string, string?> { [key] = value });

        var error = Assert.Throws<OptionsValidationException>(() => host.Server);

        Assert.Contains(message, error.Message);
    }
}
