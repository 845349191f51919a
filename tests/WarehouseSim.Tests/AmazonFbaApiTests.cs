using System.Net;
using System.Text.Json.Nodes;
using Stockcast.WarehouseSim.Model;

namespace Stockcast.WarehouseSim.Tests;

public sealed class AmazonFbaApiTests
{
    private const string Summaries = "/fba/inventory/v1/summaries?granularityType=Marketplace&granularityId=ATVPDKIKX0DER&marketplaceIds=ATVPDKIKX0DER";

    [Fact]
    public async Task SummariesWithDetailsCarryEveryQuantityInSpApiFieldNames()
    {
        using var host = await new SimHost().LoadAsync(Scenarios.Of(Scenarios.Amazon(skus: 1)));
        using var response = await host.Amazon().GetAsync(Summaries + "&details=true");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("2.0", response.Headers.GetValues("x-amzn-RateLimit-Limit").Single());
        Assert.Equal(new DateTimeOffset(2026, 1, 5, 0, 0, 0, TimeSpan.Zero), response.Headers.Date);
        var body = await SimHost.JsonAsync(response);
        Assert.Equal("Marketplace", (string)body["payload"]!["granularity"]!["granularityType"]!);
        var s = body["payload"]!["inventorySummaries"]![0]!;
        Assert.Equal(Scenarios.Sku(0), (string)s["sellerSku"]!);
        Assert.StartsWith("B0", (string)s["asin"]!);
        Assert.StartsWith("X0", (string)s["fnSku"]!);
        Assert.Equal("NewItem", (string)s["condition"]!);
        Assert.Equal(230, (int)s["totalQuantity"]!);
        Assert.Equal("2026-01-05T00:00:00Z", (string)s["lastUpdatedTime"]!);
        var details = s["inventoryDetails"]!;
        Assert.Equal(180, (int)details["fulfillableQuantity"]!);
        Assert.Equal(30, (int)details["inboundShippedQuantity"]!);
        Assert.Equal(0, (int)details["inboundWorkingQuantity"]!);
        Assert.Equal(0, (int)details["inboundReceivingQuantity"]!);
        Assert.Equal(20, (int)details["reservedQuantity"]!["totalReservedQuantity"]!);
        Assert.Equal(0, (int)details["unfulfillableQuantity"]!["totalUnfulfillableQuantity"]!);
        Assert.Null(body["pagination"]);
    }

    [Fact]
    public async Task SummariesWithoutDetailsLeaveInventoryDetailsOut()
    {
        using var host = await new SimHost().LoadAsync(Scenarios.Of(Scenarios.Amazon(skus: 1)));
        var s = (await SimHost.JsonAsync(await host.Amazon().GetAsync(Summaries)))["payload"]!["inventorySummaries"]![0]!.AsObject();
        Assert.False(s.ContainsKey("inventoryDetails"));
        Assert.Equal(230, (int)s["totalQuantity"]!);
    }

