using Stockcast.Overlay.Broadcast;
using Stockcast.ServiceDefaults.Identifiers;

namespace Stockcast.Overlay.Tests;

/// <summary>
/// The message catalogs (services/overlay-broadcast/Pages/i18n, one file per language) and the server's
/// formatting with them. That the browser's Intl rules give the same text is OverlayLanguageTests'.
/// </summary>
public sealed class CatalogTests
{
    private static readonly long[] Counts = [.. Enumerable.Range(0, 1_201).Select(n => (long)n), 1_000_000, 2_000_000, 1_000_001];

    [Fact]
    public void ThereIsACatalogForEveryLanguageARoomCanSpeak()
        => Assert.Equal(Languages.Supported.Order(StringComparer.Ordinal), Catalogs.Embedded.Languages.Order(StringComparer.Ordinal));

    [Fact]
    public void EveryCatalogHasEveryKeyWithEveryPluralFormItsLanguageUses()
    {
        var english = Catalogs.Embedded.Keys(Languages.Default);
        var missing = new List<string>();
        foreach (var language in Languages.Supported)
        {
            var keys = Catalogs.Embedded.Keys(language);
            var forms = Counts.Select(n => Catalogs.Plural(language, n)).ToHashSet();
            foreach (var (key, englishForms) in english)
            {
                if (!keys.TryGetValue(key, out var own))
                {
                    missing.Add($"{language}: {key}");
                }
                else if (englishForms.Count > 0)
                {
                    missing.AddRange(forms.Except(own).Select(form => $"{language}: {key}.{form}"));
                }
                else if (own.Count > 0)
                {
                    missing.Add($"{language}: {key} has plural forms where English has one text");
                }
            }
            missing.AddRange(keys.Keys.Except(english.Keys).Select(key => $"{language}: {key} is not an English key"));
        }
        Assert.Empty(missing);
    }

    [Theory]
    [InlineData("en", 1, "Only 1 left")]
    [InlineData("en", 1234, "Only 1,234 left")]
    [InlineData("de", 1234, "Nur noch 1.234 übrig")]
    [InlineData("es", 1234, "¡Solo quedan 1234!")]
    [InlineData("es", 12345, "¡Solo quedan 12.345!")]
    [InlineData("es", 1, "¡Solo queda 1!")]
    [InlineData("fr", 12345, "Plus que 12\u202F345 !")]
    [InlineData("zh", 4, "仅剩 4 件")]
    [InlineData("zh-TW", 4, "僅剩 4 件")]
    [InlineData("ar", 1, "بقيت قطعة واحدة فقط")]
    [InlineData("ar", 2, "بقيت قطعتان فقط")]
    [InlineData("ar", 3, "بقيت 3 قطع فقط")]
    [InlineData("ar", 11, "بقيت 11 قطعة فقط")]
    [InlineData("ar", 103, "بقيت 103 قطع فقط")]
    public void ALabelIsInTheLanguageWithItsNumberAndPluralForm(string language, long n, string text)
        => Assert.Equal(text, Catalogs.Embedded.Format(language, "onlyLeft", n));

    [Fact]
    public void ACueNamesTheProductAndTheMarketInTheLanguage()
    {
        Assert.Equal("Weißes Shirt: nur noch 4 übrig (Deutschland)!", Catalogs.Embedded.Format("de", "cue.lowStock", 4, "Weißes Shirt", "DE"));
        Assert.Equal("白色T恤在德国仅剩 4 件，抓紧下单！", Catalogs.Embedded.Format("zh-Hans", "cue.lowStock", 4, "白色T恤", "DE"));
        Assert.Equal("White tee: only 4 left in Germany!", Catalogs.Embedded.Format("en", "cue.lowStock", 4, "White tee", "DE"));
        // A market no catalog names is shown by its code.
        Assert.Equal("White tee: only 4 left in NZ!", Catalogs.Embedded.Format("en", "cue.lowStock", 4, "White tee", "NZ"));
    }

    [Fact]
    public void AMessageOrPluralFormALanguageLacksComesFromEnglishNeverAsItsKey()
    {
        var catalogs = Catalogs.From([
            """{"language":"en","direction":"ltr","messages":{"soldOut":"Sold out","onlyLeft":{"one":"Only {n} left","other":"Only {n} left"}},"markets":{}}""",
            """{"language":"de","direction":"ltr","messages":{"onlyLeft":{"one":"Nur noch {n} übrig"}},"markets":{}}""",
        ]);

        Assert.Equal("Sold out", catalogs.Format("de", "soldOut"));
        Assert.Equal("Nur noch 1 übrig", catalogs.Format("de", "onlyLeft", 1));
        Assert.Equal("Only 5 left", catalogs.Format("de", "onlyLeft", 5));
        Assert.Equal("Only 5 left", catalogs.Format("xx", "onlyLeft", 5));
        Assert.Throws<InvalidOperationException>(() => Catalogs.From(["""{"language":"de","direction":"ltr","messages":{},"markets":{}}"""]));
    }

    [Fact]
    public void ArabicIsWrittenRightToLeftAndTheOthersLeftToRight()
        => Assert.Equal(["ar"], Languages.Supported.Where(Catalogs.Embedded.RightToLeft));
}
