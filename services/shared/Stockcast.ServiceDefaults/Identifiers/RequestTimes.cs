using Google.Protobuf.WellKnownTypes;
using Stockcast.ServiceDefaults.Errors;

namespace Stockcast.ServiceDefaults.Identifiers;

/// <summary>
/// A request's google.protobuf.Timestamp, checked before it is read: outside its own range (years
/// 1-9999, nanos 0-999,999,999) it has no date, and ToDateTimeOffset throws, which a caller would
/// see as UNKNOWN rather than the field it got wrong.
/// </summary>
public static class RequestTimes
{
    private const long EarliestSeconds = -62_135_596_800; // 0001-01-01T00:00:00Z
    private const long LatestSeconds = 253_402_300_799;   // 9999-12-31T23:59:59Z

    /// <summary>Why the time has no date, or null when it has one.</summary>
    public static string? Problem(Timestamp time)
        => time.Nanos is < 0 or > 999_999_999 || time.Seconds is < EarliestSeconds or > LatestSeconds ? "is not a valid timestamp" : null;

    /// <summary>The time's date; throws <see cref="InvalidFieldException"/> naming <paramref name="field"/> when it has none.</summary>
    public static DateTimeOffset Checked(Timestamp time, string field)
        => Problem(time) is { } problem ? throw new InvalidFieldException(field, problem) : time.ToDateTimeOffset();
}
