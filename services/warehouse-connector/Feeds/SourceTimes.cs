using System.Globalization;
using System.Text.RegularExpressions;
using Stockcast.LedgerClient;

namespace Stockcast.Connector.Feeds;

/// <summary>
/// Settles a record's source time. A usable one is ISO 8601 with a date, a time and an offset
/// ("2026-11-25T10:00:00Z", "…+08:00"); without an offset the moment is unknown. A missing, empty,
/// unparseable or pre-2000 time (an unset clock) is replaced by the record's fallback time (a polled
/// API's Date header, else the receipt) and marked estimated. A time further ahead of the receipt
/// than the allowed clock skew is clamped to the receipt and marked too: a warehouse clock running
/// ahead must not make its figure outrank the next real one.
/// </summary>
public static partial class SourceTimes
{
    public static (DateTimeOffset At, SourceTimeKind Kind) Settle(string? text, SourceRecord record, int maxClockSkewSeconds)
    {
        if (!TryParse(text, out var at) || at < StockEventRules.EarliestSourceTime)
        {
            return (record.FallbackTime, SourceTimeKind.Estimated);
        }
        return at > record.ReceivedAt.AddSeconds(maxClockSkewSeconds) ? (record.ReceivedAt, SourceTimeKind.Clamped) : (at, SourceTimeKind.Given);
    }

    private static bool TryParse(string? text, out DateTimeOffset at)
    {
        at = default;
        text = text?.Trim();
        return text is { Length: > 0 } && Iso8601WithOffset().IsMatch(text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out at);
    }

    [GeneratedRegex(@"\A\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|z|[+-]\d{2}:?\d{2})\z")]
    private static partial Regex Iso8601WithOffset();
}
