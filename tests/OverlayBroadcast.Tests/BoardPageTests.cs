using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Stockcast.Overlay.V1;
using Stockcast.Testing;
using Xunit.Abstractions;

namespace Stockcast.Overlay.Tests;

/// <summary>
/// The operator board in real headless Chromium, beside a viewer's overlay page: the service on
/// Kestrel, the real ledger process, real Redis. Stock changes go into the ledger; the assertions are
/// on what the pages display.
/// </summary>
[Trait(Lane.Name, Lane.Slow)]
public sealed class BoardPageTests(OverlayServerFixture server, BrowserFixture browser, ITestOutputHelper output)
    : IClassFixture<OverlayServerFixture>, IClassFixture<BrowserFixture>
{
    private readonly OverlayHost _host = server.Host;

    private static string Row(string sku) => "tr" + BrowserPage.AttributeIs("data-sku", sku);

    private static Task MatchesAsync(BrowserPage page, string selector, string pattern)
        => page.UntilAsync(() => Assertions.Expect(page[selector]).ToHaveTextAsync(new Regex(pattern)));

    private async Task<(Uri Board, Uri Overlay)> OpenRoomAsync(Room room)
    {
        await _host.Client().UpsertRoomAsync(room);
        var operatorToken = await _host.Client().IssueTokenAsync(new IssueTokenRequest { RoomId = room.Id, Scope = TokenScope.Operator });
        var viewer = await _host.Client().IssueTokenAsync(new IssueTokenRequest { RoomId = room.Id });
        return (new Uri(_host.PageAddress, operatorToken.BoardPath), new Uri(_host.PageAddress, viewer.OverlayPath));
    }

    [Fact]
    public async Task TheBoardShowsEachSkusSplitProgressPaceAndEtaAsStockSells()
    {
        await _host.ApplyAsync([("us-east", "BOARD-TEE", 60, 1), ("us-west", "BOARD-TEE", 40, 1), ("eu-central", "BOARD-TEE", 30, 1), ("us-east", "BOARD-MUG", 3, 1)]);
        var (board, _) = await OpenRoomAsync(OverlayHost.LiveRoom("page-board", "US", "BOARD-TEE", "BOARD-MUG"));
        await using var page = await browser.OpenPageAsync(output);
        await page.GoToAsync(board);

        await page.ShowsTextAsync(Row("BOARD-TEE") + " .atp", "100");
        await page.HasAttributeAsync(Row("BOARD-TEE"), "data-colour", "green");
        await page.HasAttributeAsync(Row("BOARD-MUG"), "data-colour", "red");
        await page.ShowsTextAsync(Row("BOARD-TEE") + " .split", "US 100DE 30FR 30");
        await MatchesAsync(page, Row("BOARD-TEE") + " .warehouses span.other", "^eu-central 30 · ");
        await MatchesAsync(page, Row("BOARD-TEE") + " .warehouses span:not(.other) >> nth=0", "^us-east 60 · ");
        await page.ShowsTextAsync(Row("BOARD-TEE") + " .sold", "0 sold of 100");
        await page.ShowsTextAsync("#alerts-status", "alerting not configured");
        await page.ShowsTextAsync("#market", "viewers' market US");
        await page.ScreenshotAsync("start");

        await _host.ApplyAsync([("us-east", "BOARD-TEE", 45, 2), ("us-west", "BOARD-TEE", 25, 2)]);

        await page.ShowsTextAsync(Row("BOARD-TEE") + " .atp", "70");
        await page.ShowsTextAsync(Row("BOARD-TEE") + " .sold", "30 sold of 100");
        await page.ShowsTextAsync(Row("BOARD-MUG") + " .eta", "not selling");
        await page.HasAttributeAsync(Row("BOARD-TEE") + " .bar", "data-ratio", "0.700");
        await MatchesAsync(page, Row("BOARD-TEE") + " .velocity", @"^[1-9][0-9]*(\.[0-9])?/h$");
        await MatchesAsync(page, Row("BOARD-TEE") + " .eta", "^sells out in [0-9]+ (min|s)");
        await page.ScreenshotAsync();
        Assert.Empty(page.ScriptErrors);
    }

    [Fact]
    public async Task TheSpotlightControlPutsTheCardOnTheViewersOverlayAndShowsWhyAQueryMatchedNothing()
    {
        await _host.SetStockAsync("us-east", "SPOT-TEE", 8, 1);
        var room = OverlayHost.LiveRoom("page-board-spot", "US", "SPOT-TEE", "SPOT-MUG");
        room.Featured[0].DisplayName = "White tee";
        room.Featured[0].Aliases.Add("white tee");
        var (board, overlay) = await OpenRoomAsync(room);
        await using var operatorPage = await browser.OpenPageAsync(output, "TheSpotlightControl-board");
        await using var viewerPage = await browser.OpenPageAsync(output, "TheSpotlightControl-overlay");
        await operatorPage.GoToAsync(board);
        await viewerPage.GoToAsync(overlay);
        await operatorPage.ShowsTextAsync(Row("SPOT-TEE") + " .atp", "8");

        await operatorPage["#spotlight-query"].FillAsync("is the WHITE TEE still there?");
        await operatorPage["#spotlight-form button:not([type])"].ClickAsync();

        await viewerPage.IsVisibleAsync("#spotlight");
        await viewerPage.ShowsTextAsync("#spotlight .name", "White tee");
        await viewerPage.ShowsTextAsync("#spotlight .label", "Only 8 left");
        await operatorPage.ShowsTextAsync("#spotlight-current", "On screen: White tee — Only 8 left");
        await viewerPage.ScreenshotAsync();

        await operatorPage["#spotlight-query"].FillAsync("a red hat");
        await operatorPage["#spotlight-form button:not([type])"].ClickAsync();
        await operatorPage.ShowsTextAsync("#spotlight-error", "no featured SKU of room 'page-board-spot' matches 'a red hat'");
        await operatorPage.ShowsTextAsync("#spotlight-current", "On screen: White tee — Only 8 left");

        await operatorPage[Row("SPOT-MUG") + " button"].ClickAsync();
        await viewerPage.ShowsTextAsync("#spotlight .name", "SPOT-MUG");
        await operatorPage["#spotlight-clear"].ClickAsync();
        await viewerPage.IsHiddenAsync("#spotlight");
        await operatorPage.ScreenshotAsync();
        Assert.Empty(operatorPage.ScriptErrors);
    }

    [Fact]
    public async Task TheBoardShowsSkusWithSpacesScriptsAndMarkupAsTextAndPutsEachOnScreenFromItsRowOrFromAComment()
    {
        await _host.ApplyAsync([.. SellerSkus.All.SelectMany((sku, i) => new[] { ("us-east", sku, 20L + i, 1L), ("eu-central", sku, 5L, 1L) })]);
        var room = OverlayHost.LiveRoom("page-board-seller-skus", "US", SellerSkus.All);
        room.Featured[^1].DisplayName = ""; // longer than a display name may be: the name shown is the SKU
        var (board, overlay) = await OpenRoomAsync(room);
        await using var operatorPage = await browser.OpenPageAsync(output, "TheBoardShowsSellerSkus-board");
        await using var viewerPage = await browser.OpenPageAsync(output, "TheBoardShowsSellerSkus-overlay");
        await operatorPage.GoToAsync(board);
        await viewerPage.GoToAsync(overlay);

        foreach (var (sku, i) in SellerSkus.All.Select((sku, i) => (sku, i)))
        {
            await operatorPage.ShowsTextAsync(Row(sku) + " .product .muted", sku);
            await operatorPage.ShowsTextAsync(Row(sku) + " .atp", $"{20 + i}");
            await operatorPage.ShowsTextAsync(Row(sku) + " .split", $"US {20 + i}DE 5FR 5");
        }
        await operatorPage.ScreenshotAsync("start");
        await operatorPage[Row(SellerSkus.Sweater) + " button"].ClickAsync();
        await viewerPage.ShowsTextAsync("#spotlight .name", SellerSkus.Sweater);
        await operatorPage[Row(SellerSkus.Deluxe) + " button"].ClickAsync();
        await viewerPage.ShowsTextAsync("#spotlight .name", SellerSkus.Deluxe);
        await operatorPage["#spotlight-query"].FillAsync("café crème 250g??");
        await operatorPage["#spotlight-form button:not([type])"].ClickAsync();
        await viewerPage.ShowsTextAsync("#spotlight .name", SellerSkus.Coffee);
        await operatorPage.ShowsTextAsync("#spotlight-current", $"On screen: {SellerSkus.Coffee} — 22 in stock");
        await operatorPage.ScreenshotAsync();

        await operatorPage.HasCountAsync("deluxe", 0);
        await operatorPage.HasCountAsync("#skus > tr", SellerSkus.All.Length);
        Assert.True(await operatorPage.Page.EvaluateAsync<bool>("() => [...document.querySelectorAll('td.product')].every(td => td.getBoundingClientRect().width < 300)"), "a SKU widened its column");
        Assert.Empty(operatorPage.ScriptErrors);
        Assert.Empty(viewerPage.ScriptErrors);
    }

    [Fact]
    public async Task TheBoardChartsEachSkusLastHalfHourSplitsItByWarehouseAndLetsTheOperatorMuteACue()
    {
        await _host.ApplyAsync([("us-east", "CHART-TEE", 60, 1), ("us-west", "CHART-TEE", 40, 1)]);
        var room = OverlayHost.LiveRoom("page-board-chart", "US", "CHART-TEE");
        room.Featured[0].DisplayName = "White tee";
        var (board, _) = await OpenRoomAsync(room);
        await using var page = await browser.OpenPageAsync(output);
        await page.GoToAsync(board);
        var chart = Row("CHART-TEE") + " svg.chart";

        await page.HasAttributeAsync(chart, "data-values", "100");
        await page.HasAttributeAsync(Row("CHART-TEE") + " .splitbar > div >> nth=0", "title", "us-east 60");
        await page.HasAttributeAsync(Row("CHART-TEE") + " .splitbar > div >> nth=1", "title", "us-west 40");
        // Selling from us-east: each figure the viewers are shown is a step of the chart.
        long[] east = [60, 45, 30, 15, 8, 4];
        for (var i = 1; i < east.Length; i++)
        {
            await _host.SetStockAsync("us-east", "CHART-TEE", east[i], 1 + i);
            await page.HasAttributeAsync(chart, "data-values", string.Join(",", east[..(i + 1)].Select(e => e + 40)));
        }
        // The projection runs on to the sell-out.
        await page.HasCountAsync(chart + " line.projection", 1);
        await MatchesAsync(page, chart + " title", "^sells out about ");
        await _host.SetStockAsync("us-west", "CHART-TEE", 0, 2);
        await page.HasAttributeAsync(chart, "data-values", "100,85,70,55,48,44,4");
        await page.ShowsTextAsync("#cues .cue >> nth=0 >> div >> nth=0", "White tee: only 4 left in the US!");
        await page.Page.SetViewportSizeAsync(1280, 640);
        await page.DocumentAsync("board");

        await page["#mutes input[data-type=LOW_STOCK]"].CheckAsync();
        using var watch = _host.Client().WatchBoard(new WatchRoomRequest { RoomId = room.Id });
        await watch.ResponseStream.ReadUntilAsync(b => b.MutedCues.Contains(CueType.LowStock));
        await page["#mutes input[data-type=LOW_STOCK]"].UncheckAsync();
        await watch.ResponseStream.ReadUntilAsync(b => b.MutedCues.Count == 0);
        Assert.Empty(page.ScriptErrors);
    }
}
