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

    [Fact]
    public void ASkuIsOneTo128PrintableCharacters()
    {
        Assert.True(Sku.IsValid("S"));
        Assert.True(Sku.IsValid(new string('S', MaxSkuLength)));
        Assert.True(Sku.IsValid("TEE/白-M#2"));
        Assert.False(Sku.IsValid(new string('S', MaxSkuLength + 1)));
        Assert.Equal("required", Sku.Problem(""));
        Assert.Equal("must be 1-128 printable characters, no spaces", Sku.Problem(new string('S', 129)));
    }

    [Theory]
    [InlineData("HAS SPACE")]
    [InlineData("tab\there")]
    [InlineData("TEE-1\n")]
    [InlineData("nbsp\u00a0inside")]
    [InlineData("bell\u0007")]
    [InlineData("del\u007f")]
    public void ASkuWithWhitespaceOrControlCharactersIsRefused(string sku)
        => Assert.False(Sku.IsValid(sku));

    [Fact]
    public void ASkuWithALoneSurrogateIsNotTextAndIsRefused()
    {
        // Built here: attribute arguments cannot carry a lone surrogate (it becomes U+FFFD).
        const char high = '\ud83d', low = '\ude00';
        Assert.False(Sku.IsValid(high.ToString()));
        Assert.False(Sku.IsValid("TEE-" + low));
        Assert.False(Sku.IsValid(string.Concat(low, high)));
        Assert.False(Sku.IsValid(string.Concat("TEE-", high, "-M")));
    }

    [Fact]
    public void ASkuWithASurrogatePairIsTaken()
        => Assert.True(Sku.IsValid("TEE-\ud83d\ude00"));

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
