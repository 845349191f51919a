using Stockcast.Overlay.Rooms;
using Stockcast.Overlay.V1;

namespace Stockcast.Overlay.Tests;

/// <summary>Which featured SKU a viewer's comment means, when SKUs are the seller's text.</summary>
public sealed class SpotlightMatchTests
{
    private static readonly Room Room = OverlayHost.LiveRoom("match", "US", "STROLLER BLACK 2025", "STROLLER BLACK", "连衣裙 红色 M", "Café Crème 250g", "👶 Stroller <Deluxe> & Co", "TEE-1");

    [Theory]
    [InlineData("STROLLER BLACK 2025", "STROLLER BLACK 2025")]
    [InlineData("  STROLLER BLACK  ", "STROLLER BLACK")]
    [InlineData("is the stroller black 2025 still there?", "STROLLER BLACK 2025")]
    [InlineData("stroller  black   2025 pls", "STROLLER BLACK 2025")]
    [InlineData("连衣裙红色M还有吗", "连衣裙 红色 M")]
    [InlineData("ｓｔｒｏｌｌｅｒ ｂｌａｃｋ ２０２５", "STROLLER BLACK 2025")]
    [InlineData("café crème 250g?", "Café Crème 250g")]
    [InlineData("CAFÉ CRÈME 250G", "Café Crème 250g")]
    [InlineData("👶 stroller <deluxe> & co", "👶 Stroller <Deluxe> & Co")]
    [InlineData("deluxe", "👶 Stroller <Deluxe> & Co")]
    public void AFreeTextQueryFindsTheSkuItNamesWhateverTheCaseWidthOrSpacing(string query, string sku)
        => Assert.Equal(sku, SpotlightMatch.Find(Room, query)?.Sku);

    [Theory]
    [InlineData("a red hat")]
    [InlineData("  ")]
    [InlineData("\u0301")]
    [InlineData("cafe creme 250g")]
    public void AQueryNamingNoFeaturedSkuFindsNothingAndAccentsCountUnlessAnAliasLeavesThemOut(string query)
        => Assert.Null(SpotlightMatch.Find(Room, query));

    [Fact]
    public void AnExactSkuWinsOverAnythingElseAndIsComparedOrdinally()
    {
        var room = OverlayHost.LiveRoom("exact", "US", "Tee 1", "TEE 1");

        Assert.Equal("TEE 1", SpotlightMatch.Find(room, "TEE 1")?.Sku);
        Assert.Equal("Tee 1", SpotlightMatch.Find(room, "Tee 1")?.Sku);
        // Neither exactly: both fold alike, and room order breaks the tie.
        Assert.Equal("Tee 1", SpotlightMatch.Find(room, "tee 1")?.Sku);
    }

    [Fact]
    public void WordsStayApartSoATextHoldsANameOnlyWhereItsWordsAre()
    {
        var room = OverlayHost.LiveRoom("words", "US", "TEE", "HAT 2");

        Assert.Null(SpotlightMatch.Find(room, "cute everything"));
        Assert.Equal("TEE", SpotlightMatch.Find(room, "a tee please")?.Sku);
        Assert.Equal("HAT 2", SpotlightMatch.Find(room, "the hat   2 pls")?.Sku);
    }

    [Fact]
    public void AnAliasWithoutAccentsFindsTheAccentedSku()
    {
        var room = Room.Clone();
        room.Featured[3].Aliases.Add("cafe creme");

        Assert.Equal("Café Crème 250g", SpotlightMatch.Find(room, "any cafe creme left?")?.Sku);
    }
}
