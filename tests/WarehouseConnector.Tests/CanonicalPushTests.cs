using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Stockcast.Connector.V1;
using Stockcast.Testing;

namespace Stockcast.Connector.Tests;

public sealed class CanonicalPushTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private ConnectorHost _host = null!;

    public async Task InitializeAsync() => _host = await ConnectorHost.StartAsync(redis.Configuration);

    public Task DisposeAsync()
    {
        _host.Dispose();
        return Task.CompletedTask;
    }

    private static string Now(int secondsAgo = 1) => DateTimeOffset.UtcNow.AddSeconds(-secondsAgo).ToString("O");

    private static async Task<JsonElement> OkJsonAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task PushedSnapshotsReachTheLedgerWithTheSkuMappedAndUnitsConverted()
    {
        var us = await OkJsonAsync(await ConnectorHost.PushAsync(_host.Pusher(), "us-erp",
            new { sku = "ERP-TEE-W-M", onHand = 40, available = 37, reserved = 3, sourceTime = Now(), sourceVersion = 5 }));
        var eu = await OkJsonAsync(await ConnectorHost.PushAsync(_host.Pusher(), "eu-cases",
            new { sku = "MUG-RED", available = 4, sourceTime = Now() }));

        Assert.Equal(1, us.GetProperty("applied").GetInt32());
        Assert.Equal(1, eu.GetProperty("applied").GetInt32());
        var tee = await _host.LedgerRecordAsync("us-erp", "TEE-WHITE-M");
        Assert.Equal((40L, 37L, 3L, 5L), (tee!.Quantities.OnHand, tee.Quantities.Available, tee.Quantities.Reserved, tee.SourceVersion));
        Assert.Equal(48, (await _host.LedgerRecordAsync("eu-cases", "MUG-RED"))!.Quantities.Available);
    }

    [Fact]
    public async Task AVersionSentAsAStringOfDigitsIsTakenAndOtherTextIsDeadLettered()
    {
        var result = await OkJsonAsync(await ConnectorHost.PushAsync(_host.Pusher(), "us-erp",
            new { sku = "VER-TEXT-1", onHand = "42", available = "40", sourceTime = "", sourceVersion = " 7001 " },
            new { sku = "VER-TEXT-2", available = 3, sourceTime = Now(), sourceVersion = "v7" }));

        Assert.Equal(1, result.GetProperty("applied").GetInt32());
        Assert.StartsWith("sourceVersion: must be a positive integer", Assert.Single(result.GetProperty("deadLettered").EnumerateArray()).GetProperty("reason").GetString());
        var record = await _host.LedgerRecordAsync("us-erp", "VER-TEXT-1");
        Assert.Equal((42L, 40L, 7001L), (record!.Quantities.OnHand, record.Quantities.Available, record.SourceVersion));
        Assert.Null(await _host.LedgerRecordAsync("us-erp", "VER-TEXT-2"));
    }

    [Fact]
    public async Task APushThatIsNotUtf8IsRefusedNamingTheBodyAndNothingOfItIsApplied()
    {
        // Found by the generated bad pushes: a stray byte inside a string passed the JSON reader and answered 500 mid-intake.
        var bytes = System.Text.Encoding.UTF8.GetBytes($$"""{"records":[{"sku":"UTF-GOOD","available":2,"sourceTime":"{{Now()}}"},{"sku":"UTF-BAD","available":2,"sourceTime":"{{Now()}}"}]}""");
        bytes[bytes.AsSpan().IndexOf("BAD"u8)] = 0xC5;
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        var response = await _host.Pusher().PostAsync("/v1/warehouses/us-erp/stock", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("body", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("field").GetString());
        Assert.Null(await _host.LedgerRecordAsync("us-erp", "UTF-GOOD"));
    }

    [Fact]
    public async Task MalformedRecordsAreDeadLetteredNeverAppliedWhileTheRestOfThePushIsDelivered()
    {
        var result = await OkJsonAsync(await ConnectorHost.PushAsync(_host.Pusher(), "us-erp",
            new { sku = "GOOD-1", available = 5, sourceTime = Now() },
            new { available = 5, sourceTime = Now() },
            new { sku = "NEG-1", available = -2, sourceTime = Now() },
            new { sku = "TEXT-1", available = "lots", sourceTime = Now() },
            new { sku = "TIME-1", available = 1, sourceTime = "yesterday" }));

        Assert.Equal(2, result.GetProperty("applied").GetInt32());
        var reasons = result.GetProperty("deadLettered").EnumerateArray().Select(d => d.GetProperty("reason").GetString()!).ToList();
        Assert.Collection(reasons,
            r => Assert.StartsWith("sku: required", r),
            r => Assert.StartsWith("available: must not be negative", r),
            r => Assert.StartsWith("available: '\"lots\"' is not a whole number", r));
        foreach (var sku in new[] { "NEG-1", "TEXT-1" })
        {
            Assert.Null(await _host.LedgerRecordAsync("us-erp", sku));
        }
        // A time that cannot be read is no reason to drop the figure: it is applied at the receipt, marked estimated.
        Assert.True((await _host.LedgerRecordAsync("us-erp", "TIME-1"))!.SourceTimeEstimated);
        var letters = await _host.Client().ListDeadLettersAsync(new ListDeadLettersRequest { WarehouseId = "us-erp" });
        Assert.Equal(3, letters.DeadLetters.Count);
        Assert.Contains(letters.DeadLetters, l => l.Payload.Contains("\"lots\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ASalePushedBeforeTheDeliveryItSoldFromIsTakenAndTheFiguresAddUpOnceTheDeliveryComes()
    {
        await OkJsonAsync(await ConnectorHost.PushAsync(_host.Pusher(), "us-erp", new { sku = "CAP-1", available = 1, sourceTime = Now(5), sourceVersion = 1 }));
        var sale = await OkJsonAsync(await ConnectorHost.PushAsync(_host.Pusher(), "us-erp",
            new { sku = "CAP-1", type = "delta", eventId = "sale-77", available = -3, sourceTime = Now(2) }));

        // Taken, not dead-lettered: dropping it would leave the delivery below overstating the stock by 3.
        Assert.Equal((1, 0), (sale.GetProperty("applied").GetInt32(), sale.GetProperty("deadLettered").GetArrayLength()));
        var owed = await _host.LedgerRecordAsync("us-erp", "CAP-1");
        Assert.Equal((-2L, 0L), (owed!.Quantities.Available, owed.AvailableToPromise));

        await OkJsonAsync(await ConnectorHost.PushAsync(_host.Pusher(), "us-erp",
            new { sku = "CAP-1", type = "delta", eventId = "delivery-12", available = 10, sourceTime = Now(3) }));

        var record = await _host.LedgerRecordAsync("us-erp", "CAP-1");
        Assert.Equal((8L, 8L), (record!.Quantities.Available, record.AvailableToPromise));
        Assert.Empty((await _host.Client().ListDeadLettersAsync(new ListDeadLettersRequest { WarehouseId = "us-erp" })).DeadLetters);
    }

    [Fact]
    public async Task AReplayThatStillFailsKeepsTheLetterWithItsNewAttemptCount()
    {
        await OkJsonAsync(await ConnectorHost.PushAsync(_host.Pusher(), "us-erp", new { sku = "BAD-1", available = -1, sourceTime = Now() }));

        var replay = await _host.Client().ReplayDeadLettersAsync(new ReplayDeadLettersRequest { WarehouseId = "us-erp" });

        var letter = Assert.Single(replay.StillFailing);
        Assert.Equal(2, letter.Attempts);
        Assert.Single((await _host.Client().ListDeadLettersAsync(new ListDeadLettersRequest { WarehouseId = "us-erp" })).DeadLetters);
    }

    [Fact]
    public async Task ADeltaWhoseEventIdTheLedgerWouldRefuseIsDeadLetteredAloneNotTheWholePush()
    {
        var result = await OkJsonAsync(await ConnectorHost.PushAsync(_host.Pusher(), "us-erp",
            new { sku = "EVT-1", available = 5, sourceTime = Now(3), sourceVersion = 1 },
            new { sku = "EVT-1", type = "delta", eventId = "sale 12", available = -1, sourceTime = Now(2) },
            new { sku = "EVT-1", type = "delta", eventId = new string('e', 128), available = -1, sourceTime = Now(2) }));

        Assert.Equal(1, result.GetProperty("applied").GetInt32());
        Assert.All(result.GetProperty("deadLettered").EnumerateArray(), d => Assert.StartsWith("eventId: with the 'us-erp:' prefix it must be 1-128 printable characters", d.GetProperty("reason").GetString()));
        Assert.Equal(5, (await _host.LedgerRecordAsync("us-erp", "EVT-1"))!.Quantities.Available);
    }

    [Fact]
    public async Task PushingTheSameRecordsTwiceAppliesThemOnce()
    {
        object[] records =
        [
            new { sku = "SOCK-1", onHand = 10, available = 10, sourceTime = Now(3), sourceVersion = 1 },
            new { sku = "SOCK-1", type = "delta", eventId = "ship-9", available = -1, onHand = -1, sourceTime = Now(2) },
        ];
        var first = await OkJsonAsync(await ConnectorHost.PushAsync(_host.Pusher(), "us-erp", records));
        var again = await OkJsonAsync(await ConnectorHost.PushAsync(_host.Pusher(), "us-erp", records));

        Assert.Equal(2, first.GetProperty("applied").GetInt32());
        Assert.Equal(2, again.GetProperty("duplicate").GetInt32());
        Assert.Equal(9, (await _host.LedgerRecordAsync("us-erp", "SOCK-1"))!.Quantities.Available);
    }

    [Fact]
    [Trait(Lane.Name, Lane.Slow)]
    public async Task WhenTheLedgerIsDownAPushIsRefusedWith503AndTheRetryAppliesIt()
    {
        object record = new { sku = "LAMP-1", available = 3, sourceTime = Now(), sourceVersion = 1 };
        _host.Ledger.Stop();

        var refused = await ConnectorHost.PushAsync(_host.Pusher(), "us-erp", record);
        await _host.Ledger.StartAsync();
        JsonElement retried = default;
        await Eventually.TrueAsync(async () =>
        {
            var response = await ConnectorHost.PushAsync(_host.Pusher(), "us-erp", record);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return false;
            }
            retried = await response.Content.ReadFromJsonAsync<JsonElement>();
            return true;
        }, "the connector delivers again once the ledger is back");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.Equal(1, retried.GetProperty("applied").GetInt32() + retried.GetProperty("duplicate").GetInt32());
        Assert.Equal(3, (await _host.LedgerRecordAsync("us-erp", "LAMP-1"))!.Quantities.Available);
    }

    [Fact]
    public async Task PushesNeedAWriteKeyAConfiguredFeedAndAnArrayOfRecords()
    {
        object record = new { sku = "X", available = 1, sourceTime = Now() };

        var anonymous = await ConnectorHost.PushAsync(_host.Pusher(key: null), "us-erp", record);
        var unknownFeed = await ConnectorHost.PushAsync(_host.Pusher(), "nowhere", record);
        var notJson = await _host.Pusher().PostAsync("/v1/warehouses/us-erp/stock", new StringContent("{oops", System.Text.Encoding.UTF8, "application/json"));
        var noRecords = await _host.Pusher().PostAsJsonAsync("/v1/warehouses/us-erp/stock", new { items = Array.Empty<object>() });

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknownFeed.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        Assert.Contains("records: required", await noRecords.Content.ReadAsStringAsync());
        Assert.Null(await _host.LedgerRecordAsync("us-erp", "X"));
    }

    [Fact]
    public async Task AnEmptyPushIsAHeartbeatThatKeepsAQuietFeedFreshAndCountsNoRecords()
    {
        Assert.True((await _host.Client().ListFeedsAsync(new ListFeedsRequest())).Feeds.Single(f => f.WarehouseId == "eu-cases").Stale);

        var heartbeat = await _host.Pusher().PostAsJsonAsync("/v1/warehouses/eu-cases/stock", new { records = Array.Empty<object>() });

        Assert.Equal(HttpStatusCode.OK, heartbeat.StatusCode);
        var feed = (await _host.Client().ListFeedsAsync(new ListFeedsRequest())).Feeds.Single(f => f.WarehouseId == "eu-cases");
        Assert.False(feed.Stale);
        Assert.Equal(0, feed.RecordsReceived);
    }

    [Fact]
    public async Task FeedsReportTheirLastSuccessCountsAndStaleness()
    {
        await OkJsonAsync(await ConnectorHost.PushAsync(_host.Pusher(), "us-erp",
            new { sku = "F-1", available = 1, sourceTime = Now(2) }, new { sku = "F-2", available = -1, sourceTime = Now(2) }));

        var feeds = (await _host.Client().ListFeedsAsync(new ListFeedsRequest())).Feeds.ToDictionary(f => f.WarehouseId);

        var us = feeds["us-erp"];
        Assert.Equal((2L, 1L, 1L, 1L, false), (us.RecordsReceived, us.RecordsApplied, us.RecordsDeadLettered, us.DeadLetters, us.Stale));
        Assert.NotNull(us.LastSuccess);
        Assert.True(feeds["eu-cases"].Stale);
        var metrics = await _host.MetricsAsync();
        Assert.Contains("stockcast_connector_records_total{warehouse=\"us-erp\",outcome=\"dead_lettered\"} 1\n", metrics);
        Assert.Contains("stockcast_connector_sync_lag_seconds_bucket{warehouse=\"us-erp\"", metrics);
    }
}
