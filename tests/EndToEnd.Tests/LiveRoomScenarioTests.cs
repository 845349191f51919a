using System.Diagnostics;
using Google.Protobuf.WellKnownTypes;
using Stockcast.Alerting.V1;
using Stockcast.Ledger.V1;
using Stockcast.Overlay.V1;
using Stockcast.Testing;
using Xunit.Abstractions;

namespace Stockcast.EndToEnd.Tests;

/// <summary>
/// A live room from the first stock change to the last unit, through every real process: a count at
/// the simulated US warehouse reaches the ledger, the viewer's overlay page in Chromium and the alert
/// stream as the US figure (Germany's stock is not the US room's); orders reserve and commit over
/// gRPC as the live-commerce platform places them; the count-down reaches 0 with the last unit sold
/// once, and the warning came before. Then every unit is accounted for.
/// </summary>
[Collection(WholeSystemCollection.Name)]
[Trait(Lane.Name, Lane.Slow)]
public sealed class LiveRoomScenarioTests(WholeSystem system, BrowserFixture browser, ITestOutputHelper output)
{
    private const string Room = "e2e-live";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AWarehouseCountReachesEveryScreenAndTheLastUnitIsSoldOnceAfterTheWarning()
    {
        var overlay = await OpenRoomAsync();
        await using var alerts = new AlertLog(system.AlertingClient);
        await using var screen = await OverlayScreen.OpenAsync(await browser.OpenPageAsync(output), overlay);
        await screen.Page.ShowsTextAsync(OverlayScreen.Tile(WholeSystem.Tee) + " .label", "Only 10 left", Deadline);

        // A count at the US warehouse: 6 units found damaged. Germany's 40 stay out of the US figure.
        var counted = Stopwatch.StartNew();
        await system.Sim.AdjustAsync(WholeSystem.UsWarehouse, WholeSystem.Tee, -6);
        await Eventually.TrueAsync(async () => await AtpAsync(WholeSystem.Tee, "US") == 4, "the ledger has the US warehouse's count", Deadline);
        var inLedger = counted.Elapsed;
        Assert.Equal(40, await AtpAsync(WholeSystem.Tee, "DE"));
        await screen.Page.ShowsTextAsync(OverlayScreen.Tile(WholeSystem.Tee) + " .label", "Only 4 left", Deadline);
        var onScreen = counted.Elapsed;
        await Eventually.TrueAsync(() => LowStock(alerts) is not null, "alerting raised LOW_STOCK for the room", Deadline);
        var alerted = counted.Elapsed;
        var warning = LowStock(alerts)!;
        Assert.Equal(4, warning.Notification.Alert.Figures["atp"]);
        Assert.Equal("US", warning.Notification.Alert.Market);
        output.WriteLine($"a warehouse count reached the ledger in {inLedger.TotalSeconds:0.0} s, the page in {onScreen.TotalSeconds:0.0} s, the alert stream in {alerted.TotalSeconds:0.0} s");

        // Live orders: three buyers one after the other, each reserved and committed.
        for (var order = 1; order <= 3; order++)
        {
            Assert.True(await system.Orders.BuyAsync($"e2e-order-{order}", WholeSystem.Tee, "US", 1, commit: true, Deadline));
            await screen.Page.ShowsTextAsync(OverlayScreen.Tile(WholeSystem.Tee) + " .label", $"Only {4 - order} left", Deadline);
        }

        // Two buyers press "buy" for the last unit at the same moment: one gets it, one is refused.
        var buyers = await Task.WhenAll(
            system.Orders.BuyAsync("e2e-last-a", WholeSystem.Tee, "US", 1, commit: true, Deadline),
            system.Orders.BuyAsync("e2e-last-b", WholeSystem.Tee, "US", 1, commit: true, Deadline));
        var soldOut = DateTimeOffset.UtcNow;
        Assert.Single(buyers, won => won);
        Assert.Equal(0, await AtpAsync(WholeSystem.Tee, "US"));
        await screen.Page.HasAttributeAsync(OverlayScreen.Tile(WholeSystem.Tee), "data-colour", "sold-out", Deadline);
        await screen.Page.ShowsTextAsync(OverlayScreen.Tile(WholeSystem.Tee) + " .label", "Sold out", Deadline);
        Assert.True(warning.At < soldOut && warning.Notification.Alert.RaisedAt.ToDateTimeOffset() < soldOut, "alerting warned before the last unit sold");
        var labels = (await screen.TakeAsync()).Select(s => Label(s, WholeSystem.Tee)).ToList();
        var countDown = labels.Where((label, i) => i == 0 || label != labels[i - 1]).ToList();
        output.WriteLine("the page showed: " + string.Join(" → ", countDown));
        Assert.Equal(["Only 4 left", "Only 3 left", "Only 2 left", "Only 1 left", "Sold out"], countDown.SkipWhile(l => l != "Only 4 left"));
        Assert.Empty(screen.Page.ScriptErrors);

        // A second SKU with an order still open (held, not yet paid) and one committed.
        Assert.True(await system.Orders.BuyAsync("e2e-cap-open", WholeSystem.Cap, "US", 2, commit: false, Deadline));
        Assert.True(await system.Orders.BuyAsync("e2e-cap-paid", WholeSystem.Cap, "US", 1, commit: true, Deadline));

        // Conservation: for every SKU × warehouse, warehouse truth = ATP + open reservations + committed-not-yet-reflected.
        var balance = await system.BalanceAsync();
        Assert.Empty(balance.Mismatches);
        Assert.Contains(balance.Skus, s => s is { Sku: WholeSystem.Tee, Warehouse: WholeSystem.UsWarehouse, Truth: 4, AvailableToPromise: 0, Held: 0, Committed: 4 });
        Assert.Contains(balance.Skus, s => s is { Sku: WholeSystem.Cap, Warehouse: WholeSystem.UsWarehouse, Truth: 6, AvailableToPromise: 3, Held: 2, Committed: 1 });
        Assert.Contains(balance.Skus, s => s is { Sku: WholeSystem.Tee, Warehouse: WholeSystem.DeWarehouse, Truth: 40, AvailableToPromise: 40 });
        foreach (var sku in balance.Skus.Where(s => s.Sku.StartsWith("E2E-", StringComparison.Ordinal)))
        {
            output.WriteLine(sku.ToString());
        }
    }

