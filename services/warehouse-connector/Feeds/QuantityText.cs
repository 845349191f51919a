using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Stockcast.Connector.Feeds;

/// <summary>
/// Reads a quantity as warehouses send it. Taken: a JSON integer; a JSON number with no fraction
/// (12.0); a string of one (ShipHero, CSV exports and some ERPs send "12"), trimmed of surrounding
/// spaces, with an optional sign and ".0". Refused, with the reason: a fraction (12.5), an empty
/// string, digit grouping ("1,200" is 1200 in one locale and 1.2 in another: ambiguous), units or
/// words ("12 pcs"), and anything beyond a 64-bit integer.
/// </summary>
public static partial class QuantityText
{
    /// <summary>The whole number, or the problem (the text a dead letter's reason gives after the field name).</summary>
    public static (long Value, string? Problem) Read(JsonElement value)
    {
        var raw = value.GetRawText();
        switch (value.ValueKind)
        {
            case JsonValueKind.Number:
                if (value.TryGetInt64(out var whole))
                {
                    return (whole, null);
                }
                if (!value.TryGetDecimal(out var number) || number > long.MaxValue || number < long.MinValue)
                {
                    return (0, $"'{raw}' is out of range");
                }
                return number == decimal.Truncate(number) ? ((long)number, null) : (0, $"'{raw}' is not a whole number");
            case JsonValueKind.String:
                var text = value.GetString()!.Trim();
                if (text.Length == 0)
                {
                    return (0, "is an empty string, not a number");
                }
                if (WholeNumber().Match(text) is { Success: true } match)
                {
                    return long.TryParse(match.Groups[1].ValueSpan, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed)
                        ? (parsed, null)
                        : (0, $"'{raw}' is out of range");
                }
                return Grouped().IsMatch(text)
                    ? (0, $"'{raw}' is ambiguous: ',' groups thousands in some locales and is the decimal mark in others")
                    : (0, $"'{raw}' is not a whole number");
            default:
                return (0, $"'{raw}' is not a whole number");
        }
    }

    [GeneratedRegex(@"\A([+-]?[0-9]+)(?:\.0+)?\z")]
    private static partial Regex WholeNumber();

    [GeneratedRegex(@"\A[+-]?[0-9][0-9.,]*,[0-9.,]*\z")]
    private static partial Regex Grouped();
}
