using Stockcast.ServiceDefaults.Errors;

namespace Stockcast.ServiceDefaults.Identifiers;

/// <summary>
/// The languages viewers and hosts are spoken to in: one per market we sell into. Rooms, featured
/// names and catalog names use these tags; what callers send ("zh", "zh-TW", "pt", "DE-de") is
/// resolved to one of them, so every service stores the same tag for the same language.
/// </summary>
public static class Languages
{
    public const string Default = "en";

    public static readonly IReadOnlyList<string> Supported =
        ["en", "zh-Hans", "zh-Hant", "ja", "ko", "de", "fr", "es", "it", "pt-BR", "id", "th", "vi", "ar"];

    // Chinese script follows the region when no script is given; Portuguese is Brazil's (our market).
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["zh"] = "zh-Hans", ["zh-CN"] = "zh-Hans", ["zh-SG"] = "zh-Hans", ["zh-MY"] = "zh-Hans",
        ["zh-TW"] = "zh-Hant", ["zh-HK"] = "zh-Hant", ["zh-MO"] = "zh-Hant",
        ["pt"] = "pt-BR", ["in"] = "id",
    };

    private static readonly Dictionary<string, string> ByMarket = new(StringComparer.OrdinalIgnoreCase)
    {
        ["DE"] = "de", ["AT"] = "de", ["CH"] = "de",
        ["FR"] = "fr", ["BE"] = "fr",
        ["ES"] = "es", ["MX"] = "es", ["AR"] = "es", ["CO"] = "es", ["CL"] = "es", ["PE"] = "es",
        ["IT"] = "it", ["BR"] = "pt-BR", ["PT"] = "pt-BR",
        ["CN"] = "zh-Hans", ["TW"] = "zh-Hant", ["HK"] = "zh-Hant", ["MO"] = "zh-Hant",
        ["JP"] = "ja", ["KR"] = "ko", ["ID"] = "id", ["TH"] = "th", ["VN"] = "vi",
        ["SA"] = "ar", ["AE"] = "ar", ["EG"] = "ar", ["QA"] = "ar", ["KW"] = "ar", ["BH"] = "ar", ["OM"] = "ar", ["JO"] = "ar",
    };

    /// <summary>The supported tag <paramref name="tag"/> names (exactly, by alias, or by its base language), or null.</summary>
    public static string? Resolve(string tag)
    {
        if (tag.Length is 0 or > 35)
        {
            return null;
        }
        if (Supported.FirstOrDefault(s => string.Equals(s, tag, StringComparison.OrdinalIgnoreCase)) is { } exact)
        {
            return exact;
        }
        if (Aliases.TryGetValue(tag, out var alias))
        {
            return alias;
        }
        // "de-AT" is German; "zh-Hant-TW" is Traditional Chinese.
        var dash = tag.LastIndexOf('-');
        return dash > 0 ? Resolve(tag[..dash]) : null;
    }

    /// <summary>What viewers in <paramref name="market"/> read: its own language, else English.</summary>
    public static string ForMarket(string market) => ByMarket.GetValueOrDefault(market, Default);

    /// <summary>The stored tag for a requested language: empty stays empty (the caller's default applies).</summary>
    public static string Checked(string tag, string field)
        => tag.Length == 0 ? "" : Resolve(tag) ?? throw new InvalidFieldException(field, $"'{tag}' is not a supported language: one of {string.Join(", ", Supported)}");

    /// <summary>
    /// Display names per language, as rooms and the catalog carry them: keys resolved to the supported tags
    /// (two keys naming one language are refused), names 1-200 characters of seller text.
    /// </summary>
    public static Dictionary<string, string> CheckedNames(IEnumerable<KeyValuePair<string, string>> names, string field)
    {
        var resolved = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (tag, name) in names)
        {
            // The field is the map's, the key only in the reason: a key is the caller's text, not a path.
            var language = Resolve(tag) ?? throw new InvalidFieldException(field, $"a key is not a supported language: one of {string.Join(", ", Supported)}");
            if ((name.Length == 0 ? "required" : SellerText.Problem(name, 200, trailingWhitespace: false)) is { } problem)
            {
                throw new InvalidFieldException(field, $"the {language} name {problem}");
            }
            if (!resolved.TryAdd(language, name))
            {
                throw new InvalidFieldException(field, $"two keys name {language}");
            }
        }
        return resolved;
    }

    /// <summary>A product picture: empty, or an absolute https URL of at most 2,000 characters (viewers' browsers load it).</summary>
    public static void CheckImageUrl(string url, string field)
    {
        if (url.Length > 0 && (url.Length > 2000 || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps || uri.UserInfo.Length > 0))
        {
            throw new InvalidFieldException(field, "an absolute https URL without credentials, at most 2000 characters");
        }
    }
}
