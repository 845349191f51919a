using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Stockcast.Connector.Feeds;
using Stockcast.Connector.V1;
using Stockcast.LedgerClient;
using Stockcast.Testing;

namespace Stockcast.Connector.Tests;

/// <summary>
/// The intake takes a push record by record: what the connector or the ledger refuses is set aside
/// as a dead letter with its reason, and never holds back the rest of its batch.
/// </summary>
public sealed class RecordByRecordTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private ConnectorHost _host = null!;

    public async Task InitializeAsync() => _host = await ConnectorHost.StartAsync(redis.Configuration);

    public Task DisposeAsync()
    {
        _host.Dispose();
        return Task.CompletedTask;
    }

    private static string Now(int secondsAgo = 1) => DateTimeOffset.UtcNow.AddSeconds(-secondsAgo).ToString("O");

    private async Task<JsonElement> PushRawAsync(string warehouse, params string[] records)
    {
        using var response = await _host.Pusher().PostAsync($"/v1/warehouses/{warehouse}/stock",
            new StringContent($"{{\"records\":[{string.Join(",", records)}]}}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static List<string> Reasons(JsonElement result)
        => [.. result.GetProperty("deadLettered").EnumerateArray().Select(d => d.GetProperty("reason").GetString()!)];

    [Fact]
    public async Task RecordsTheLedgerRefusesAreDeadLetteredWithItsReasonAndTheRestOfTheBatchIsApplied()
    {
        // A connector whose rules are laxer than the ledger's (an older build, a changed limit): the
        // ledger answers INVALID_ARGUMENT naming the events, and only those are set aside.
        using var lax = await ConnectorHost.StartAsync(redis.Configuration,
            replace: s => s.AddSingleton(new StockEventRules(TimeProvider.System, maxQuantity: long.MaxValue)));

        using var response = await ConnectorHost.PushAsync(lax.Pusher(), "us-erp",
            new { sku = "HUGE-1", available = 2_000_000_000L, sourceTime = Now() },
            new { sku = "GOOD-1", available = 5, sourceTime = Now() },
            new { sku = "HUGE-2", onHand = 3_000_000_000L, sourceTime = Now() },
            new { sku = "GOOD-2", available = 7, sourceTime = Now() });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(2, result.GetProperty("applied").GetInt32());
        Assert.Equal([0, 2], result.GetProperty("deadLettered").EnumerateArray().Select(d => d.GetProperty("index").GetInt32()));
        Assert.All(Reasons(result), r => Assert.StartsWith("ledger refused snapshot.quantities.", r));
        Assert.Equal(5, (await lax.LedgerRecordAsync("us-erp", "GOOD-1"))!.Quantities.Available);
        Assert.Equal(7, (await lax.LedgerRecordAsync("us-erp", "GOOD-2"))!.Quantities.Available);
        Assert.Null(await lax.LedgerRecordAsync("us-erp", "HUGE-1"));
        var feed = (await lax.Client().ListFeedsAsync(new ListFeedsRequest())).Feeds.Single(f => f.WarehouseId == "us-erp");
        Assert.Equal(("", 2L), (feed.LastError, feed.DeadLetters));
        Assert.Contains("stockcast_connector_ledger_refusals_total{warehouse=\"us-erp\"} 2\n", await lax.MetricsAsync());
    }

    [Fact]
    public async Task AControlCharacterInASkuIsDeadLetteredByTheConnectorBeforeTheLedgerSeesIt()
    {
        var result = await PushRawAsync("us-erp",
            $$"""{"sku":"BELL\u0007","available":1,"sourceTime":"{{Now()}}"}""",
            $$"""{"sku":"OK-1","available":1,"sourceTime":"{{Now()}}"}""");

        Assert.Equal(1, result.GetProperty("applied").GetInt32());
        Assert.StartsWith("sku: ", Assert.Single(Reasons(result)));
    }

    [Fact]
    public async Task AnEventIdGivenTwiceInOnePushIsAppliedOnceAndTheLastOneWins()
    {
        await PushRawAsync("us-erp", $$"""{"sku":"DUP-1","available":10,"sourceTime":"{{Now(5)}}","sourceVersion":1}""");

        var result = await PushRawAsync("us-erp",
            $$"""{"sku":"DUP-1","type":"delta","eventId":"ship-1","available":-1,"sourceTime":"{{Now(3)}}"}""",
            $$"""{"sku":"DUP-1","type":"delta","eventId":"ship-1","available":-2,"sourceTime":"{{Now(2)}}"}""");

        Assert.Equal((1, 1), (result.GetProperty("applied").GetInt32(), result.GetProperty("duplicate").GetInt32()));
        Assert.Equal(8, (await _host.LedgerRecordAsync("us-erp", "DUP-1"))!.Quantities.Available);
        Assert.Contains("stockcast_connector_superseded_events_total{warehouse=\"us-erp\"} 1\n", await _host.MetricsAsync());
    }

    [Theory]
    [InlineData("12", 12)]
    [InlineData("\"12\"", 12)]
    [InlineData("\" 12 \"", 12)]
    [InlineData("12.0", 12)]
    [InlineData("\"12.0\"", 12)]
    public async Task AWholeNumberIsTakenAsANumberOrAsTheStringsSomeWarehousesSend(string quantity, long expected)
    {
        var result = await PushRawAsync("us-erp", $$"""{"sku":"QTY-1","available":{{quantity}},"sourceTime":"{{Now()}}"}""");

        Assert.Equal(1, result.GetProperty("applied").GetInt32());
        Assert.Equal(expected, (await _host.LedgerRecordAsync("us-erp", "QTY-1"))!.Quantities.Available);
    }

    [Theory]
    [InlineData("\"1,200\"", "available: '\"1,200\"' is ambiguous")]
    [InlineData("12.5", "available: '12.5' is not a whole number")]
    [InlineData("\"\"", "available: is an empty string, not a number")]
    [InlineData("\"12 pcs\"", "available: '\"12 pcs\"' is not a whole number")]
    [InlineData("true", "available: 'true' is not a whole number")]
    [InlineData("99999999999999999999", "available: '99999999999999999999' is out of range")]
    public async Task AQuantityThatIsNotPlainlyAWholeNumberIsDeadLetteredWithTheReason(string quantity, string reason)
    {
        var result = await PushRawAsync("us-erp", $$"""{"sku":"QTY-2","available":{{quantity}},"sourceTime":"{{Now()}}"}""");

        Assert.StartsWith(reason, Assert.Single(Reasons(result)));
        Assert.Null(await _host.LedgerRecordAsync("us-erp", "QTY-2"));
    }

    [Theory]
    [InlineData(100_000_000L, "available: 100000000 x 12 units per warehouse unit: 1200000000 is beyond the plausible limit")]
    [InlineData(long.MaxValue / 4, "available: 2305843009213693951 x 12 units per warehouse unit overflows")]
    public async Task AQuantityOutOfRangeAfterUnitConversionIsADeadLetterNotAnOverflow(long cases, string reason)
    {
        var result = await PushRawAsync("eu-cases",
            $$"""{"sku":"CASE-1","available":{{cases}},"sourceTime":"{{Now()}}"}""",
            $$"""{"sku":"CASE-2","available":2,"sourceTime":"{{Now()}}"}""");

        Assert.StartsWith(reason, Assert.Single(Reasons(result)));
        Assert.Equal(24, (await _host.LedgerRecordAsync("eu-cases", "CASE-2"))!.Quantities.Available);
    }

    [Theory]
    [InlineData("\"\"")]
    [InlineData("null")]
    [InlineData("\"2026-13-45T99:00:00Z\"")]
    [InlineData("\"2026-11-25T10:00:00\"")]
    public async Task ARecordWithoutAUsableSourceTimeIsAppliedAtItsReceiptMarkedEstimated(string sourceTime)
    {
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);

        var result = await PushRawAsync("us-erp", $$"""{"sku":"TIME-1","available":3,"sourceTime":{{sourceTime}}}""");

        Assert.Equal(1, result.GetProperty("applied").GetInt32());
        var record = await _host.LedgerRecordAsync("us-erp", "TIME-1");
        Assert.True(record!.SourceTimeEstimated);
        Assert.InRange(record.SourceTime.ToDateTimeOffset(), before, DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Equal(1, (await _host.Client().ListFeedsAsync(new ListFeedsRequest())).Feeds.Single(f => f.WarehouseId == "us-erp").RecordsEstimatedTime);
    }

    [Fact]
    public async Task ASourceTimeFurtherAheadThanTheAllowedSkewIsClampedToTheReceiptAndCounted()
    {
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);

        await PushRawAsync("us-erp", $$"""{"sku":"AHEAD-1","available":3,"sourceTime":"{{DateTimeOffset.UtcNow.AddHours(2):O}}"}""");

        var record = await _host.LedgerRecordAsync("us-erp", "AHEAD-1");
        Assert.True(record!.SourceTimeEstimated);
        Assert.InRange(record.SourceTime.ToDateTimeOffset(), before, DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Contains("stockcast_connector_clamped_time_records_total{warehouse=\"us-erp\"} 1\n", await _host.MetricsAsync());
    }

    [Fact]
    public async Task ASnapshotWithTheFiguresTheLedgerHoldsEmitsNoRevisionButKeepsTheFeedFresh()
    {
        await PushRawAsync("us-erp", $$"""{"sku":"SAME-1","onHand":4,"available":4,"sourceTime":"{{Now(5)}}","sourceVersion":1}""");
        var before = await _host.LedgerRecordAsync("us-erp", "SAME-1");
        var success = (await _host.Client().ListFeedsAsync(new ListFeedsRequest())).Feeds.Single(f => f.WarehouseId == "us-erp").LastSuccess;

        var result = await PushRawAsync("us-erp", $$"""{"sku":"SAME-1","onHand":4,"available":4,"sourceTime":"{{Now(2)}}","sourceVersion":2}""");

        Assert.Equal((0, 1), (result.GetProperty("applied").GetInt32(), result.GetProperty("unchanged").GetInt32()));
        var after = await _host.LedgerRecordAsync("us-erp", "SAME-1");
        Assert.Equal((before!.ModRevision, 1L), (after!.ModRevision, after.SourceVersion));
        var feed = (await _host.Client().ListFeedsAsync(new ListFeedsRequest())).Feeds.Single(f => f.WarehouseId == "us-erp");
        Assert.True(feed.LastSuccess.ToDateTimeOffset() >= success.ToDateTimeOffset());
        Assert.Equal(1, feed.RecordsUnchanged);
    }

    [Fact]
    public async Task AFeedMostlyDeadLetteredIsDegradedWithItsLastReasonAndAnExampleWhileTheConnectorStaysReady()
    {
        var bad = Enumerable.Range(0, 6).Select(i => $$"""{"sku":"BAD-{{i}}","available":-1,"sourceTime":"{{Now()}}"}""");
        await PushRawAsync("us-erp", [.. bad, $$"""{"sku":"GOOD-9","available":1,"sourceTime":"{{Now()}}"}"""]);

        var feeds = (await _host.Client().ListFeedsAsync(new ListFeedsRequest())).Feeds.ToDictionary(f => f.WarehouseId);

        var us = feeds["us-erp"];
        Assert.Equal((FeedState.Degraded, 7L), (us.State, us.WindowRecords));
        Assert.Equal(6.0 / 7, us.DeadLetterRatio, 3);
        Assert.StartsWith("available: must not be negative", us.LastDeadLetterReason);
        Assert.NotEmpty(us.ExampleDeadLetterId);
        Assert.Equal(FeedState.Healthy, feeds["eu-cases"].State);
        var health = await _host.ManagementClient().GetFromJsonAsync<JsonElement>("/healthz/feeds");
        Assert.Equal("Degraded", health.GetProperty("status").GetString());
        Assert.StartsWith("DEGRADED", health.GetProperty("feeds").GetProperty("us-erp").GetString());
        Assert.Equal(HttpStatusCode.OK, (await _host.CreateClient().GetAsync("/readyz")).StatusCode);
        // Feed names and dead-letter reasons are operational detail: the management port only.
        Assert.Equal(HttpStatusCode.NotFound, (await _host.CreateClient().GetAsync("/healthz/feeds")).StatusCode);
    }

    [Fact]
    [Trait(Lane.Name, Lane.Slow)]
    public async Task ADegradedFeedIsExportedAsTheGaugeItsAlertReads()
    {
        await PushRawAsync("us-erp", [.. Enumerable.Range(0, 5).Select(i => $$"""{"sku":"BAD-{{i}}","available":-1,"sourceTime":"{{Now()}}"}""")]);

        // The health monitor's next round (every quarter of the smallest stale bound, at most 15 s).
        await Eventually.TrueAsync(async () => (await _host.MetricsAsync()).Contains("stockcast_connector_feed_degraded{warehouse=\"us-erp\"} 1\n", StringComparison.Ordinal),
            "the feed's DEGRADED gauge is 1");
        Assert.Contains("stockcast_connector_dead_letter_ratio{warehouse=\"us-erp\"} 1\n", await _host.MetricsAsync());
    }

    [Fact]
    public async Task AFewDeadLettersAmongManyRecordsLeaveTheFeedHealthy()
    {
        var good = Enumerable.Range(0, 9).Select(i => $$"""{"sku":"OK-{{i}}","available":1,"sourceTime":"{{Now()}}"}""");
        await PushRawAsync("us-erp", [.. good, $$"""{"sku":"BAD-1","available":-1,"sourceTime":"{{Now()}}"}"""]);

        var us = (await _host.Client().ListFeedsAsync(new ListFeedsRequest())).Feeds.Single(f => f.WarehouseId == "us-erp");

        Assert.Equal((FeedState.Healthy, 0.1), (us.State, Math.Round(us.DeadLetterRatio, 3)));
    }

    [Fact]
    public async Task AFeedWhoseEveryRecordIsRefusedReportsItAsItsErrorAndIsNotKeptFresh()
    {
        await PushRawAsync("eu-cases",
            $$"""{"sku":"X-1","available":-1,"sourceTime":"{{Now()}}"}""",
            $$"""{"available":1,"sourceTime":"{{Now()}}"}""");

        var feed = (await _host.Client().ListFeedsAsync(new ListFeedsRequest())).Feeds.Single(f => f.WarehouseId == "eu-cases");

        Assert.True(feed.Stale);
        Assert.StartsWith("all 2 records dead-lettered", feed.LastError);
    }

    [Fact]
    public async Task ARecordsOriginTravelsWithItsDeadLetterAndTheRecordAfterItIsApplied()
    {
        var intake = _host.Services.GetRequiredService<FeedIntake>();
        var reader = _host.Services.GetRequiredService<CanonicalRecords>();
        var feed = _host.Services.GetRequiredService<IOptions<ConnectorOptions>>().Value.Feeds.Single(f => f.WarehouseId == "us-erp");
        SourceRecord Line(int line, string json) => SourceRecord.Received(JsonDocument.Parse(json).RootElement, DateTimeOffset.UtcNow) with { Origin = $"stock-2026-12-04.csv:{line}" };

        var result = await intake.AcceptAsync(new FeedRead(feed, full: false, reconciles: false), reader,
            [Line(2, $$"""{"sku":"ROW-1","available":"","sourceTime":"{{Now()}}"}"""), Line(3, $$"""{"sku":"ROW-2","available":4,"sourceTime":"{{Now()}}"}""")],
            CancellationToken.None);

        Assert.Equal(1, result.Applied);
        var letter = Assert.Single((await _host.Client().ListDeadLettersAsync(new ListDeadLettersRequest { WarehouseId = "us-erp" })).DeadLetters);
        Assert.Equal(("stock-2026-12-04.csv:2", "available: is an empty string, not a number"), (letter.Origin, letter.Reason));
        Assert.Equal(4, (await _host.LedgerRecordAsync("us-erp", "ROW-2"))!.Quantities.Available);
    }
}
