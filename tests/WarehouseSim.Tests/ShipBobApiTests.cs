using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stockcast.WarehouseSim.Model;

namespace Stockcast.WarehouseSim.Tests;

public sealed class ShipBobApiTests
{
    [Fact]
    public async Task ShipBobPagesFollowTheCursorUntilTheLastPage()
    {
        using var host = await new SimHost().LoadAsync(Scenarios.Of(Scenarios.ShipBob(skus: 7)));
        var client = host.ShipBob();
        var seen = new List<string>();
        string? next = "/2025-07/inventory-level?PageSize=3";
        var pages = 0;
        while (next is not null)
        {
            var page = await SimHost.JsonAsync(await client.GetAsync(next));
            pages++;
            seen.AddRange(page["items"]!.AsArray().Select(i => (string)i!["sku"]!));
            next = (string?)page["next"];
            if (pages == 1)
            {
                Assert.Null((string?)page["prev"]);
                Assert.Null((string?)page["first"]);
            }
        }
        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Range(0, 7).Select(Scenarios.Sku), seen);
    }

    [Fact]
    public async Task ShipBobItemsCarryTotalsAndTheLocationsEndpointSplitsThemPerFulfillmentCenter()
    {
        using var host = await new SimHost().LoadAsync(Scenarios.Of(Scenarios.ShipBob(skus: 1)));
        var client = host.ShipBob();

        var item = (await SimHost.JsonAsync(await client.GetAsync("/2025-07/inventory-level")))["items"]![0]!;
        Assert.Equal(20_000_000, (long)item["inventory_id"]!);
        Assert.Equal(150, (int)item["total_on_hand_quantity"]!);
        Assert.Equal(10, (int)item["total_committed_quantity"]!);
        Assert.Equal(140, (int)item["total_fulfillable_quantity"]!);
        Assert.Equal(5, (int)item["total_awaiting_quantity"]!);

        var byLocation = (await SimHost.JsonAsync(await client.GetAsync("/2025-07/inventory-level/locations")))["items"]![0]!;
        var cicero = byLocation["locations"]!.AsArray().Single(l => (long)l!["location_id"]! == 101)!;
        Assert.Equal("Cicero (IL)", (string)cicero["name"]!);
        Assert.Equal(100, (int)cicero["on_hand_quantity"]!);
        Assert.Equal(90, (int)cicero["fulfillable_quantity"]!);
        Assert.Equal(10, (int)cicero["committed_quantity"]!);
        Assert.Equal(5, (int)cicero["awaiting_quantity"]!);
    }

    [Fact]
    public async Task ShipBobRejectsCallsWithoutAValidBearerToken()
    {
        using var host = await new SimHost().LoadAsync(Scenarios.Of(Scenarios.ShipBob()));
        using var none = await host.ShipBob(token: null).GetAsync("/2025-07/inventory-level");
        using var wrong = await host.ShipBob(token: "not-a-token").GetAsync("/2025-07/inventory-level");
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal("Bearer", none.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task ShipBobAllows150CallsAMinuteThenAnswers429WithRetryAfterUntilTheWindowSlides()
    {
        using var host = await new SimHost().LoadAsync(Scenarios.Of(Scenarios.ShipBob()));
        var client = host.ShipBob();
        for (var i = 1; i <= 150; i++)
        {
            using var ok = await client.GetAsync("/2025-07/inventory-level");
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Equal((150 - i).ToString(), ok.Headers.GetValues("x-remaining-calls").Single());
        }

        using var limited = await client.GetAsync("/2025-07/inventory-level");
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("60", limited.Headers.GetValues("x-retry-after").Single());
        Assert.Equal("0", limited.Headers.GetValues("x-remaining-calls").Single());
        var body = await SimHost.JsonAsync(limited);
        Assert.Equal(429, (int)body["statusCode"]!);
        Assert.Contains("Try again in 60 seconds", (string)body["message"]!);

        await host.AdvanceAsync(60);
        using var again = await client.GetAsync("/2025-07/inventory-level");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task ShipBobRejectsACursorItDidNotIssue()
    {
        using var host = await new SimHost().LoadAsync(Scenarios.Of(Scenarios.ShipBob()));
        using var response = await host.ShipBob().GetAsync("/2025-07/inventory-level?Cursor=bm90LWEtY3Vyc29y");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task ShipBobServesAMalformedRecordOnlyForTheResponsesAskedFor()
    {
        var scenario = Scenarios.Of(Scenarios.ShipBob(skus: 2)) with
        {
            Malformed = [new MalformedRecord("sb", Scenarios.Sku(1), Quirk.NonNumericQuantity, Responses: 1)],
        };
        using var host = await new SimHost().LoadAsync(scenario);
        var client = host.ShipBob();

        var first = (await SimHost.JsonAsync(await client.GetAsync("/2025-07/inventory-level")))["items"]!.AsArray();
        Assert.Equal(JsonValueKind.Number, first[0]!["total_on_hand_quantity"]!.GetValueKind());
        Assert.Equal(JsonValueKind.String, first[1]!["total_on_hand_quantity"]!.GetValueKind());

        var second = (await SimHost.JsonAsync(await client.GetAsync("/2025-07/inventory-level")))["items"]!.AsArray();
        Assert.Equal(151, (int)second[1]!["total_on_hand_quantity"]!);
    }

    [Fact]
    public async Task ShipBobCanBeToldToDropTheSkuFromARecordThroughTheControlApi()
    {
        using var host = await new SimHost().LoadAsync(Scenarios.Of(Scenarios.ShipBob(skus: 1)));
        using var posted = await MalformAsync(host, Quirk.MissingSku);
        Assert.Equal(HttpStatusCode.NoContent, posted.StatusCode);

        var item = (await SimHost.JsonAsync(await host.ShipBob().GetAsync("/2025-07/inventory-level")))["items"]![0]!.AsObject();
        Assert.False(item.ContainsKey("sku"));
        Assert.Equal(150, (int)item["total_on_hand_quantity"]!);
    }

    [Fact]
    public async Task AWebhookDeliveryQuirkIsRefusedForAPolledRecord()
    {
        using var host = await new SimHost().LoadAsync(Scenarios.Of(Scenarios.ShipBob(skus: 1)));

        using var posted = await MalformAsync(host, Quirk.DuplicateDelivery);

        Assert.Equal(HttpStatusCode.BadRequest, posted.StatusCode);
        Assert.Contains("DuplicateDelivery", await posted.Content.ReadAsStringAsync());
    }

    private static Task<HttpResponseMessage> MalformAsync(SimHost host, Quirk quirk)
        => host.CreateClient().PostAsync("/sim/malformed", JsonContent.Create(new MalformedRecord("sb", Scenarios.Sku(0), quirk), options: SimHost.Json));
}
