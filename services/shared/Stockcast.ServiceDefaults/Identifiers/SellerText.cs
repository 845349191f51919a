using System.Buffers;
using System.Globalization;
using System.Text;

namespace Stockcast.ServiceDefaults.Identifiers;

/// <summary>
/// Text a seller's own systems write, which Stockcast keeps as it is (SKUs): any printable Unicode.
/// Refused is what would break a log line, a change-log entry (tab and newline separated) or what a
/// screen shows: line breaks and other control characters, bidirectional controls (they reorder the
/// text around them), lone surrogates (not text: UTF-8 cannot carry them, so Redis would store
/// another value), and whitespace at either end (invisible, so two codes that look alike would differ).
/// </summary>
internal static class SellerText
{
    /// <summary>Why <paramref name="value"/> (not empty) is refused, or null. Lengths and positions count Unicode scalar values, from 1.</summary>
    /// <param name="trailingWhitespace">Whether it may end with whitespace (a prefix of a SKU may).</param>
    public static string? Problem(string value, int maxLength, bool trailingWhitespace)
    {
        var characters = 0;
        Rune first = default, last = default;
        for (var rest = value.AsSpan(); !rest.IsEmpty; characters++)
        {
            if (Rune.DecodeFromUtf16(rest, out var rune, out var used) != OperationStatus.Done)
            {
                return $"must not contain a lone surrogate (U+{(int)rest[0]:X4} at character {characters + 1}): it is not text";
            }
            if (Refused(rune) is { } what)
            {
                return $"must not contain {what} (U+{rune.Value:X4} at character {characters + 1})";
            }
            first = characters == 0 ? rune : first;
            last = rune;
            rest = rest[used..];
        }
        if (characters > maxLength)
        {
            return $"must be at most {maxLength} characters (got {characters})";
        }
        if (Rune.IsWhiteSpace(first))
        {
            return $"must not start with whitespace (U+{first.Value:X4})";
        }
        return !trailingWhitespace && Rune.IsWhiteSpace(last) ? $"must not end with whitespace (U+{last.Value:X4})" : null;
    }

    private static string? Refused(Rune rune) => rune.Value switch
    {
        '\n' or '\v' or '\f' or '\r' or 0x85 or 0x2028 or 0x2029 => "a line break",
        (>= 0x202A and <= 0x202E) or (>= 0x2066 and <= 0x2069) => "a bidirectional control character",
        _ when Rune.GetUnicodeCategory(rune) == UnicodeCategory.Control => "a control character",
        _ => null,
    };
}
