using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Stockcast.WarehouseSim.Apis;
using Stockcast.WarehouseSim.Model;

namespace Stockcast.WarehouseSim.Tests;

public sealed class MessyModeTests
{
    private const int Skus = Ck1Api.MaxSkus;
    private const int Queries = 40;
    private const double Rate = 0.1;

    /// <summary>Which quirk a CK1 record shows, read from the JSON as a receiver would see it.</summary>
    private static Quirk? Seen(JsonObject record)
    {
        var sku = (string?)record["Sku"];
        var onHand = record["TotalStockQty"];
        var time = (string?)record["CreateTime"];
        return true switch
        {
            _ when sku is null => Quirk.MissingSku,
            _ when sku.Any(char.IsControl) => Quirk.ControlCharacterSku,
            _ when sku != sku.Trim() => Quirk.PaddedSku,
            _ when !record.ContainsKey("TotalStockQty") => Quirk.MissingQuantity,
            _ when onHand is null => Quirk.NullQuantity,
            _ when onHand.GetValueKind() == System.Text.Json.JsonValueKind.String
                => int.TryParse((string)onHand!, out _) ? Quirk.NumericStringQuantity : Quirk.NonNumericQuantity,
            _ when (int)onHand < 0 => Quirk.NegativeQuantity,
            _ when (int)record["AvailStockQty"]! < 0 => Quirk.NegativeAvailable,
            _ when time is null => Quirk.MissingTimestamp,
            _ when time == "" => Quirk.EmptyTimestamp,
            _ when !DateTimeOffset.TryParse(time, System.Globalization.CultureInfo.InvariantCulture, out _) => Quirk.BadTimestamp,
            _ => null,
        };
    }

    private static async Task<List<JsonObject>> ReadCk1Async(SimHost host)
    {
        var records = new List<JsonObject>();
        var skus = Enumerable.Range(0, Skus).Select(Scenarios.Sku).ToArray();
        for (var i = 0; i < Queries; i++)
        {
            using var response = await host.Ck1().PostAsync("/v1/inventories", JsonContent.Create(new { WarehouseId = "US", Skus = skus }));
            records.AddRange((await SimHost.JsonAsync(response)).AsArray().Select(r => r!.AsObject()));
        }
        return records;
    }

    private static async Task<MessReport> ReportAsync(SimHost host)
        => (await host.CreateClient().GetFromJsonAsync<MessReport>("/sim/mess", SimHost.Json))!;

    // 1200 records at 10 %: 120 expected, a standard deviation of about 10; the seed makes it repeatable.
    private static void AssertAboutTheRate(int emitted, int total, double rate)
        => Assert.InRange((double)emitted / total, rate * 0.7, rate * 1.3);

    [Theory]
    [MemberData(nameof(Scenarios.EachRecordQuirk), MemberType = typeof(Scenarios))]
    public async Task EachRecordQuirkIsEmittedAtAboutTheConfiguredRateAndCountedInTheReport(Quirk quirk)
    {
        var scenario = Scenarios.Of(Scenarios.Ck1(skus: Skus)) with { Mess = new MessSpec(Rate, Seed: 7, Quirks: [quirk]) };
        using var host = await new SimHost().LoadAsync(scenario);

        var records = await ReadCk1Async(host);

        var seen = records.Select(Seen).ToArray();
        Assert.All(seen, s => Assert.True(s is null || s == quirk, $"saw {s} while only {quirk} was on"));
        var emitted = seen.Count(s => s == quirk);
        AssertAboutTheRate(emitted, records.Count, Rate);
        var ck1 = Assert.Single((await ReportAsync(host)).Apis);
        Assert.Equal(records.Count, ck1.Records);
        Assert.Equal(emitted, ck1.Emitted[quirk]);
    }

    [Fact]
    public async Task AllQuirksTogetherSpoilAboutTheRateOfRecordsOneQuirkEach()
    {
        var scenario = Scenarios.Of(Scenarios.Ck1(skus: Skus)) with { Mess = new MessSpec(Rate, Seed: 3) };
        using var host = await new SimHost().LoadAsync(scenario);

        var records = await ReadCk1Async(host);

        var spoilt = records.Select(Seen).Where(s => s is not null).ToArray();
        AssertAboutTheRate(spoilt.Length, records.Count, Rate);
        Assert.Equal(Scenarios.RecordQuirks.Order(), spoilt.Distinct().Select(q => q!.Value).Order());
    }

