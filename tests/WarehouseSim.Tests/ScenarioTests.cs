using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Stockcast.Testing;
using Stockcast.WarehouseSim.Model;

namespace Stockcast.WarehouseSim.Tests;

public sealed class ScenarioTests
{
    private const string Summaries = "/fba/inventory/v1/summaries?granularityType=Marketplace&granularityId=ATVPDKIKX0DER&marketplaceIds=ATVPDKIKX0DER";

    [Fact]
    public async Task EveryUnitIsAccountedForAsOnHandSoldOrRemovedByAStockOut()
    {
        var scenario = Scenarios.Of(Scenarios.ShipBob(skus: 2)) with
        {
            Sales = [new SalesRate("sb", Scenarios.Sku(0), PerHour: 1800), new SalesRate("sb", Scenarios.Sku(1), PerHour: 3600)],
            StockOuts = [new StockOut("sb", Scenarios.Sku(1), AtSeconds: 30)],
        };
        using var host = await new SimHost().LoadAsync(scenario);
        await host.AdvanceAsync(120);

        var steady = await host.TruthAsync("sb", Scenarios.Sku(0));
        Assert.Equal(60, steady.Sold);
        Assert.Equal(150, steady.OnHand + steady.Sold + steady.RemovedByStockOut);
        var out_ = await host.TruthAsync("sb", Scenarios.Sku(1));
        Assert.Equal(0, out_.OnHand);
        Assert.Equal(29, out_.Sold);
        Assert.Equal(151 - 29, out_.RemovedByStockOut);
        Assert.Equal(DateTimeOffset.Parse("2026-01-05T00:00:30Z"), out_.UpdatedAt);
    }

    [Fact]
    public async Task ASuddenStockOutShowsAsZeroInThePolledApi()
    {
        var scenario = Scenarios.Of(Scenarios.Amazon(skus: 1)) with { StockOuts = [new StockOut("fba", Scenarios.Sku(0), AtSeconds: 10)] };
        using var host = await new SimHost().LoadAsync(scenario);
        await host.AdvanceAsync(10);

        var s = (await SimHost.JsonAsync(await host.Amazon().GetAsync(Summaries + "&details=true")))["payload"]!["inventorySummaries"]![0]!;
        Assert.Equal(0, (int)s["inventoryDetails"]!["fulfillableQuantity"]!);
        Assert.Equal(30, (int)s["totalQuantity"]!);
    }

    [Fact]
    public async Task AFrozenFeedKeepsAnsweringWithOldNumbersWhileTheTrueStockMovesOn()
    {
        var scenario = Scenarios.Of(Scenarios.ShipBob(skus: 1)) with
        {
            Sales = [new SalesRate("sb", Scenarios.Sku(0), PerHour: 3600)],
            StaleFeeds = [new StaleFeed("sb", AtSeconds: 10, StaleMode.Frozen, UntilSeconds: 40)],
        };
        using var host = await new SimHost().LoadAsync(scenario);
        var client = host.ShipBob();
        async Task<int> Polled() => (int)(await SimHost.JsonAsync(await client.GetAsync("/2025-07/inventory-level")))["items"]![0]!["total_on_hand_quantity"]!;

        await host.AdvanceAsync(30);
        Assert.Equal(150 - 10, await Polled());
        Assert.Equal(150 - 30, (await host.TruthAsync("sb", Scenarios.Sku(0))).OnHand);
        Assert.Equal(FeedStatus.Frozen, (await host.StateAsync()).Warehouses.Single().Feed);

        await host.AdvanceAsync(10);
        Assert.Equal(150 - 40, await Polled());
    }

    [Fact]
    public async Task AFeedThatIsDownAnswers503AndSendsNoWebhooks()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var scenario = Scenarios.Of(Scenarios.Ck1(skus: 1), Scenarios.Shopify(receiver.Url("/shopify"))) with
        {
            Sales = [new SalesRate("shop", "SERUM", PerHour: 3600)],
            StaleFeeds = [new StaleFeed("ck1", AtSeconds: 5, StaleMode.Down), new StaleFeed("shop", AtSeconds: 5, StaleMode.Down)],
        };
        using var host = await new SimHost().LoadAsync(scenario);
        await host.AdvanceAsync(10);

        using var response = await host.Ck1().PostAsync("/v1/inventories", JsonContent.Create(new { WarehouseId = "US", Skus = new[] { Scenarios.Sku(0) } }));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(4, receiver.Calls.Count);
        Assert.Equal(18 - 10, (await host.TruthAsync("shop", "SERUM")).Available);
    }

    [Fact]
    public async Task AScenarioNamingAnUnknownWarehouseIsRejected()
    {
        using var host = new SimHost();
        var scenario = Scenarios.Of(Scenarios.ShipBob()) with { Sales = [new SalesRate("nowhere", "X", 1)] };
        using var response = await host.CreateClient().PostAsJsonAsync("/sim/scenario", scenario, SimHost.Json);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("nowhere", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task LoadingAScenarioStartsItsClockAtItsStartTime()
    {
        using var host = await new SimHost().LoadAsync(Scenarios.Of(Scenarios.ShipBob()) with { Start = DateTimeOffset.Parse("2030-06-01T12:00:00Z") });
        await host.AdvanceAsync(90);
        var state = await host.StateAsync();
        Assert.Equal(DateTimeOffset.Parse("2030-06-01T12:01:30Z"), state.Now);
        Assert.Equal(90, state.ElapsedSeconds);
    }

    [Fact]
    public async Task InRealTimeModeTheScenarioClockAdvancesByItself()
    {
        using var host = await new SimHost(realTime: true).LoadAsync(Scenarios.Of(Scenarios.ShipBob()));
        await Eventually.TrueAsync(async () => (await host.StateAsync()).ElapsedSeconds >= 2, "the scenario clock has ticked twice");
    }

    [Fact]
    public async Task TheDemoScenarioForMakeRunIsValid()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "scenarios", "demo.json");
        var scenario = System.Text.Json.JsonSerializer.Deserialize<Scenario>(await File.ReadAllTextAsync(path), SimHost.Json)!;
        Assert.Empty(StockModel.Validate(scenario));
        Assert.Equal(5, scenario.Warehouses.Select(w => w.Kind).Distinct().Count());
        Assert.NotNull(JsonNode.Parse(await File.ReadAllTextAsync(path)));
    }
}
