using Stockcast.ServiceDefaults.Errors;
using Stockcast.ServiceDefaults.Identifiers;

namespace Stockcast.ServiceDefaults.Tests;

/// <summary>The languages rooms, featured names and catalog names are kept in, and how callers' tags map to them.</summary>
public sealed class LanguagesTests
{
    [Theory]
    [InlineData("de", "de")]
    [InlineData("DE-at", "de")]
    [InlineData("zh", "zh-Hans")]
    [InlineData("zh-CN", "zh-Hans")]
    [InlineData("zh-TW", "zh-Hant")]
    [InlineData("zh-Hant-HK", "zh-Hant")]
    [InlineData("pt", "pt-BR")]
    [InlineData("ar-SA", "ar")]
    [InlineData("en-GB", "en")]
    public void ATagResolvesToTheSupportedLanguageItNames(string tag, string language)
        => Assert.Equal(language, Languages.Resolve(tag));

    [Theory]
    [InlineData("")]
    [InlineData("xx")]
    [InlineData("klingon")]
    [InlineData("-de")]
    public void ATagOfNoSupportedLanguageResolvesToNothing(string tag)
        => Assert.Null(Languages.Resolve(tag));

    [Theory]
    [InlineData("DE", "de")]
    [InlineData("AT", "de")]
    [InlineData("CN", "zh-Hans")]
    [InlineData("TW", "zh-Hant")]
    [InlineData("BR", "pt-BR")]
    [InlineData("SA", "ar")]
    [InlineData("US", "en")]
    [InlineData("SG", "en")]
    public void AMarketSpeaksItsOwnLanguageOrEnglish(string market, string language)
        => Assert.Equal(language, Languages.ForMarket(market));

    [Fact]
    public void NamesAreKeptUnderTheResolvedTagsAndABadOneIsNamed()
    {
        var names = Languages.CheckedNames([new("zh", "白色T恤"), new("DE", "Weißes T-Shirt")], "featured[0].names");
        var twice = Assert.Throws<InvalidFieldException>(() => Languages.CheckedNames([new("zh", "白色T恤"), new("zh-CN", "白T")], "names"));
        var unknown = Assert.Throws<InvalidFieldException>(() => Languages.CheckedNames([new("xx", "?")], "names"));
        var empty = Assert.Throws<InvalidFieldException>(() => Languages.CheckedNames([new("de", "")], "names"));
        var control = Assert.Throws<InvalidFieldException>(() => Languages.CheckedNames([new("de", "T-Shirt\nweiß")], "names"));

        Assert.Equal(new Dictionary<string, string> { ["zh-Hans"] = "白色T恤", ["de"] = "Weißes T-Shirt" }, names);
        Assert.Equal(["names", "names", "names", "names"], new[] { twice, unknown, empty, control }.Select(e => e.Field));
        Assert.Equal("names: two keys name zh-Hans", twice.Message);
        Assert.StartsWith("names: the de name must not contain", control.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://cdn.example/tee.jpg")]
    [InlineData("https://user:secret@cdn.example/tee.jpg")]
    [InlineData("javascript:alert(1)")]
    [InlineData("/tee.jpg")]
    public void AnImageUrlMustBeAbsoluteHttpsWithoutCredentials(string url)
        => Assert.Equal("image_url", Assert.Throws<InvalidFieldException>(() => Languages.CheckImageUrl(url, "image_url")).Field);

    [Fact]
    public void NoImageOrAnHttpsImageIsTaken()
    {
        Languages.CheckImageUrl("", "image_url");
        Languages.CheckImageUrl("https://cdn.example/p/tee-white.jpg?w=128", "image_url");
    }
}
