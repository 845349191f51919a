using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Stockcast.Connector.Feeds;
using Stockcast.Connector.V1;
using Stockcast.Testing;

namespace Stockcast.Connector.Tests;

/// <summary>
/// The Amazon FBA adapter against the simulated SP-API, whose clock runs in real time here: its
/// 2 requests/s quota refills only as time passes, as Amazon's does.
/// </summary>
public sealed class AmazonFbaFeedTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private const string Warehouse = "us-fba";
    private const string Token = "Atza|connector-test-token";
    private const string Marketplace = "ATVPDKIKX0DER";
    private readonly Simulator _sim = new(realTime: true);
    private ConnectorHost _host = null!;

    public async Task InitializeAsync()
    {
        var stock = string.Join(",", Enumerable.Range(0, 120).Select(i => $$"""{"sku":"FBA-{{i:D3}}","onHand":{{200 + i}},"committed":{{i % 5}},"inbound":{{i % 4 * 25}}}"""));
        await _sim.LoadAsync($$"""
            {"warehouses":[{"id":"fba","kind":"AmazonFba","token":"{{Token}}","externalId":"{{Marketplace}}","stock":[{{stock}}]}]}
            """);
        _host = await ConnectorHost.StartAsync(redis.Configuration, new Dictionary<string, string?>
        {
            ["Connector:Feeds:2:WarehouseId"] = Warehouse,
            ["Connector:Feeds:2:Source"] = "amazon-fba",
            ["Connector:Feeds:2:BaseUrl"] = _sim.Server.BaseAddress.ToString(),
            ["Connector:Feeds:2:Credentials"] = Token,
            ["Connector:Feeds:2:ExternalId"] = Marketplace,
            ["Connector:Feeds:2:PollIntervalSeconds"] = "3600",
        }, _sim.Server.CreateHandler);
    }

    public Task DisposeAsync()
    {
        _host.Dispose();
        _sim.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task AFullSyncFollowsNextTokensAndMapsAmazonsQuantities()
    {
        var sync = await _host.Client().TriggerFullSyncAsync(new TriggerFullSyncRequest { WarehouseId = Warehouse });

        Assert.Equal(120, sync.RecordsReceived);
        Assert.Equal(0, sync.RecordsDeadLettered);
        using var state = JsonDocument.Parse(await _sim.StateAsync());
        var truth = state.RootElement.GetProperty("warehouses")[0].GetProperty("skus").EnumerateArray().Single(s => s.GetProperty("sku").GetString() == "FBA-119");
        var record = await _host.LedgerRecordAsync(Warehouse, "FBA-119");
        Assert.Equal(truth.GetProperty("onHand").GetInt64(), record!.Quantities.OnHand);
        Assert.Equal(truth.GetProperty("available").GetInt64(), record.Quantities.Available);
        Assert.Equal(truth.GetProperty("inbound").GetInt64(), record.Quantities.Inbound);
    }

    [Fact]
    public async Task ACompletedReadLeavesADurableCursorAtTheNewestChangeItSaw()
    {
        await _host.Client().TriggerFullSyncAsync(new TriggerFullSyncRequest { WarehouseId = Warehouse });

        var cursor = await _host.Services.GetRequiredService<FeedCursorStore>().GetAsync(Warehouse);

        using var state = JsonDocument.Parse(await _sim.StateAsync());
        var newest = state.RootElement.GetProperty("warehouses")[0].GetProperty("skus").EnumerateArray().Max(s => s.GetProperty("updatedAt").GetDateTimeOffset());
        Assert.NotNull(cursor);
        Assert.InRange(cursor!.Value, newest.AddSeconds(-1), newest.AddSeconds(1));
    }

    [Fact]
    public async Task AnIncrementalReadThatFindsNothingNewStillCountsAsASuccessfulSync()
    {
        await _host.Client().TriggerFullSyncAsync(new TriggerFullSyncRequest { WarehouseId = Warehouse });
        // Nothing changed after this cursor: the incremental read returns no records at all.
        await _host.Services.GetRequiredService<FeedCursorStore>().AdvanceAsync(Warehouse, DateTimeOffset.UtcNow.AddHours(1));
        var before = DateTimeOffset.UtcNow;

        var feed = _host.Services.GetRequiredService<IOptions<ConnectorOptions>>().Value.Feeds.Single(f => f.WarehouseId == Warehouse);
        await _host.Services.GetRequiredService<FeedPoller>().SyncNowAsync(feed, full: false, CancellationToken.None);

        var status = (await _host.Client().ListFeedsAsync(new ListFeedsRequest())).Feeds.Single(f => f.WarehouseId == Warehouse);
        Assert.True(status.LastSuccess.ToDateTimeOffset() >= before.AddMilliseconds(-1), "a quiet feed must not look stale");
        Assert.False(status.Stale);
    }

    [Theory]
    [InlineData("BadTimestamp")]
    [InlineData("EmptyTimestamp")]
    [InlineData("MissingTimestamp")]
    public async Task ASummaryWithoutAUsableLastUpdatedTimeIsAppliedAtTheAnswersDateMarkedEstimated(string quirk)
    {
        await _sim.MalformAsync("fba", "FBA-007", quirk);
        var before = DateTimeOffset.UtcNow.AddSeconds(-2);

        var sync = await _host.Client().TriggerFullSyncAsync(new TriggerFullSyncRequest { WarehouseId = Warehouse });

        Assert.Equal(0, sync.RecordsDeadLettered);
        var record = await _host.LedgerRecordAsync(Warehouse, "FBA-007");
        Assert.True(record!.SourceTimeEstimated);
        Assert.InRange(record.SourceTime.ToDateTimeOffset(), before, DateTimeOffset.UtcNow.AddSeconds(2));
        Assert.False((await _host.LedgerRecordAsync(Warehouse, "FBA-008"))!.SourceTimeEstimated);
        var feed = (await _host.Client().ListFeedsAsync(new ListFeedsRequest())).Feeds.Single(f => f.WarehouseId == Warehouse);
        // Counted per read: the feed's own read at start may have met the quirk too.
        Assert.InRange(feed.RecordsEstimatedTime, 1, 2);
    }

    // The quirk corpus: SP-API's inventory summaries as its documentation and sellers' issues show them.

    [Theory]
    [InlineData("ControlCharacterSku", "sellerSku: ")]
    [InlineData("NullQuantity", "totalQuantity: required, but null")]
    [InlineData("NegativeAvailable", "inventoryDetails.fulfillableQuantity: must not be negative")]
    public async Task ASummaryAmazonSendsBrokenIsDeadLetteredWithItsFieldWhileTheOthersAreApplied(string quirk, string reason)
    {
        await _sim.MalformAsync("fba", "FBA-007", quirk);

        var sync = await _host.Client().TriggerFullSyncAsync(new TriggerFullSyncRequest { WarehouseId = Warehouse });

        Assert.Equal((120, 1), (sync.RecordsReceived, sync.RecordsDeadLettered));
        Assert.StartsWith(reason, Assert.Single((await _host.Client().ListDeadLettersAsync(new ListDeadLettersRequest { WarehouseId = Warehouse })).DeadLetters).Reason);
        Assert.NotNull(await _host.LedgerRecordAsync(Warehouse, "FBA-119"));
        // The read completed, so the cursor moved on past the broken summary.
        Assert.NotNull(await _host.Services.GetRequiredService<FeedCursorStore>().GetAsync(Warehouse));
    }

    [Fact]
    public async Task AQuantityAmazonSendsAsAStringOfDigitsIsApplied()
    {
        await _sim.MalformAsync("fba", "FBA-007", "NumericStringQuantity");

        var sync = await _host.Client().TriggerFullSyncAsync(new TriggerFullSyncRequest { WarehouseId = Warehouse });

        Assert.Equal(0, sync.RecordsDeadLettered);
        Assert.NotNull(await _host.LedgerRecordAsync(Warehouse, "FBA-007"));
    }
}
