using System.Buffers.Binary;
using System.IO.Compression;
using System.Net;
using Stockcast.Overlay.V1;
using Stockcast.Testing;
using static Stockcast.Overlay.Tests.OverlayTiles;
using Xunit.Abstractions;

namespace Stockcast.Overlay.Tests;

/// <summary>
/// The viewer overlay page in real headless Chromium: the service on Kestrel (a browser needs a
/// socket), the real ledger process, real Redis. Stock changes go into the ledger; the assertions
/// are on what the page displays. One browser, service and ledger per class; a fresh page and a
/// screenshot per test.
/// </summary>
[Trait(Lane.Name, Lane.Slow)]
public sealed class OverlayPageTests(OverlayServerFixture server, BrowserFixture browser, ITestOutputHelper output)
    : IClassFixture<OverlayServerFixture>, IClassFixture<BrowserFixture>
{
    private readonly OverlayHost _host = server.Host;
    private readonly LedgerProcess _ledger = server.Ledger;

    [Fact]
    public async Task ThePageCountsDownOnlyNLeftInOrderAsStockIsSold()
    {
        await _host.SetStockAsync("us-east", "TEE-CD", 10, 1);
        await using var page = await browser.OpenPageAsync(output);
        await page.GoToAsync(await _host.OverlayPageAsync(OverlayHost.LiveRoom("page-count-down", "US", "TEE-CD")));
        await page.ShowsTextAsync(Label("TEE-CD"), "Only 10 left");
        // Every label the tile ever shows, so a value shown out of order cannot slip between two waits.
        await page.Page.EvaluateAsync("""
            () => {
              window.shown = [document.querySelector('.tile .label').textContent];
              new MutationObserver(() => {
                const label = document.querySelector('.tile .label')?.textContent;
                if (label && label !== window.shown.at(-1)) window.shown.push(label);
              }).observe(document.getElementById('tiles'), { childList: true, subtree: true, characterData: true });
            }
            """);

        for (var left = 9; left >= 1; left--)
        {
            await _host.SetStockAsync("us-east", "TEE-CD", left, 11 - left);
            await page.ShowsTextAsync(Label("TEE-CD"), $"Only {left} left");
        }
        var shown = await page.Page.EvaluateAsync<string[]>("() => window.shown");
        await page.ScreenshotAsync();

        Assert.Empty(page.ScriptErrors);
        Assert.Equal(Enumerable.Range(1, 10).Reverse().Select(n => $"Only {n} left"), shown.Where(label => label != "Updating…"));
    }

    [Fact]
    public async Task TheHeatMapTilesTurnGreenYellowAndRedAtTheRoomsThresholds()
    {
        await _host.SetStockAsync("us-east", "HEAT-A", 25, 1);
        await _host.SetStockAsync("us-east", "HEAT-B", 12, 1);
        await _host.SetStockAsync("us-east", "HEAT-C", 3, 1);
        await using var page = await browser.OpenPageAsync(output);
        await page.GoToAsync(await _host.OverlayPageAsync(OverlayHost.LiveRoom("page-heat", "US", "HEAT-A", "HEAT-B", "HEAT-C")));

        // Thresholds of LiveRoom: green from 20, yellow from 5, red below.
        await page.HasAttributeAsync(Tile("HEAT-A"), "data-colour", "green");
        await page.HasAttributeAsync(Tile("HEAT-B"), "data-colour", "yellow");
        await page.HasAttributeAsync(Tile("HEAT-C"), "data-colour", "red");
        await page.HasStyleAsync(Tile("HEAT-A"), "border-left-color", "rgb(33, 197, 93)");
        await page.HasStyleAsync(Tile("HEAT-B"), "border-left-color", "rgb(245, 196, 0)");
        await page.HasStyleAsync(Tile("HEAT-C"), "border-left-color", "rgb(239, 68, 68)");
        await page.ShowsTextAsync(Label("HEAT-A"), "25 in stock");
        await page.ScreenshotAsync();

        await _host.SetStockAsync("us-east", "HEAT-A", 20, 2);
        await page.HasAttributeAsync(Tile("HEAT-A"), "data-colour", "green");
        await _host.SetStockAsync("us-east", "HEAT-A", 19, 3);
        await page.HasAttributeAsync(Tile("HEAT-A"), "data-colour", "yellow");
        await page.HasStyleAsync(Tile("HEAT-A"), "border-left-color", "rgb(245, 196, 0)");
        await _host.SetStockAsync("us-east", "HEAT-A", 4, 4);
        await page.HasAttributeAsync(Tile("HEAT-A"), "data-colour", "red");
        await page.HasStyleAsync(Tile("HEAT-A"), "border-left-color", "rgb(239, 68, 68)");
        await page.ShowsTextAsync(Label("HEAT-A"), "Only 4 left");
        await page.ScreenshotAsync("after");
    }

    [Fact]
    public async Task TheSoldOutCardAppearsWhenTheLastOneIsSold()
    {
        await _host.SetStockAsync("us-east", "TEE-LAST", 1, 1);
        await using var page = await browser.OpenPageAsync(output);
        await page.GoToAsync(await _host.OverlayPageAsync(OverlayHost.LiveRoom("page-sold-out", "US", "TEE-LAST")));
        await page.ShowsTextAsync(Label("TEE-LAST"), "Only 1 left");

        await _host.SetStockAsync("us-east", "TEE-LAST", 0, 2);

        await page.ShowsTextAsync(Label("TEE-LAST"), "Sold out");
        await page.HasAttributeAsync(Tile("TEE-LAST"), "data-colour", "sold-out");
        await page.HasStyleAsync(Tile("TEE-LAST"), "border-left-color", "rgb(85, 85, 85)");
        await page.HasStyleAsync(Tile("TEE-LAST"), "background-color", "rgba(120, 0, 0, 0.75)");
        await page.ScreenshotAsync();
    }

    [Fact]
    public async Task UpdatingAppearsWhileTheLedgerIsDownAndClearsWhenItReturns()
    {
        await _host.SetStockAsync("us-east", "TEE-OUT", 42, 1);
        var room = OverlayHost.LiveRoom("page-outage", "US", "TEE-OUT");
        await using var page = await browser.OpenPageAsync(output);
        await page.GoToAsync(await _host.OverlayPageAsync(room));
        await page.ShowsTextAsync(Label("TEE-OUT"), "42 in stock");
        await page.IsHiddenAsync("#status");

        _ledger.Stop();
        try
        {
            await page.IsVisibleAsync("#status");
            await page.ShowsTextAsync("#status", "Updating…");
            await page.ShowsTextAsync(Label("TEE-OUT"), "Updating…");
            await page.ScreenshotAsync("down");
        }
        finally
        {
            await _ledger.StartAsync(); // the class's other tests share this ledger
        }
        await page.IsHiddenAsync("#status");
        await page.ShowsTextAsync(Label("TEE-OUT"), "42 in stock");
        await _host.SetStockAsync("us-east", "TEE-OUT", 41, 2);
        await page.ShowsTextAsync(Label("TEE-OUT"), "41 in stock");
        await page.ScreenshotAsync();
    }

    [Fact]
    public async Task ThePageReconnectsByItselfWhenTheOverlayServiceRestarts()
    {
        await _host.SetStockAsync("us-east", "TEE-RESTART", 42, 1);
        // A host of its own: the class's shared one keeps serving the other tests.
        var service = OverlayHost.OnSockets(server.Redis.Configuration, _ledger);
        try
        {
            await using var page = await browser.OpenPageAsync(output);
            await page.GoToAsync(await service.OverlayPageAsync(OverlayHost.LiveRoom("page-restart", "US", "TEE-RESTART")));
            await page.ShowsTextAsync(Label("TEE-RESTART"), "42 in stock");
            await page.IsHiddenAsync("#status");
            // The outage may be shorter than one wait's poll: remember whether "updating…" ever showed.
            await page.Page.EvaluateAsync("""
                () => new MutationObserver(() => window.sawUpdating ||= document.body.classList.contains('stale'))
                  .observe(document.body, { attributes: true, attributeFilter: ['class'] })
                """);

            var restart = System.Diagnostics.Stopwatch.StartNew();
            service = service.Restart();
            var restarted = restart.Elapsed;
            await _host.SetStockAsync("us-east", "TEE-RESTART", 41, 2);

            await page.ShowsTextAsync(Label("TEE-RESTART"), "41 in stock");
            await page.IsHiddenAsync("#status");
            await page.ScreenshotAsync();
            Assert.True(await page.Page.EvaluateAsync<bool>("() => window.sawUpdating === true"), "the page said \"updating…\" while the service was away");
            // Its open event stream ends when the service stops, instead of holding the stop for the
            // shutdown timeout (about 20 s here before that was fixed).
            Assert.True(restarted < TimeSpan.FromSeconds(10), $"the restart took {restarted.TotalSeconds:0.0} s");
        }
        finally
        {
            await service.DisposeAsync();
        }
    }

    [Fact]
    public async Task ThroughARedisOutageAndARestartThePageKeepsItsTilesWithUpdatingAndUpdatesAgainWithoutAReload()
    {
        // Redis, the ledger and the service of this test's own: Redis goes away for them all.
        using var redis = new RedisProcess("--appendonly", "yes", "--appendfsync", "always");
        redis.Start();
        var configuration = $"{redis.EndPoint},connectTimeout=500,asyncTimeout=1000,syncTimeout=1000";
        using var ledger = await OverlayHost.StartLedgerAsync(configuration);
        var service = OverlayHost.OnSockets(configuration, ledger, new Dictionary<string, string?> { ["Overlay:HeartbeatSeconds"] = "1" });
        try
        {
            var room = OverlayHost.LiveRoom("page-redis", "US", "TEE-REDIS");
            room.StaleAfterSeconds = 5;
            await using var page = await browser.OpenPageAsync(output);
            await page.GoToAsync(await service.OverlayPageAsync(room));
            await service.SetStockAsync("us-east", "TEE-REDIS", 42, 1);
            await page.ShowsTextAsync(Label("TEE-REDIS"), "42 in stock");
            // The same document throughout (no reload), and whether its tiles ever went blank.
            await page.Page.EvaluateAsync("""
                () => {
                  window.sameDocument = true;
                  new MutationObserver(() => window.wentBlank ||= document.querySelectorAll('.tile').length === 0)
                    .observe(document.getElementById('tiles'), { childList: true });
                }
                """);

            var refused = 0;
            page.Page.Response += (_, answer) => refused += answer.Status == 503 && answer.Url.Contains("/events", StringComparison.Ordinal) ? 1 : 0;

            redis.Stop();
            await page.IsVisibleAsync("#status");
            await page.ShowsTextAsync(Label("TEE-REDIS"), "Updating…");
            // A restarted replica has no token checked yet: its answers are 503 with Retry-After until Redis is back.
            service = service.Restart();
            await Eventually.TrueAsync(() => Task.FromResult(refused > 0), "the page's reconnect is answered 503 while Redis is down");
            await page.ShowsTextAsync(Label("TEE-REDIS"), "Updating…");
            await page.IsVisibleAsync("#status");
            await page.ScreenshotAsync("down");
            redis.Start();
            await Eventually.TrueAsync(async () =>
            {
                await service.SetStockAsync("us-east", "TEE-REDIS", 41, 2);
                return true;
            }, "the ledger takes stock events again");

            await page.ShowsTextAsync(Label("TEE-REDIS"), "41 in stock");
            await page.IsHiddenAsync("#status");
            await page.ScreenshotAsync();
            Assert.True(await page.Page.EvaluateAsync<bool>("() => window.sameDocument === true"), "the page was not reloaded");
            Assert.False(await page.Page.EvaluateAsync<bool>("() => window.wentBlank === true"), "the tiles never went blank");
            Assert.Empty(page.ScriptErrors);
        }
        finally
        {
            await service.DisposeAsync();
        }
    }

    [Fact]
    public async Task ASpotlightAskedForInFreeTextShowsItsCardWithLiveStock()
    {
        await _host.SetStockAsync("us-east", "TEE-WHT-M", 25, 1);
        await _host.SetStockAsync("us-east", "HOOD-BLK-L", 9, 1);
        var room = OverlayHost.LiveRoom("page-spotlight", "US", "TEE-WHT-M", "HOOD-BLK-L");
        room.Featured[0].DisplayName = "Oversize tee, white, M";
        room.Featured[0].Aliases.Add("white tee");
        room.Featured[1].DisplayName = "Hoodie, black, L";
        await using var page = await browser.OpenPageAsync(output);
        await page.GoToAsync(await _host.OverlayPageAsync(room));
        await page.ShowsTextAsync(Label("HOOD-BLK-L"), "Only 9 left");
        await page.IsHiddenAsync("#spotlight");

        await _host.Client().SpotlightAsync(new SpotlightRequest { RoomId = room.Id, Query = "is the WHITE TEE still there?" });

        await page.IsVisibleAsync("#spotlight");
        await page.ShowsTextAsync("#spotlight .name", "Oversize tee, white, M");
        await page.ShowsTextAsync("#spotlight .label", "25 in stock");
        await _host.SetStockAsync("us-east", "TEE-WHT-M", 7, 2);
        await page.ShowsTextAsync("#spotlight .label", "Only 7 left");
        await page.ScreenshotAsync();
        Assert.Empty(page.ScriptErrors);
    }

    [Fact]
    public async Task SkusWithSpacesScriptsAndMarkupShowTheirCountsAsTextAndAFreeTextSpotlightFindsThem()
    {
        await _host.ApplyAsync([.. SellerSkus.All.Select((sku, i) => ("us-east", sku, 30L + i, 1L))]);
        var room = OverlayHost.LiveRoom("page-seller-skus", "US", SellerSkus.All);
        room.Featured[^1].DisplayName = ""; // longer than a display name may be: the name shown is the SKU
        await using var page = await browser.OpenPageAsync(output);
        await page.GoToAsync(await _host.OverlayPageAsync(room));

        foreach (var (sku, i) in SellerSkus.All.Select((sku, i) => (sku, i)))
        {
            await page.ShowsTextAsync(Tile(sku) + " .name", sku);
            await page.ShowsTextAsync(Label(sku), $"{30 + i} in stock");
        }
        await _host.SetStockAsync("us-east", SellerSkus.Deluxe, 3, 2);
        await page.ShowsTextAsync(Label(SellerSkus.Deluxe), "Only 3 left");
        await _host.Client().SpotlightAsync(new SpotlightRequest { RoomId = room.Id, Query = "is the stroller black 2025 still there?" });
        await page.ShowsTextAsync("#spotlight .name", SellerSkus.Stroller);
        await page.ShowsTextAsync("#spotlight .label", "30 in stock");
        await _host.Client().SpotlightAsync(new SpotlightRequest { RoomId = room.Id, Query = "连衣裙红色M还有吗？" });
        await page.ShowsTextAsync("#spotlight .name", SellerSkus.Dress);
        await page.ScreenshotAsync();

        // Text, never markup: "<Deluxe>" made no element, and every tile is one of ours.
        await page.HasCountAsync("deluxe", 0);
        await page.HasCountAsync("#tiles > *", SellerSkus.All.Length);
        Assert.True(await page.Page.EvaluateAsync<bool>("() => [...document.querySelectorAll('.tile, #spotlight')].every(e => e.getBoundingClientRect().right <= innerWidth && e.scrollWidth <= e.clientWidth)"), "a SKU ran off the overlay");
        Assert.Empty(page.ScriptErrors);
        var metrics = await _host.MetricsAsync();
        Assert.All(SellerSkus.All, sku => Assert.DoesNotContain(sku, metrics, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ThePagesTokenTravelsInNoUrlTheBrowserSendsOnlyInTheExchangeHeaderAndTheCookie()
    {
        await _host.SetStockAsync("us-east", "TEE-FRAG", 42, 1);
        var room = OverlayHost.LiveRoom("page-fragment", "US", "TEE-FRAG");
        await _host.Client().UpsertRoomAsync(room);
        var token = await _host.Client().IssueTokenAsync(new IssueTokenRequest { RoomId = room.Id });
        await using var page = await browser.OpenPageAsync(output);
        var sent = new List<(string Method, string Url, Dictionary<string, string> Headers)>();
        page.Page.Request += (_, request) => { lock (sent) { sent.Add((request.Method, request.Url, request.Headers)); } };

        await page.GoToAsync(new Uri(_host.PageAddress, token.OverlayPath));
        await page.ShowsTextAsync(Label("TEE-FRAG"), "42 in stock");
        var cookies = await page.Page.Context.CookiesAsync([_host.PageAddress.ToString()[..^1] + "/overlay/page-fragment/events"]);
        var readable = await page.Page.EvaluateAsync<string>("() => document.cookie");
        await page.ScreenshotAsync();

        List<(string Method, string Url, Dictionary<string, string> Headers)> seen;
        lock (sent) { seen = [.. sent]; }
        Assert.Empty(page.ScriptErrors);
        Assert.All(seen, r => Assert.DoesNotContain(token.Token, r.Url, StringComparison.Ordinal));
        var exchange = Assert.Single(seen, r => r.Method == "POST" && r.Url.EndsWith("/overlay/page-fragment/session", StringComparison.Ordinal));
        Assert.Equal(token.Token, exchange.Headers["x-stockcast-token"]);
        Assert.Contains(seen, r => r.Url.EndsWith("/overlay/page-fragment/events", StringComparison.Ordinal));
        var cookie = Assert.Single(cookies);
        Assert.Equal((token.Token, true, Microsoft.Playwright.SameSiteAttribute.Strict), (cookie.Value, cookie.HttpOnly, cookie.SameSite));
        Assert.Equal("", readable); // HttpOnly: no script on the page can read it
    }

    [Fact]
    public async Task AWrongTokenShowsABlankPageAndItsStockStreamIsRefused()
    {
        await _host.SetStockAsync("us-east", "TEE-TOK", 42, 1);
        // The room exists and has a valid token: only the token in the link is wrong.
        var good = await _host.OverlayPageAsync(OverlayHost.LiveRoom("page-token", "US", "TEE-TOK"));
        await using var page = await browser.OpenPageAsync(output);
        await page.GoToAsync(good);
        await page.ShowsTextAsync(Label("TEE-TOK"), "42 in stock");

        // The browser's own EventSource with a wrong token: refused, so it closes and never retries.
        var stream = await page.Page.EvaluateAsync<int>("""
            () => new Promise(resolve => {
              const events = new EventSource('/overlay/page-token/events?token=not-the-token');
              events.addEventListener('update', () => resolve(-1));
              events.onerror = () => setTimeout(() => resolve(events.readyState), 0);
            })
            """);
        var response = await page.GoToAsync(new Uri(_host.PageAddress, "/overlay/page-token?token=not-the-token"));
        var body = await page["body"].InnerTextAsync();
        await page.HasStyleAsync("html", "background-color", "rgba(0, 0, 0, 0)");
        await page.ScreenshotAsync();
        // A new link's wrong token: the shell loads, its exchange is refused, and the page stays blank.
        // (The page's cookie still holds the good token from the first visit: the refusal must win.)
        await page.GoToAsync(new Uri(_host.PageAddress, "/overlay/page-token#token=not-the-token"));
        await page.HasAttributeAsync("body", "class", "closed");
        var blankAfterRefusal = await page[".tile"].CountAsync();

        Assert.Equal(2, stream); // EventSource.CLOSED
        Assert.Equal(0, blankAfterRefusal);
        Assert.Equal(403, response!.Status);
        Assert.Equal(0, await page[".tile"].CountAsync());
        Assert.Equal("", body.Trim());
    }

    [Fact]
    public async Task RevokingTheTokenBlanksAnOpenPage()
    {
        await _host.SetStockAsync("us-east", "TEE-REV", 42, 1);
        var room = OverlayHost.LiveRoom("page-revoked", "US", "TEE-REV");
        await _host.Client().UpsertRoomAsync(room);
        var token = await _host.Client().IssueTokenAsync(new IssueTokenRequest { RoomId = room.Id });
        await using var page = await browser.OpenPageAsync(output);
        await page.GoToAsync(new Uri(_host.PageAddress, token.OverlayPath));
        await page.ShowsTextAsync(Label("TEE-REV"), "42 in stock");

        await _host.Client().RevokeTokenAsync(new RevokeTokenRequest { RoomId = room.Id, TokenId = token.TokenId });

        // Blank, as OBS should show it: no figure, and no "updating…" that would never clear.
        await page.HasCountAsync(".tile", 0);
        await page.IsHiddenAsync("#status");
        await page.IsHiddenAsync("#spotlight");
        await page.ScreenshotAsync();
        Assert.Empty(page.ScriptErrors);
    }

    [Fact]
    public async Task OverAWebSocketThePageFollowsTheFiguresAndBlanksWhenItsRoomIsDeleted()
    {
        await _host.SetStockAsync("us-east", "TEE-WS", 42, 1);
        await using var page = await browser.OpenPageAsync(output);
        await page.GoToAsync(await _host.OverlayPageAsync(OverlayHost.LiveRoom("page-ws", "US", "TEE-WS"), "?transport=ws"));
        await page.ShowsTextAsync(Label("TEE-WS"), "42 in stock");
        await _host.SetStockAsync("us-east", "TEE-WS", 41, 2);
        await page.ShowsTextAsync(Label("TEE-WS"), "41 in stock");

        // The socket closes (1001 "room closed"); the reconnect is refused with 404, which the
        // browser does not show a WebSocket: the page asks, and blanks instead of retrying for ever.
        await _host.Client().DeleteRoomAsync(new DeleteRoomRequest { RoomId = "page-ws" });

        await page.HasCountAsync(".tile", 0);
        await page.IsHiddenAsync("#status");
        Assert.Empty(page.ScriptErrors);
    }

    [Fact]
    public async Task ThePageBackgroundIsTransparentSoObsShowsTheStreamBehindIt()
    {
        await _host.SetStockAsync("us-east", "TEE-OBS", 42, 1);
        await using var page = await browser.OpenPageAsync(output);
        await page.GoToAsync(await _host.OverlayPageAsync(OverlayHost.LiveRoom("page-obs", "US", "TEE-OBS")));
        await page.ShowsTextAsync(Label("TEE-OBS"), "42 in stock");

        await page.HasStyleAsync("html", "background-color", "rgba(0, 0, 0, 0)");
        await page.HasStyleAsync("body", "background-color", "rgba(0, 0, 0, 0)");
        var screenshot = await page.ScreenshotAsync();

        // The top-left corner lies in the body's padding: nothing painted there, fully transparent.
        Assert.Equal(0, TopLeftAlpha(await File.ReadAllBytesAsync(screenshot)));
    }

    [Fact]
    public async Task ARoomInChineseShowsChineseLabels()
    {
        await _host.SetStockAsync("us-east", "ZH-TEE", 42, 1);
        await _host.SetStockAsync("us-east", "ZH-HOOD", 4, 1);
        var room = OverlayHost.LiveRoom("page-zh", "US", "ZH-TEE", "ZH-HOOD");
        room.Display.Language = "zh";
        room.Featured[0].DisplayName = "白色T恤";
        room.Featured[1].DisplayName = "黑色卫衣";
        await using var page = await browser.OpenPageAsync(output);
        await page.GoToAsync(await _host.OverlayPageAsync(room));

        await page.ShowsTextAsync(Label("ZH-TEE"), "现货 42 件");
        await page.ShowsTextAsync(Label("ZH-HOOD"), "仅剩 4 件");
        await page.ShowsTextAsync(Tile("ZH-HOOD") + " .name", "黑色卫衣");
        await page.HasAttributeAsync("html", "lang", "zh-Hans");
        await page.ShowsTextAsync("#status", "更新中…");
        await _host.SetStockAsync("us-east", "ZH-HOOD", 0, 2);
        await page.ShowsTextAsync(Label("ZH-HOOD"), "已售罄");
        await page.ScreenshotAsync();
        Assert.Empty(page.ScriptErrors);
    }

    [Fact]
    public async Task ARoomWithCountDownHeatMapAndSoldOutCardOffShowsWordsNoColoursAndDropsSoldOutSkus()
    {
        await _host.SetStockAsync("us-east", "PLAIN-TEE", 50, 1);
        await _host.SetStockAsync("us-east", "PLAIN-MUG", 0, 1);
        var room = OverlayHost.LiveRoom("page-plain", "US", "PLAIN-TEE", "PLAIN-MUG");
        room.Display = new DisplayOptions { CountDown = false, HeatMap = false, SoldOutCard = false, Language = "en" };
        await using var page = await browser.OpenPageAsync(output);
        await page.GoToAsync(await _host.OverlayPageAsync(room));

        await page.ShowsTextAsync(Label("PLAIN-TEE"), "In stock");
        await page.HasCountAsync(".tile", 1);
        await page.HasStyleAsync(Tile("PLAIN-TEE"), "border-left-color", "rgba(0, 0, 0, 0)");
        await _host.SetStockAsync("us-east", "PLAIN-TEE", 3, 2);
        await page.ShowsTextAsync(Label("PLAIN-TEE"), "Selling fast");
        await page.ScreenshotAsync();
        await _host.SetStockAsync("us-east", "PLAIN-TEE", 0, 3);
        await page.HasCountAsync(".tile", 0);
        Assert.Empty(page.ScriptErrors);
    }

    /// <summary>The alpha of an RGBA PNG's first pixel (which every PNG row filter leaves as stored).</summary>
    private static byte TopLeftAlpha(byte[] png)
    {
        Assert.Equal(6, png[25]); // colour type 6: RGBA, 8 bits a channel (bit depth at 24)
        using var idat = new MemoryStream();
        for (var at = 8; at < png.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
            if (png.AsSpan(at + 4, 4).SequenceEqual("IDAT"u8))
            {
                idat.Write(png, at + 8, length);
            }
            at += 12 + length;
        }
        idat.Position = 0;
        using var pixels = new ZLibStream(idat, CompressionMode.Decompress);
        var firstPixel = new byte[5]; // the row's filter byte, then R, G, B, A
        pixels.ReadExactly(firstPixel);
        return firstPixel[4];
    }

    [Fact]
    public async Task ThePageIsServedOnlyOnThePublicPortAndMetricsOnlyOnTheManagementPort()
    {
        var page = await _host.OverlayPageAsync(OverlayHost.LiveRoom("page-ports", "US", "TEE-PORTS"));
        var onManagement = new UriBuilder(page) { Port = _host.Ports!.ByEndpoint[LoopbackPorts.Management] }.Uri;
        using var http = new HttpClient();

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(page)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(onManagement)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri(page, "/metrics"))).StatusCode);
        Assert.Contains("stockcast_overlay_", await _host.MetricsAsync());
    }
}
