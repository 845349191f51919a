using Google.Protobuf.WellKnownTypes;
using Stockcast.ServiceDefaults.Errors;
using Stockcast.ServiceDefaults.Identifiers;

namespace Stockcast.ServiceDefaults.Tests;

/// <summary>
/// A timestamp or duration beyond its own range reached room, stream and rule validation unchecked and
/// answered UNKNOWN (found by the overlay's and alerting's generated bad requests): it is refused naming the field instead.
/// </summary>
public sealed class RequestTimesTests
{
    [Theory]
    [InlineData(253_402_300_800, 0)]
    [InlineData(-62_135_596_801, 0)]
    [InlineData(1, -1)]
    [InlineData(1, 1_000_000_000)]
    public void ATimestampWithNoDateIsRefusedNamingTheField(long seconds, int nanos)
    {
        var refused = Assert.Throws<InvalidFieldException>(() => RequestTimes.Checked(new Timestamp { Seconds = seconds, Nanos = nanos }, "ends_at"));

        Assert.Equal(("ends_at", "is not a valid timestamp"), (refused.Field, refused.Problem));
    }

    [Fact]
    public void ATimestampAtTheEdgeOfItsRangeIsRead()
        => Assert.Equal(new DateTimeOffset(9999, 12, 31, 23, 59, 59, TimeSpan.Zero), RequestTimes.Checked(new Timestamp { Seconds = 253_402_300_799 }, "ends_at"));

    [Theory]
    [InlineData(315_576_000_001, 0)]
    [InlineData(0, 2_147_483_647)]
    [InlineData(-1, 5)]
    public void ADurationWithNoLengthIsRefusedNamingTheField(long seconds, int nanos)
    {
        var refused = Assert.Throws<InvalidFieldException>(() => RequestTimes.Checked(new Duration { Seconds = seconds, Nanos = nanos }, "cool_down"));

        Assert.Equal(("cool_down", "is not a valid duration"), (refused.Field, refused.Problem));
    }
}