    [Fact]
    public async Task NextTokensPageThroughEverySummaryFiftyAtATime()
    {
        using var host = await new SimHost().LoadAsync(Scenarios.Of(Scenarios.Amazon(skus: 120)));
        var client = host.Amazon();
        var seen = new List<string>();
        string? next = null;
        var pages = 0;
        do
        {
            var body = await SimHost.JsonAsync(await client.GetAsync(Summaries + (next is null ? "" : "&nextToken=" + next)));
            pages++;
            seen.AddRange(body["payload"]!["inventorySummaries"]!.AsArray().Select(s => (string)s!["sellerSku"]!));
            next = (string?)body["pagination"]?["nextToken"];
            // Stay within 2 requests a second of scenario time.
            await host.AdvanceAsync(1);
        }
        while (next is not null);
        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Range(0, 120).Select(Scenarios.Sku), seen);
    }

    [Fact]
    public async Task StartDateTimeReturnsOnlySummariesChangedSinceThen()
    {
        var scenario = Scenarios.Of(Scenarios.Amazon(skus: 3)) with { Sales = [new SalesRate("fba", Scenarios.Sku(1), PerHour: 3600)] };
        using var host = await new SimHost().LoadAsync(scenario);
        await host.AdvanceAsync(10);

        var body = await SimHost.JsonAsync(await host.Amazon().GetAsync(Summaries + "&startDateTime=2026-01-05T00:00:05Z"));
        var changed = body["payload"]!["inventorySummaries"]!.AsArray();
        Assert.Equal(Scenarios.Sku(1), (string)Assert.Single(changed)!["sellerSku"]!);
        Assert.Equal(201 + 30 - 10, (int)changed[0]!["totalQuantity"]!);
        Assert.Equal("2026-01-05T00:00:10Z", (string)changed[0]!["lastUpdatedTime"]!);
    }

    [Fact]
    public async Task AnIncrementalPageMustRepeatItsStartDateTime()
    {
        var scenario = Scenarios.Of(Scenarios.Amazon(skus: 60));
        using var host = await new SimHost().LoadAsync(scenario);
        var client = host.Amazon();
        var first = await SimHost.JsonAsync(await client.GetAsync(Summaries + "&startDateTime=2026-01-01T00:00:00Z"));
        var next = (string)first["pagination"]!["nextToken"]!;
        await host.AdvanceAsync(1);

        using var without = await client.GetAsync(Summaries + "&nextToken=" + next);
        Assert.Equal(HttpStatusCode.BadRequest, without.StatusCode);
        using var with = await client.GetAsync(Summaries + "&startDateTime=2026-01-01T00:00:00Z&nextToken=" + next);
        Assert.Equal(10, (await SimHost.JsonAsync(with))["payload"]!["inventorySummaries"]!.AsArray().Count);
    }

    [Fact]
    public async Task ANextTokenExpiresAfterFiveMinutesOfScenarioTimeWithAnInvalidInputError()
    {
        using var host = await new SimHost().LoadAsync(Scenarios.Of(Scenarios.Amazon(skus: 60)));
        var client = host.Amazon();
        var next = (string)(await SimHost.JsonAsync(await client.GetAsync(Summaries)))["pagination"]!["nextToken"]!;
        await host.AdvanceAsync(301);

        using var expired = await client.GetAsync(Summaries + "&nextToken=" + next);
        Assert.Equal(HttpStatusCode.BadRequest, expired.StatusCode);
        AssertSpApiError(await SimHost.JsonAsync(expired), "InvalidInput");
    }

    [Fact]
    public async Task NextTokensExpireAtOnceWhenTheControlApiSaysSo()
    {
        using var host = await new SimHost().LoadAsync(Scenarios.Of(Scenarios.Amazon(skus: 60)));
        var client = host.Amazon();
        var next = (string)(await SimHost.JsonAsync(await client.GetAsync(Summaries)))["pagination"]!["nextToken"]!;
        (await host.CreateClient().PostAsync("/sim/amazon/expire-next-tokens", null)).EnsureSuccessStatusCode();
        await host.AdvanceAsync(1);

        using var expired = await client.GetAsync(Summaries + "&nextToken=" + next);
        Assert.Equal(HttpStatusCode.BadRequest, expired.StatusCode);
    }

    [Fact]
    public async Task TheThirdCallInOneSecondIsThrottledWithQuotaExceeded()
    {
        using var host = await new SimHost().LoadAsync(Scenarios.Of(Scenarios.Amazon()));
        var client = host.Amazon();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Summaries)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Summaries)).StatusCode);

        using var throttled = await client.GetAsync(Summaries);
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        AssertSpApiError(await SimHost.JsonAsync(throttled), "QuotaExceeded");

        await host.AdvanceAsync(1);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Summaries)).StatusCode);
    }

    [Fact]
    public async Task CallsWithoutTheAccessTokenHeaderAreDenied()
    {
        using var host = await new SimHost().LoadAsync(Scenarios.Of(Scenarios.Amazon()));
        using var none = await host.Amazon(token: null).GetAsync(Summaries);
        using var wrong = await host.Amazon(token: "Atza|someone-else").GetAsync(Summaries);
        Assert.Equal(HttpStatusCode.Forbidden, none.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        AssertSpApiError(await SimHost.JsonAsync(none), "Unauthorized");
    }

    [Fact]
    public async Task AWrongGranularityIsAnInvalidInputError()
    {
        using var host = await new SimHost().LoadAsync(Scenarios.Of(Scenarios.Amazon()));
        using var response = await host.Amazon().GetAsync("/fba/inventory/v1/summaries?granularityType=Country&granularityId=US&marketplaceIds=ATVPDKIKX0DER");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AssertSpApiError(await SimHost.JsonAsync(response), "InvalidInput");
    }

    [Theory]
    [MemberData(nameof(Scenarios.EachRecordQuirk), MemberType = typeof(Scenarios))]
    public async Task EachKindOfMalformedRecordShowsUpInTheSummaries(Quirk kind)
    {
        var scenario = Scenarios.Of(Scenarios.Amazon(skus: 1)) with { Malformed = [new MalformedRecord("fba", Scenarios.Sku(0), kind)] };
        using var host = await new SimHost().LoadAsync(scenario);
        var s = (await SimHost.JsonAsync(await host.Amazon().GetAsync(Summaries + "&details=true")))["payload"]!["inventorySummaries"]![0]!.AsObject();
        switch (kind)
        {
            case Quirk.MissingSku:
                Assert.False(s.ContainsKey("sellerSku"));
                break;
            case Quirk.NegativeQuantity:
                Assert.True((int)s["totalQuantity"]! < 0);
                break;
            case Quirk.NonNumericQuantity:
                Assert.False(int.TryParse((string)s["totalQuantity"]!, out _));
                break;
            case Quirk.BadTimestamp:
                Assert.False(DateTimeOffset.TryParse((string)s["lastUpdatedTime"]!, out _));
                break;
            case Quirk.ControlCharacterSku:
                Assert.StartsWith("\u0002", (string)s["sellerSku"]!);
                break;
            case Quirk.PaddedSku:
                Assert.Equal(Scenarios.Sku(0) + "  ", (string)s["sellerSku"]!);
                break;
            case Quirk.NumericStringQuantity:
                Assert.True(int.TryParse((string)s["totalQuantity"]!, out _));
                break;
            case Quirk.NullQuantity:
                Assert.True(s.ContainsKey("totalQuantity") && s["totalQuantity"] is null);
                break;
            case Quirk.MissingQuantity:
                Assert.False(s.ContainsKey("totalQuantity"));
                break;
            case Quirk.NegativeAvailable:
                Assert.Equal(-3, (int)s["inventoryDetails"]!["fulfillableQuantity"]!);
                break;
            case Quirk.EmptyTimestamp:
                Assert.Equal("", (string)s["lastUpdatedTime"]!);
                break;
            case Quirk.MissingTimestamp:
                Assert.False(s.ContainsKey("lastUpdatedTime"));
                break;
            default:
                Assert.Fail($"no check for {kind}");
                break;
        }
    }

    private static void AssertSpApiError(JsonNode body, string code)
    {
        var error = Assert.Single(body["errors"]!.AsArray())!;
        Assert.Equal(code, (string)error["code"]!);
        Assert.False(string.IsNullOrEmpty((string?)error["message"]));
    }
}