    private SeenAlert? LowStock(AlertLog alerts)
        => alerts.Seen.FirstOrDefault(a => a is { Kind: AlertKind.LowStock, Type: NotificationType.Raised } && a.Notification.Alert.Sku == WholeSystem.Tee && a.Notification.Alert.RoomId == Room);

    private static string Label(ScreenState state, string sku)
        => state.Labels.Split(", ").FirstOrDefault(l => l.StartsWith(sku + "=", StringComparison.Ordinal))?[(sku.Length + 1)..] ?? "";

    private async Task<long> AtpAsync(string sku, string market)
        => (await system.LedgerClient.GetAvailabilityAsync(new GetAvailabilityRequest { Sku = sku, Market = market })).AvailableToPromise;

    /// <summary>The room on overlay-broadcast and on alerting (warn at 4 units or fewer); the viewer page's address.</summary>
    private async Task<Uri> OpenRoomAsync()
    {
        var now = DateTimeOffset.UtcNow;
        await system.OverlayClient.UpsertRoomAsync(new Room
        {
            Id = Room, Title = "End to end", Market = "US", Platforms = { Platform.Tiktok },
            Featured =
            {
                new FeaturedSku { Sku = WholeSystem.Tee, DisplayName = "Tee", GreenAtOrAbove = 100, YellowAtOrAbove = 5 },
                new FeaturedSku { Sku = WholeSystem.Cap, DisplayName = "Cap", GreenAtOrAbove = 100, YellowAtOrAbove = 5 },
            },
            StartsAt = Timestamp.FromDateTimeOffset(now.AddMinutes(-5)), EndsAt = Timestamp.FromDateTimeOffset(now.AddHours(3)),
        });
        // The room's rule first: under the default (20 units) the stream would warn at once.
        await system.AlertingClient.SetRuleAsync(new Rule { RoomId = Room, LowStockUnits = 4 });
        await system.AlertingClient.UpsertStreamAsync(new LiveStream
        {
            Id = Room, Market = "US", Skus = { WholeSystem.Tee, WholeSystem.Cap },
            StartsAt = Timestamp.FromDateTimeOffset(now.AddMinutes(-5)), EndsAt = Timestamp.FromDateTimeOffset(now.AddHours(3)),
        });
        var token = await system.OverlayClient.IssueTokenAsync(new IssueTokenRequest { RoomId = Room });
        return new Uri(system.Overlay.HttpAddress, token.OverlayPath);
    }
}