    [Fact]
    public async Task TheSameSeedSpoilsTheSameRecordsTheSameWay()
    {
        var scenario = Scenarios.Of(Scenarios.Ck1(skus: Skus)) with { Mess = new MessSpec(Rate, Seed: 11) };
        using var first = await new SimHost().LoadAsync(scenario);
        using var second = await new SimHost().LoadAsync(scenario);

        var a = (await ReadCk1Async(first)).Select(r => r.ToJsonString());
        var b = (await ReadCk1Async(second)).Select(r => r.ToJsonString());

        Assert.Equal(a, b);
    }

    [Fact]
    public async Task ShipHeroWebhooksAreDeliveredTwiceAtAboutTheConfiguredRate()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var scenario = Scenarios.Of(Scenarios.ShipHero(receiver.Url("/shiphero"))) with { Mess = new MessSpec(0.2, Quirks: [Quirk.DuplicateDelivery]) };
        using var host = await new SimHost().LoadAsync(scenario);

        for (var i = 0; i < 100; i++)
        {
            await host.AdjustAsync("sh", "MASCARA", -1);
        }

        var bodies = receiver.Calls.Select(c => Convert.ToBase64String(c.Body)).ToArray();
        var repeats = bodies.Skip(1).Where((body, i) => body == bodies[i]).Count();
        AssertAboutTheRate(repeats, 200, 0.2);
        Assert.Equal(200 + repeats, bodies.Length);
        Assert.Equal(repeats, (await ReportAsync(host)).Apis.Single().Emitted[Quirk.DuplicateDelivery]);
    }

    [Fact]
    public async Task AnOlderWebhookForTheSameSkuIsRedeliveredAfterANewerOneAtAboutTheConfiguredRate()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var scenario = Scenarios.Of(Scenarios.Shopify(receiver.Url("/shopify"))) with { Mess = new MessSpec(0.2, Quirks: [Quirk.OlderRedelivered]) };
        using var host = await new SimHost().LoadAsync(scenario);

        for (var i = 0; i < 200; i++)
        {
            await host.AdjustAsync("shop", "SERUM", 1);
        }

        // Every adjustment adds one, so an older delivery is one whose figure went back.
        var available = receiver.Calls.Select(c => (int)JsonNode.Parse(c.Body)!["available"]!).ToArray();
        var older = available.Skip(1).Where((a, i) => a < available[..(i + 1)].Max()).Count();
        Assert.InRange(older, 20, 60);
        Assert.Equal(200 + older, available.Length);
        Assert.Equal(older, (await ReportAsync(host)).Apis.Single().Emitted[Quirk.OlderRedelivered]);
    }

    [Fact]
    public async Task WithMessyModeOffNothingIsSpoiltOrRedelivered()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var host = await new SimHost().LoadAsync(Scenarios.Of(Scenarios.Ck1(skus: Skus), Scenarios.ShipHero(receiver.Url("/shiphero"))));

        var records = await ReadCk1Async(host);
        for (var i = 0; i < 50; i++)
        {
            await host.AdjustAsync("sh", "MASCARA", -1);
        }

        Assert.All(records, r => Assert.Null(Seen(r)));
        Assert.Equal(100, receiver.Calls.Count);
        Assert.Equal(100, receiver.Calls.Select(c => Convert.ToBase64String(c.Body)).Distinct().Count());
        Assert.All((await ReportAsync(host)).Apis, api => Assert.Empty(api.Emitted));
    }

    [Fact]
    public async Task MessRateMakesTheScenarioFileMessyAsMakeRunAsks()
    {
        using var host = new SimHost(scenarioFile: "scenarios/demo.json", messRate: 0.02);

        Assert.Equal(0.02, (await ReportAsync(host)).Spec.Rate);
    }

    [Fact]
    public async Task ARateOutsideZeroToOneIsRefusedNamingTheField()
    {
        using var host = await new SimHost().LoadAsync(Scenarios.Of(Scenarios.Ck1()));

        using var response = await host.CreateClient().PostAsJsonAsync("/sim/mess", new MessSpec(1.5), SimHost.Json);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("mess.rate", await response.Content.ReadAsStringAsync());
    }
}
