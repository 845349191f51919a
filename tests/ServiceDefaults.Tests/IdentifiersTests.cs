using Stockcast.ServiceDefaults.Errors;
using static Stockcast.ServiceDefaults.Identifiers.Identifiers;

namespace Stockcast.ServiceDefaults.Tests;

/// <summary>The one definition of each identifier every service checks requests with.</summary>
public sealed class IdentifiersTests
{
    [Theory]
    [InlineData("us-east")]
    [InlineData("eu.cases_2")]
    [InlineData("W")]
    public void AWarehouseIdOfLettersDigitsDotsUnderscoresAndDashesIsTaken(string id)
        => Assert.True(WarehouseId.IsValid(id));

    [Theory]
    [InlineData("us-east\n")]
    [InlineData("\nus-east")]
    [InlineData("us east")]
    [InlineData("us/east")]
    [InlineData("")]
    public void AWarehouseIdWithAnythingElseAnywhereIsRefusedEvenATrailingNewline(string id)
        => Assert.False(WarehouseId.IsValid(id));

    [Fact]
    public void AWarehouseIdIsAtMost64Characters()
    {
        Assert.True(WarehouseId.IsValid(new string('w', 64)));
        Assert.False(WarehouseId.IsValid(new string('w', 65)));
    }

    [Theory]
    [InlineData("S")]
    [InlineData("TEE/白-M#2")]
    [InlineData("STROLLER BLACK 2025")]
    [InlineData("连衣裙 红色 M")]
    [InlineData("连衣裙\u3000红色")]
    [InlineData("Café Crème 250g")]
    [InlineData("Кофта синяя XL")]
    [InlineData("👶 Stroller <Deluxe> & Co")]
    [InlineData("👨\u200d👩\u200d👧 family pack")]
    [InlineData("\"quoted\" it's 50% off: {a}/b#c")]
    [InlineData("nbsp\u00a0inside")]
    public void ASkuIsTheSellersTextSpacesInsideAndAnyScriptIncluded(string sku)
        => Assert.Null(Sku.Problem(sku));

    [Fact]
    public void ASkuIsAtMost255CharactersCountingAnEmojiOnce()
    {
        Assert.True(Sku.IsValid(new string('S', MaxSkuLength)));
        Assert.True(Sku.IsValid(string.Concat(Enumerable.Repeat("👶", MaxSkuLength))));
        Assert.Equal("must be at most 255 characters (got 256)", Sku.Problem(new string('S', MaxSkuLength + 1)));
        Assert.Equal("must be at most 255 characters (got 256)", Sku.Problem(string.Concat(Enumerable.Repeat("👶", MaxSkuLength + 1))));
    }

    [Theory]
    [InlineData("", "required")]
    [InlineData("TEE\n1", "must not contain a line break (U+000A at character 4)")]
    [InlineData("TEE-1\r", "must not contain a line break (U+000D at character 6)")]
    [InlineData("TEE\u2028 1", "must not contain a line break (U+2028 at character 4)")]
    [InlineData("TEE\u2029", "must not contain a line break (U+2029 at character 4)")]
    [InlineData("TEE\u0085", "must not contain a line break (U+0085 at character 4)")]
    [InlineData("TEE\u0000", "must not contain a control character (U+0000 at character 4)")]
    [InlineData("tab\there", "must not contain a control character (U+0009 at character 4)")]
    [InlineData("bell\u0007", "must not contain a control character (U+0007 at character 5)")]
    [InlineData("del\u007f", "must not contain a control character (U+007F at character 4)")]
    [InlineData("👶\u0000", "must not contain a control character (U+0000 at character 2)")]
    [InlineData("TEE\u202Egnp.exe", "must not contain a bidirectional control character (U+202E at character 4)")]
    [InlineData(" TEE", "must not start with whitespace (U+0020)")]
    [InlineData("TEE ", "must not end with whitespace (U+0020)")]
    [InlineData("\u3000连衣裙", "must not start with whitespace (U+3000)")]
    [InlineData("TEE\u00a0", "must not end with whitespace (U+00A0)")]
    [InlineData(" ", "must not start with whitespace (U+0020)")]
    public void ASkuIsRefusedWithAReasonThatSaysWhatIsWrongAndWhere(string sku, string reason)
        => Assert.Equal(reason, Sku.Problem(sku));

    [Fact]
    public void ASkuWithALoneSurrogateIsNotTextAndIsRefused()
    {
        // Built here: attribute arguments cannot carry a lone surrogate (it becomes U+FFFD).
        const char high = '\ud83d', low = '\ude00';
        Assert.Equal("must not contain a lone surrogate (U+D83D at character 1): it is not text", Sku.Problem(high.ToString()));
        Assert.Equal("must not contain a lone surrogate (U+DE00 at character 5): it is not text", Sku.Problem("TEE-" + low));
        Assert.False(Sku.IsValid(string.Concat(low, high)));
        Assert.Equal("must not contain a lone surrogate (U+D83D at character 5): it is not text", Sku.Problem(string.Concat("TEE-", high, "-M")));
    }

    [Fact]
    public void ASkuWithASurrogatePairIsTaken()
        => Assert.True(Sku.IsValid("TEE-\ud83d\ude00"));

    [Fact]
    public void ASkuPrefixMayEndWithWhitespaceButNeverStartWithIt()
    {
        Assert.Null(SkuPrefix.Problem("STROLLER "));
        Assert.Equal("must not start with whitespace (U+0020)", SkuPrefix.Problem(" STROLLER"));
        Assert.Equal("must not contain a line break (U+000A at character 9)", SkuPrefix.Problem("STROLLER\n"));
    }

    [Theory]
    [InlineData("US", true)]
    [InlineData("us", true)]
    [InlineData("us-west", true)]
    [InlineData("EU_1", true)]
    [InlineData("U S", false)]
    [InlineData("US\n", false)]
    [InlineData("", false)]
    public void AMarketIsACodeOfLettersDigitsUnderscoresAndDashesInEitherCase(string market, bool taken)
    {
        Assert.Equal(taken, Market.IsValid(market));
        Assert.False(Market.IsValid(new string('M', 33)));
    }

    [Theory]
    [InlineData("spring-drop", true)]
    [InlineData("room_1", true)]
    [InlineData("room.1", false)]
    [InlineData("room/1", false)]
    [InlineData("room-1\n", false)]
    public void ARoomIdIsSafeInAPageUrl(string roomId, bool taken)
        => Assert.Equal(taken, RoomId.IsValid(roomId));

    [Fact]
    public void CheckNamesTheFieldAndWhatIsWrongWithIt()
    {
        var refused = Assert.Throws<InvalidFieldException>(() => OrderId.Check("two words", "order_id"));
        var missing = Assert.Throws<InvalidFieldException>(() => EventId.Check("", "events[2].delta.event_id"));

        Assert.Equal(("order_id", "must be 1-128 printable characters, no spaces"), (refused.Field, refused.Problem));
        Assert.Equal("order_id: must be 1-128 printable characters, no spaces", refused.Message);
        Assert.Equal("events[2].delta.event_id: required", missing.Message);
        OrderId.Check("order-88123", "order_id");
    }
}
