using Google.Protobuf.WellKnownTypes;
using Stockcast.ServiceDefaults.Errors;

namespace Stockcast.ServiceDefaults.Identifiers;

/// <summary>
/// A request's google.protobuf.Timestamp or Duration, checked before it is read: outside its own range
/// (years 1-9999; ±10,000 years, nanos of one sign) it has no value, and ToDateTimeOffset / ToTimeSpan
/// throw, which a caller would see as UNKNOWN rather than the field it got wrong.
/// </summary>
public static class RequestTimes
{
    private const long EarliestSeconds = -62_135_596_800; // 0001-01-01T00:00:00Z
    private const long LatestSeconds = 253_402_300_799;   // 9999-12-31T23:59:59Z

    private const long DurationSeconds = 315_576_000_000;

    /// <summary>Why the time has no date, or null when it has one.</summary>
    public static string? Problem(Timestamp time)
        => time.Nanos is < 0 or > 999_999_999 || time.Seconds is < EarliestSeconds or > LatestSeconds ? "is not a valid timestamp" : null;

    /// <summary>The time's date; throws <see cref="InvalidFieldException"/> naming <paramref name="field"/> when it has none.</summary>
    public static DateTimeOffset Checked(Timestamp time, string field)
        => Problem(time) is { } problem ? throw new InvalidFieldException(field, problem) : time.ToDateTimeOffset();

    /// <summary>The duration's length; throws <see cref="InvalidFieldException"/> naming <paramref name="field"/> when it has none.</summary>
    public static TimeSpan Checked(Duration duration, string field)
        => duration.Seconds is < -DurationSeconds or > DurationSeconds || duration.Nanos is < -999_999_999 or > 999_999_999
            || (duration.Seconds < 0 && duration.Nanos > 0) || (duration.Seconds > 0 && duration.Nanos < 0)
            ? throw new InvalidFieldException(field, "is not a valid duration")
            : duration.ToTimeSpan();
}
