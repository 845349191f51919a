using Microsoft.Extensions.DependencyInjection;
using System.Text.Json;
using Grpc.Core;
using Microsoft.Extensions.Time.Testing;
using Google.Protobuf.WellKnownTypes;
using Stockcast.Connector.V1;
using Stockcast.Ledger.V1;
using Stockcast.Testing;

namespace Stockcast.Connector.Tests;

/// <summary>The ShipBob adapter reading the simulated ShipBob API into the real ledger.</summary>
public sealed class ShipBobFeedTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private const string Token = "shipbob-connector-test-token";
    private readonly Simulator _sim = new();
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private ConnectorHost _host = null!;

    public async Task InitializeAsync()
    {
        var stock = string.Join(",", Enumerable.Range(0, 300).Select(i => $$"""{"sku":"SKU-{{i:D3}}","onHand":{{100 + i}},"committed":{{i % 7}},"inbound":{{i % 3 * 10}}}"""));
        await _sim.LoadAsync($$"""
            {"start":"2026-01-05T00:00:00Z",
             "warehouses":[{"id":"sb","kind":"ShipBob","token":"{{Token}}","locations":[{"id":101,"name":"Cicero (IL)"}],"stock":[{{stock}}]}],
             "sales":[{"warehouse":"sb","sku":"SKU-001","perHour":3600}]}
            """);
        _host = await ConnectorHost.StartAsync(redis.Configuration, new Dictionary<string, string?>
        {
            ["Connector:Feeds:2:WarehouseId"] = "us-shipbob",
            ["Connector:Feeds:2:Source"] = "shipbob",
            ["Connector:Feeds:2:BaseUrl"] = _sim.Server.BaseAddress.ToString(),
            ["Connector:Feeds:2:Credentials"] = Token,
            ["Connector:Feeds:2:PollIntervalSeconds"] = "3600",
        }, _sim.Server.CreateHandler, _clock);
    }

    public Task DisposeAsync()
    {
        _host.Dispose();
        _sim.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task AFullSyncReadsEveryPageAndTheLedgerHoldsShipBobsFigures()
    {
        var sync = await _host.Client().TriggerFullSyncAsync(new TriggerFullSyncRequest { WarehouseId = "us-shipbob" });

        Assert.Equal(300, sync.RecordsReceived);
        Assert.Equal(0, sync.RecordsDeadLettered);
        var last = await _host.LedgerRecordAsync("us-shipbob", "SKU-299");
        Assert.Equal((399L, 399L - 299 % 7, 299L % 7, 299L % 3 * 10), (last!.Quantities.OnHand, last.Quantities.Available, last.Quantities.Reserved, last.Quantities.Inbound));
    }

    [Fact]
    public async Task SalesAtTheWarehouseShowInTheLedgerAfterTheNextRead()
    {
        await _sim.AdvanceAsync(60);

        await _host.Client().TriggerFullSyncAsync(new TriggerFullSyncRequest { WarehouseId = "us-shipbob" });

        using var state = JsonDocument.Parse(await _sim.StateAsync());
        var truth = state.RootElement.GetProperty("warehouses")[0].GetProperty("skus").EnumerateArray().Single(s => s.GetProperty("sku").GetString() == "SKU-001");
        var record = await _host.LedgerRecordAsync("us-shipbob", "SKU-001");
        Assert.True(truth.GetProperty("sold").GetInt64() > 0);
        Assert.Equal(truth.GetProperty("onHand").GetInt64(), record!.Quantities.OnHand);
        Assert.Equal(truth.GetProperty("available").GetInt64(), record.Quantities.Available);
    }

    [Fact]
    public async Task AFullSyncCorrectsDriftAndReportsItAsMetricAndEventAndNamesSkusTheWarehouseNoLongerLists()
    {
        await _host.Client().TriggerFullSyncAsync(new TriggerFullSyncRequest { WarehouseId = "us-shipbob" });
        var truth = (await _host.LedgerRecordAsync("us-shipbob", "SKU-005"))!.Quantities.OnHand;
        using var events = _host.Client().WatchFeedEvents(new WatchFeedEventsRequest { AfterId = "0", WarehouseId = "us-shipbob" });
        // Drift: a movement the connector never saw, and a SKU the warehouse does not list.
        await _host.ApplyToLedgerAsync(
            new StockEvent { WarehouseId = "us-shipbob", Sku = "SKU-005", SourceTime = Timestamp.FromDateTimeOffset(_clock.GetUtcNow()), Delta = new StockDelta { EventId = "lost-scan-1", Change = new Quantities { OnHand = -7, Available = -7 } } },
            new StockEvent { WarehouseId = "us-shipbob", Sku = "GHOST-1", SourceTime = Timestamp.FromDateTimeOffset(_clock.GetUtcNow()), Snapshot = new StockSnapshot { SourceVersion = 1, Quantities = new Quantities { OnHand = 4 } } });
        _clock.Advance(TimeSpan.FromSeconds(1));

        var sync = await _host.Client().TriggerFullSyncAsync(new TriggerFullSyncRequest { WarehouseId = "us-shipbob" });

        Assert.Equal((1, 7L, 1), (sync.SkusDrifted, sync.DriftUnits, sync.SkusMissing));
        Assert.Equal(truth, (await _host.LedgerRecordAsync("us-shipbob", "SKU-005"))!.Quantities.OnHand);
        Assert.Equal(4, (await _host.LedgerRecordAsync("us-shipbob", "GHOST-1"))!.Quantities.OnHand);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Assert.True(await events.ResponseStream.MoveNext(deadline.Token));
        var drift = events.ResponseStream.Current; // the first: nothing before it drifted or jumped
        Assert.Equal((FeedEventKind.DriftCorrected, 1, 7L), (drift.Kind, drift.Skus, drift.Units));
        Assert.Contains($"SKU-005 {truth - 7}->{truth}", drift.Detail);
        Assert.Contains("GHOST-1", drift.Detail);
        Assert.Equal(7, DriftUnits(await _host.MetricsAsync()));
    }

    private static double DriftUnits(string metrics)
    {
        var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith("stockcast_connector_drift_units_total{warehouse=\"us-shipbob\"}", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task AMalformedShipBobRecordIsDeadLetteredWithItsFieldAndTheOthersAreApplied()
    {
        await _sim.MalformAsync("sb", "SKU-010", "NonNumericQuantity");

        var sync = await _host.Client().TriggerFullSyncAsync(new TriggerFullSyncRequest { WarehouseId = "us-shipbob" });

        Assert.Equal(1, sync.RecordsDeadLettered);
        var letters = await _host.Client().ListDeadLettersAsync(new ListDeadLettersRequest { WarehouseId = "us-shipbob" });
        Assert.Contains(letters.DeadLetters, l => l.Reason.StartsWith("total_on_hand_quantity: '\"12 pcs\"' is not a whole number", StringComparison.Ordinal));
        Assert.NotNull(await _host.LedgerRecordAsync("us-shipbob", "SKU-011"));
    }

    [Fact]
    public async Task WhenShipBobSaysTooManyRequestsTheReadWaitsAsToldAndThenCompletes()
    {
        // The feed reads every page once as the connector starts, then waits out its hour on a clock
        // only the test moves: the only read left to meet the exhausted minute is the test's.
        await Eventually.TrueAsync(async () => (await _host.Client().ListFeedsAsync(new ListFeedsRequest())).Feeds.Single(f => f.WarehouseId == "us-shipbob").RecordsReceived == 300,
            "the feed's read at start is done");
        // Use up the token's 150 calls of this (frozen) minute, as another client of the account might.
        var other = _sim.CreateClient();
        other.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
        for (var i = 0; i < 150; i++)
        {
            (await other.GetAsync("/2025-07/inventory-level?PageSize=1")).Dispose();
        }
        var waits = _host.Services.GetRequiredService<ConnectorMetrics>().RateLimitWaits.WithLabels("us-shipbob");

        var sync = _host.Client().TriggerFullSyncAsync(new TriggerFullSyncRequest { WarehouseId = "us-shipbob" }).ResponseAsync;
        await Eventually.TrueAsync(() => waits.Value > 0, "the adapter waits on a 429");
        Assert.False(sync.IsCompleted);
        await _sim.AdvanceAsync(60);
        // The wait is counted just before its timer starts: a single move of the clock could come first and
        // leave the timer waiting on a clock nobody moves again. So move it a minute at a time until the read is done.
        await Eventually.TrueAsync(() =>
        {
            _clock.Advance(TimeSpan.FromSeconds(60));
            return sync.IsCompleted;
        }, "the read completes once the asked wait has passed");

        Assert.Equal(300, (await sync).RecordsReceived);
        Assert.Equal(1, waits.Value);
    }

    [Fact]
    public async Task APushedFeedCannotBeReadOnDemand()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => _host.Client().TriggerFullSyncAsync(new TriggerFullSyncRequest { WarehouseId = "us-erp" }).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
    }

    // The quirk corpus: ShipBob's inventory levels as its API documentation and accounts show them.

    [Theory]
    [InlineData("ControlCharacterSku", "sku: ")]
    [InlineData("MissingSku", "sku: required")]
    [InlineData("NullQuantity", "total_on_hand_quantity: required, but null")]
    [InlineData("MissingQuantity", "total_on_hand_quantity: required, but missing")]
    [InlineData("NegativeQuantity", "total_on_hand_quantity: must not be negative")]
    public async Task AnItemShipBobSendsBrokenIsDeadLetteredWithItsFieldWhileTheOthersAreApplied(string quirk, string reason)
    {
        await _sim.MalformAsync("sb", "SKU-010", quirk);

        var sync = await _host.Client().TriggerFullSyncAsync(new TriggerFullSyncRequest { WarehouseId = "us-shipbob" });

        Assert.Equal((300, 299), (sync.RecordsReceived, sync.RecordsReceived - sync.RecordsDeadLettered));
        var letter = Assert.Single((await _host.Client().ListDeadLettersAsync(new ListDeadLettersRequest { WarehouseId = "us-shipbob" })).DeadLetters);
        Assert.StartsWith(reason, letter.Reason);
        Assert.Equal("shipbob", letter.Format);
        Assert.NotNull(await _host.LedgerRecordAsync("us-shipbob", "SKU-299"));
    }

    [Fact]
    public async Task QuantitiesShipBobSendsAsStringsOfDigitsAreApplied()
    {
        await _sim.MalformAsync("sb", "SKU-010", "NumericStringQuantity");

        var sync = await _host.Client().TriggerFullSyncAsync(new TriggerFullSyncRequest { WarehouseId = "us-shipbob" });

        Assert.Equal(0, sync.RecordsDeadLettered);
        Assert.Equal(110, (await _host.LedgerRecordAsync("us-shipbob", "SKU-010"))!.Quantities.OnHand);
    }

    [Fact]
    public async Task ANegativeFulfillableFigureIsABackorderAppliedAsZeroAvailableWithAnEstimatedTime()
    {
        await _sim.MalformAsync("sb", "SKU-010", "NegativeAvailable");

        var sync = await _host.Client().TriggerFullSyncAsync(new TriggerFullSyncRequest { WarehouseId = "us-shipbob" });

        Assert.Equal(0, sync.RecordsDeadLettered);
        var record = await _host.LedgerRecordAsync("us-shipbob", "SKU-010");
        Assert.Equal((0L, 110L, true), (record!.Quantities.Available, record.Quantities.OnHand, record.SourceTimeEstimated));
        Assert.Contains("stockcast_connector_backorders_total{warehouse=\"us-shipbob\"}", await _host.MetricsAsync());
    }
}
