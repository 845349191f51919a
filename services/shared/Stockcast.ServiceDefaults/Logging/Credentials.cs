using System.Buffers;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Stockcast.ServiceDefaults.Logging;

/// <summary>
/// The credentials log text can carry, and their masking: a query parameter that holds one
/// (<c>?token=…</c> from an old overlay link) becomes <c>token=***</c>, a bearer token
/// (<c>Authorization: Bearer …</c>) becomes <c>Bearer ***</c>.
/// </summary>
public static class Credentials
{
    public const string Mask = "***";

    /// <summary>
    /// Query parameters (any case) whose value is a credential: viewer and board tokens, keys,
    /// signatures, secrets. Small and explicit on purpose; a name is masked only as a whole word
    /// (<c>token=</c>, not <c>nextToken=</c>).
    /// </summary>
    public static readonly IReadOnlyList<string> QueryParameters = ["token", "access_token", "key", "sig", "signature", "secret"];

    // Text holding none of these (in any case) cannot match the pattern below: the common case
    // is this one vectorised scan, no regex, no allocation. Names without "=", so a credential
    // split between a message template and its values ("{Name}={Value}") is still looked at.
    private static readonly SearchValues<string> Hints = SearchValues.Create([.. QueryParameters, "bearer"], StringComparison.OrdinalIgnoreCase);

    private static readonly Regex Pattern = new(
        $$"""(?<![\w-])(?<name>{{string.Join('|', QueryParameters.Select(Regex.Escape))}})=[^&#\s"'<>()\[\]{},;]+|\b(?<scheme>bearer)\s+[^\s"',;]+""",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled);

    private static readonly MatchEvaluator Masked = m => m.Groups["name"].Success ? $"{m.Groups["name"].Value}={Mask}" : $"{m.Groups["scheme"].Value} {Mask}";

    /// <summary>False when the text surely holds no credential; true when it may (then <see cref="Redact"/> decides).</summary>
    public static bool MayHold(ReadOnlySpan<char> text) => text.ContainsAny(Hints);

    /// <summary>False when the value's text surely holds no credential; formats into a stack buffer where it can, so numbers, dates and ids cost no allocation.</summary>
    public static bool MayHold(object? value)
    {
        switch (value)
        {
            case null:
                return false;
            case string text:
                return MayHold(text.AsSpan());
            case ISpanFormattable formattable:
                Span<char> buffer = stackalloc char[256];
                return formattable.TryFormat(buffer, out var written, default, CultureInfo.InvariantCulture)
                    ? MayHold(buffer[..written])
                    : MayHold(value.ToString());
            default:
                return MayHold(value.ToString());
        }
    }

    /// <summary>The text with every credential masked; the same instance when there is none.</summary>
    public static string Redact(string text) => MayHold(text.AsSpan()) ? Pattern.Replace(text, Masked) : text;
}
