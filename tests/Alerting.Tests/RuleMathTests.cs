using Google.Protobuf.WellKnownTypes;
using Stockcast.Alerting.Demand;
using Stockcast.Alerting.Engine;
using Stockcast.Alerting.Stock;
using Stockcast.Alerting.V1;

namespace Stockcast.Alerting.Tests;

/// <summary>The rules' arithmetic, on scripted inputs: rates, ETAs, thresholds, transfers.</summary>
public sealed class RuleMathTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 25, 19, 0, 0, TimeSpan.Zero);

    private static readonly EffectiveRule Rule = new(
        LowStockUnits: 10, LowStockPercent: 30, SellOutHorizon: TimeSpan.FromHours(2), TrendRiseFactor: 1.5,
        CartConversion: 0.1, ShortageUnits: 5, RearmMarginPercent: 20, CoolDown: TimeSpan.Zero);

    private static LiveStream Stream(TimeSpan startedAgo, TimeSpan lasts, long startStock = 0) => new()
    {
        Id = "room-1",
        Market = "US",
        Skus = { "TEE-1" },
        StartsAt = Timestamp.FromDateTimeOffset(Start - startedAgo),
        EndsAt = Timestamp.FromDateTimeOffset(Start - startedAgo + lasts),
        StartStock = { ["TEE-1"] = startStock },
    };

    private static Situation At(long atp, DemandNow? demand = null, LiveStream? stream = null, IReadOnlyList<(string, long)>? elsewhere = null, long inbound = 0, string? replacement = null, IReadOnlyList<PeerDonor>? peers = null)
        => new("TEE-1", Start, Rule, new MarketStock("US", atp, inbound, [("us-east", atp)], Start), elsewhere ?? [], peers ?? [], atp + (elsewhere ?? []).Sum(e => e.Item2) + (peers ?? []).Sum(p => p.Atp),
            demand ?? new DemandNow(0, 0, 0, 0, 0), stream, replacement, 7, TimeSpan.FromHours(24));

    [Fact]
    public void ASteadyPaceSettlesAtItsRateAndABurstFadesWithTheHalfLife()
    {
        var rate = new EwmaRate(TimeSpan.FromMinutes(10));
        var t = Start;
        for (var i = 0; i < 300; i++) // one unit every 36 s for 3 hours: 100 an hour
        {
            t += TimeSpan.FromSeconds(36);
            rate.Add(1, t);
        }
        Assert.InRange(rate.PerHour(t), 99, 104);

        rate.Add(200, t); // a flash of 200 orders at once
        var lifted = rate.PerHour(t);
        Assert.True(lifted > 500);
        Assert.InRange(rate.PerHour(t + TimeSpan.FromMinutes(10)), lifted / 2 * 0.999, lifted / 2 * 1.001);
    }

    [Fact]
    public void TheSellOutEtaIsStockOverPaceAndWarnsOnlyWhenItFallsBeforeTheStreamEnds()
    {
        var stream = Stream(TimeSpan.FromHours(1), TimeSpan.FromHours(4)); // ends at 22:00
        var soon = Conditions.SellOutEta(At(150, new DemandNow(100, 0, 0, 0, 0), stream))!;

        Assert.Equal(Standing.Firing, soon.Standing);
        Assert.Equal(5400, soon.Figures["eta_seconds"], 3);
        Assert.Equal("At this pace (100/h) TEE-1 sells out in 1 h 30 min, before the stream ends at 22:00 UTC", soon.Message);

        var endsFirst = Stream(TimeSpan.FromHours(3), TimeSpan.FromHours(4)); // one hour left
        Assert.Equal(Standing.Clear, Conditions.SellOutEta(At(150, new DemandNow(100, 0, 0, 0, 0), endsFirst))!.Standing);
        Assert.Equal(Standing.Hold, Conditions.SellOutEta(At(210, new DemandNow(100, 0, 0, 0, 0), stream))!.Standing); // 2 h 6 min: between horizon and +20 %
        Assert.Equal(Standing.Clear, Conditions.SellOutEta(At(150, new DemandNow(0, 0, 0, 0, 0), stream))!.Standing);
    }

    [Fact]
    public void LowStockUsesTheLargerOfUnitsAndPercentOfStartStockAndRearmsOnlyPastTheMargin()
    {
        var stream = Stream(TimeSpan.FromMinutes(5), TimeSpan.FromHours(2), startStock: 100); // 30 % of 100 = 30 > 10 units

        Assert.Equal(Standing.Firing, Conditions.LowStock(At(30, stream: stream))!.Standing);
        Assert.Equal(Standing.Hold, Conditions.LowStock(At(35, stream: stream))!.Standing);
        Assert.Equal(Standing.Clear, Conditions.LowStock(At(36, stream: stream))!.Standing);
        Assert.Contains("30% of 100 at stream start", Conditions.LowStock(At(30, stream: stream))!.Message);
        var soldOut = Conditions.LowStock(At(0, stream: stream, inbound: 40))!;
        Assert.Equal((Severity.Critical, "switch to pre-sale (7 days; 40 units inbound)"), (soldOut.Severity, soldOut.Action));
        Assert.Equal("replace the featured SKU with TEE-2", Conditions.LowStock(At(0, stream: stream, replacement: "TEE-2"))!.Action);
    }

    [Fact]
    public void ARegionalShortageSuggestsATransferSizedToThePaceFromTheWarehouseHoldingMost()
    {
        var shortage = Conditions.RegionalShortage(At(2, new DemandNow(30, 0, 0, 0, 0), elsewhere: [("eu-central", 500), ("sea-sg", 40)]))!;

        Assert.Equal(Standing.Firing, shortage.Standing);
        // Two hours at 30 an hour = 60 wanted; 2 there already.
        Assert.Equal(("eu-central", "US", 58L), (shortage.Transfer!.FromWarehouseId, shortage.Transfer.ToMarket, shortage.Transfer.Units));
        Assert.Equal("transfer 58 units from eu-central to a warehouse serving US", shortage.Action);
        Assert.Equal(Standing.Clear, Conditions.RegionalShortage(At(2, elsewhere: []))!.Standing);
        Assert.Equal(40, Conditions.RegionalShortage(At(0, new DemandNow(1000, 0, 0, 0, 0), elsewhere: [("sea-sg", 40)]))!.Transfer!.Units);
    }

    [Fact]
    public void AShortageTheRegionCannotCoverTakesItsTransferFromAPeerRegionButALocalWarehouseThatCoversItComesFirst()
    {
        var peers = new[] { new PeerDonor("eu", "de-fra-ck1", 480) };
        var fromPeer = Conditions.RegionalShortage(At(0, elsewhere: [("us-west", 10)], peers: peers))!;
        var fromLocal = Conditions.RegionalShortage(At(0, elsewhere: [("us-west", 100)], peers: peers))!;

        // Twice the low level of 10 is wanted: us-west's 10 cannot cover it, us-west's 100 can.
        Assert.Equal(("de-fra-ck1", "eu", 20L), (fromPeer.Transfer!.FromWarehouseId, fromPeer.Transfer.FromRegion, fromPeer.Transfer.Units));
        Assert.Equal("transfer 20 units from de-fra-ck1 (eu region) to a warehouse serving US", fromPeer.Action);
        Assert.Equal(490, fromPeer.Figures["global_atp"]);
        Assert.Equal(("us-west", "", 20L), (fromLocal.Transfer!.FromWarehouseId, fromLocal.Transfer.FromRegion, fromLocal.Transfer.Units));
        Assert.Equal(Standing.Firing, Conditions.RegionalShortage(At(0, peers: peers))!.Standing);
        Assert.Equal(Conditions.LowStock(At(0))!.Action, Conditions.LowStock(At(0, peers: peers))!.Action);
    }

    [Fact]
    public void RisingCartsBeforeAStreamWarnWhenTheExpectedSalesExceedTheStock()
    {
        var upcoming = Stream(-TimeSpan.FromHours(3), TimeSpan.FromHours(2));
        var rising = Conditions.DemandTrend(At(80, new DemandNow(0, CartsShortPerHour: 600, CartsLongPerHour: 200, 0, 0), upcoming))!;

        Assert.Equal(Standing.Firing, rising.Standing); // 600/h x 10 % x 2 h = 120 > 80
        Assert.Equal(120, rising.Figures["expected_sales"], 3);
        Assert.StartsWith("prepare a buffer of 40 units", rising.Action);
        Assert.Equal(Standing.Clear, Conditions.DemandTrend(At(80, new DemandNow(0, 600, 580, 0, 0), upcoming))!.Standing); // steady, not rising
        Assert.Null(Conditions.DemandTrend(At(80, new DemandNow(0, 600, 200, 0, 0), Stream(TimeSpan.FromMinutes(1), TimeSpan.FromHours(2)))));
    }
}
