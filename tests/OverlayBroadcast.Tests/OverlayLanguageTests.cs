using System.Text.Json;
using Microsoft.Playwright;
using Stockcast.Overlay.Broadcast;
using Stockcast.Overlay.V1;
using Stockcast.ServiceDefaults.Identifiers;
using Stockcast.Testing;
using static Stockcast.Overlay.Tests.OverlayTiles;
using Xunit.Abstractions;

namespace Stockcast.Overlay.Tests;

/// <summary>
/// The overlay page in the viewers' language, in real headless Chromium: text from the message catalogs,
/// numbers and plurals by the browser's Intl rules, product names per language, right to left for Arabic.
/// </summary>
[Trait(Lane.Name, Lane.Slow)]
public sealed class OverlayLanguageTests(OverlayServerFixture server, BrowserFixture browser, ITestOutputHelper output)
    : IClassFixture<OverlayServerFixture>, IClassFixture<BrowserFixture>
{
    private readonly OverlayHost _host = server.Host;

    /// <summary>Two products named in every language (as a seller's catalog would), and one named only once.</summary>
    private static readonly Dictionary<string, (string Tee, string Stroller)> Names = new()
    {
        ["en"] = ("Oversize tee, white", "Baby stroller, black"),
        ["zh-Hans"] = ("宽松T恤 白色", "婴儿推车 黑色"),
        ["zh-Hant"] = ("寬鬆T恤 白色", "嬰兒推車 黑色"),
        ["ja"] = ("オーバーサイズTシャツ 白", "ベビーカー 黒"),
        ["ko"] = ("오버핏 티셔츠 화이트", "유모차 블랙"),
        ["de"] = ("Oversize-Shirt, weiß", "Kinderwagen, schwarz"),
        ["fr"] = ("T-shirt oversize, blanc", "Poussette, noire"),
        ["es"] = ("Camiseta oversize, blanca", "Cochecito, negro"),
        ["it"] = ("T-shirt oversize, bianca", "Passeggino, nero"),
        ["pt-BR"] = ("Camiseta oversize, branca", "Carrinho de bebê, preto"),
        ["id"] = ("Kaos oversize putih", "Kereta bayi hitam"),
        ["th"] = ("เสื้อยืดโอเวอร์ไซส์ สีขาว", "รถเข็นเด็ก สีดำ"),
        ["vi"] = ("Áo thun oversize trắng", "Xe đẩy em bé màu đen"),
        ["ar"] = ("تيشيرت واسع أبيض", "عربة أطفال سوداء"),
    };

    private static Room NamedRoom(string id, string market, string language, string tee, string stroller, string cap)
    {
        var room = OverlayHost.LiveRoom(id, market, tee, stroller, cap);
        room.Display.Language = language;
        room.Featured[0].Names.Add(Names.ToDictionary(n => n.Key, n => n.Value.Tee));
        room.Featured[0].ImageUrl = "https://cdn.example/p/tee-white.jpg";
        room.Featured[1].Names.Add(Names.ToDictionary(n => n.Key, n => n.Value.Stroller));
        room.Featured[2].DisplayName = "Sun cap";
        return room;
    }

    [Fact]
    public async Task AGermanRoomShowsGermanNamesAndTextWithGermanNumberFormatting()
    {
        await _host.ApplyAsync([("eu-central", "DE-TEE", 1234, 1), ("eu-central", "DE-STROLLER", 4, 1), ("eu-central", "DE-CAP", 1, 1)]);
        // No language given: the room speaks its market's.
        var room = NamedRoom("page-de", "DE", "", "DE-TEE", "DE-STROLLER", "DE-CAP");
        await using var page = await browser.OpenPageAsync(output);
        await page.GoToAsync(await _host.OverlayPageAsync(room));

        await page.ShowsTextAsync(Label("DE-TEE"), "1.234 auf Lager");
        await page.ShowsTextAsync(Label("DE-STROLLER"), "Nur noch 4 übrig");
        await page.ShowsTextAsync(Label("DE-CAP"), "Nur noch 1 übrig");
        await page.ShowsTextAsync(Tile("DE-TEE") + " .name", "Oversize-Shirt, weiß");
        await page.ShowsTextAsync(Tile("DE-STROLLER") + " .name", "Kinderwagen, schwarz");
        await page.ShowsTextAsync(Tile("DE-CAP") + " .name", "Sun cap");
        await page.HasAttributeAsync(Tile("DE-TEE") + " .thumb", "src", "https://cdn.example/p/tee-white.jpg");
        await page.HasAttributeAsync("html", "lang", "de");
        await page.HasAttributeAsync("html", "dir", "ltr");
        await page.ShowsTextAsync("#status", "Wird aktualisiert…");
        await _host.SetStockAsync("eu-central", "DE-CAP", 0, 2);
        await page.ShowsTextAsync(Label("DE-CAP"), "Ausverkauft");
        await page.ScreenshotAsync();
        Assert.Empty(page.ScriptErrors);
    }

    [Fact]
    public async Task AnArabicRoomRendersRightToLeftWithArabicPluralForms()
    {
        await _host.ApplyAsync([("us-east", "AR-TWO", 2, 1), ("us-east", "AR-THREE", 3, 1), ("us-east", "AR-ELEVEN", 11, 1)]);
        var room = OverlayHost.LiveRoom("page-ar", "US", "AR-TWO", "AR-THREE", "AR-ELEVEN");
        room.Display.Language = "ar-SA";
        await using var page = await browser.OpenPageAsync(output);
        await page.GoToAsync(await _host.OverlayPageAsync(room));

        await page.ShowsTextAsync(Label("AR-TWO"), "بقيت قطعتان فقط");
        await page.ShowsTextAsync(Label("AR-THREE"), "بقيت 3 قطع فقط");
        await page.ShowsTextAsync(Label("AR-ELEVEN"), "بقيت 11 قطعة فقط");
        await page.HasAttributeAsync("html", "dir", "rtl");
        await page.HasAttributeAsync("html", "lang", "ar");
        // The colour edge starts the tile: on the right, right to left.
        await page.HasStyleAsync(Tile("AR-TWO"), "border-right-width", "10px");
        await page.HasStyleAsync(Tile("AR-TWO"), "border-left-width", "0px");
        Assert.Empty(page.ScriptErrors);
    }

    [Fact]
    public async Task AMissingTranslationFallsBackToEnglishNeverToAKeyName()
    {
        await _host.SetStockAsync("eu-central", "FALLBACK-TEE", 3, 1);
        await using var page = await browser.OpenPageAsync(output);
        await page.GoToAsync(await _host.OverlayPageAsync(OverlayHost.LiveRoom("page-fallback", "DE", "FALLBACK-TEE")));
        await page.ShowsTextAsync(Label("FALLBACK-TEE"), "Nur noch 3 übrig");

        // As if the German catalog had no "sold out" and lost its plural forms for "in stock".
        var texts = await page.Page.EvaluateAsync<string[]>("""
            () => {
              delete catalogs.de.messages.soldOut;
              catalogs.de.messages.inStockCount = {};
              return [format("de", "soldOut"), format("de", "inStockCount", 1234), format("de", "no.such.key"), format("xx", "onlyLeft", 3)];
            }
            """);
        await _host.SetStockAsync("eu-central", "FALLBACK-TEE", 0, 2);

        Assert.Equal(["Sold out", "1.234 in stock", "", "Only 3 left"], texts);
        await page.ShowsTextAsync(Label("FALLBACK-TEE"), "Sold out");
        Assert.Empty(page.ScriptErrors);
    }

    [Fact]
    public async Task TheBrowserWordsEveryLabelAsTheServerDoesInEveryLanguage()
    {
        await using var page = await browser.OpenPageAsync(output);
        await page.GoToAsync(await _host.OverlayPageAsync(OverlayHost.LiveRoom("page-words", "US", "WORDS-TEE")));
        long[] counts = [0, 1, 2, 3, 5, 10, 11, 21, 99, 100, 101, 102, 111, 1_000, 1_234, 12_345, 1_000_000, 1_234_567];
        string[] keys = ["updating", "soldOut", "inStock", "inStockCount", "onlyLeft", "sellingFast"];

        var browserWords = await page.Page.EvaluateAsync<Dictionary<string, string>>("""
            ([languages, keys, counts]) => Object.fromEntries(languages.flatMap(l => keys.flatMap(k => counts.map(n => [`${l} ${k} ${n}`, format(l, k, n)]))))
            """, new object[] { Languages.Supported, keys, counts });
        var serverWords = Languages.Supported.SelectMany(l => keys.SelectMany(k => counts.Select(n => ($"{l} {k} {n}", Catalogs.Embedded.Format(l, k, n)))))
            .ToDictionary(e => e.Item1, e => e.Item2);

        Assert.Equal(serverWords.Count, browserWords.Count);
        Assert.Empty(serverWords.Where(e => browserWords[e.Key] != e.Value).Select(e => $"{e.Key}: server '{e.Value}', browser '{browserWords[e.Key]}'"));
    }

    [Fact]
    public async Task EveryLanguagesRoomShowsItsOwnWords()
    {
        await _host.ApplyAsync([("us-east", "LANG-TEE", 87, 1), ("us-east", "LANG-STROLLER", 3, 1), ("us-east", "LANG-CAP", 0, 1)]);
        await using var page = await browser.OpenPageAsync(output);
        foreach (var language in Languages.Supported)
        {
            var room = NamedRoom("page-lang-" + language.ToLowerInvariant(), "US", language, "LANG-TEE", "LANG-STROLLER", "LANG-CAP");
            await page.GoToAsync(await _host.OverlayPageAsync(room));

            await page.ShowsTextAsync(Label("LANG-TEE"), Catalogs.Embedded.Format(language, "inStockCount", 87));
            await page.ShowsTextAsync(Label("LANG-STROLLER"), Catalogs.Embedded.Format(language, "onlyLeft", 3));
            await page.ShowsTextAsync(Label("LANG-CAP"), Catalogs.Embedded.Format(language, "soldOut"));
            await page.ShowsTextAsync(Tile("LANG-STROLLER") + " .name", Names[language].Stroller);
            await page.HasAttributeAsync("html", "lang", language);
            await page.DocumentAsync("overlay-" + language, backdrop: true);
        }
        Assert.Empty(page.ScriptErrors);
    }
}
