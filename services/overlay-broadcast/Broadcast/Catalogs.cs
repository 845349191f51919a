using System.Globalization;
using System.Text;
using System.Text.Json;
using Stockcast.ServiceDefaults.Identifiers;

namespace Stockcast.Overlay.Broadcast;

/// <summary>
/// The message catalogs (Pages/i18n/LANG.json, one plain file per language, embedded): what viewers
/// and hosts read. The overlay page formats its labels from the same files with the browser's
/// <c>Intl.NumberFormat</c> and <c>Intl.PluralRules</c>; the server formats labels for gRPC callers and
/// the host's cues here, with the same rules written out for our languages (the services run with
/// invariant globalization; a Chromium test holds the two to the same output). A message missing in a
/// language falls back to English, a plural form missing to "other": never to a key name.
/// </summary>
public sealed class Catalogs
{
    private readonly Dictionary<string, Catalog> _byLanguage;

    private Catalogs(Dictionary<string, Catalog> byLanguage, string json)
    {
        _byLanguage = byLanguage;
        Json = json;
    }

    /// <summary>The catalogs embedded in this assembly.</summary>
    public static Catalogs Embedded { get; } = Load();

    /// <summary>Every catalog as one JSON object by language, as the page embeds it.</summary>
    public string Json { get; }

    public IReadOnlyCollection<string> Languages => _byLanguage.Keys;

    /// <summary>The message keys of <paramref name="language"/>'s own file, and the plural forms each gives (empty for a plain message).</summary>
    public IReadOnlyDictionary<string, IReadOnlyCollection<string>> Keys(string language)
        => _byLanguage[language].Messages.ToDictionary(e => e.Key, e => (IReadOnlyCollection<string>)e.Value.Forms.Keys.Where(k => k.Length > 0).ToList());

    /// <summary>Whether a language's file is written right to left.</summary>
    public bool RightToLeft(string language) => Of(language).Direction == "rtl";

    /// <summary>
    /// The message <paramref name="key"/> in <paramref name="language"/> (any tag <see cref="ServiceDefaults.Identifiers.Languages"/>
    /// resolves; else English), with {n} as a number in that language, {name} and {market} (a market code, named in the language) filled in.
    /// </summary>
    public string Format(string language, string key, long n = 0, string name = "", string market = "")
    {
        var catalog = Of(language);
        var english = _byLanguage[ServiceDefaults.Identifiers.Languages.Default];
        var text = catalog.Messages.GetValueOrDefault(key)?.Text(Plural(catalog.Language, n))
            ?? english.Messages.GetValueOrDefault(key)?.Text(Plural(english.Language, n))
            ?? throw new ArgumentException($"no message '{key}' in any catalog", nameof(key));
        return text
            .Replace("{n}", Number(catalog.Language, n), StringComparison.Ordinal)
            .Replace("{name}", name, StringComparison.Ordinal)
            .Replace("{market}", catalog.Markets.GetValueOrDefault(market) ?? english.Markets.GetValueOrDefault(market) ?? market, StringComparison.Ordinal);
    }

    private Catalog Of(string language)
        => _byLanguage.GetValueOrDefault(ServiceDefaults.Identifiers.Languages.Resolve(language) ?? "") ?? _byLanguage[ServiceDefaults.Identifiers.Languages.Default];

    /// <summary>The CLDR plural category of a whole number in <paramref name="language"/> (a supported tag), as <c>Intl.PluralRules</c> gives it.</summary>
    public static string Plural(string language, long n) => language switch
    {
        "en" or "de" => n == 1 ? "one" : "other",
        "fr" or "pt-BR" => n is 0 or 1 ? "one" : Million(n) ? "many" : "other",
        "es" or "it" => n == 1 ? "one" : Million(n) ? "many" : "other",
        "ar" => n == 0 ? "zero" : n == 1 ? "one" : n == 2 ? "two" : (n % 100) switch { >= 3 and <= 10 => "few", >= 11 and <= 99 => "many", _ => "other" },
        _ => "other", // zh-Hans, zh-Hant, ja, ko, id, th, vi: one form
    };

    private static bool Million(long n) => n != 0 && n % 1_000_000 == 0;

    /// <summary>A whole number grouped as <c>Intl.NumberFormat</c> groups it in <paramref name="language"/> (Latin digits, as Chromium's "ar" does).</summary>
    public static string Number(string language, long n)
    {
        var (separator, minimumGrouping) = language switch
        {
            "de" or "id" or "vi" or "pt-BR" => (".", 1),
            "es" or "it" => (".", 2), // 1234 stays whole, 12.345 is grouped
            "fr" => ("\u202F", 1),
            _ => (",", 1),
        };
        var digits = Math.Abs(n).ToString(CultureInfo.InvariantCulture);
        var text = new StringBuilder(n < 0 ? "-" : "");
        if (digits.Length < 4 + minimumGrouping - 1)
        {
            return text.Append(digits).ToString();
        }
        for (var i = 0; i < digits.Length; i++)
        {
            if (i > 0 && (digits.Length - i) % 3 == 0)
            {
                text.Append(separator);
            }
            text.Append(digits[i]);
        }
        return text.ToString();
    }

    private static Catalogs Load()
    {
        var assembly = typeof(Catalogs).Assembly;
        const string prefix = "Stockcast.Overlay.Pages.i18n.";
        return From(assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal).Select(resource =>
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return reader.ReadToEnd();
        }));
    }

    /// <summary>Catalogs from the text of their files; English must be among them (it is every message's fallback).</summary>
    public static Catalogs From(IEnumerable<string> files)
    {
        var byLanguage = new Dictionary<string, Catalog>(StringComparer.Ordinal);
        var json = new StringBuilder("{");
        foreach (var text in files)
        {
            var catalog = Catalog.Parse(text);
            byLanguage.Add(catalog.Language, catalog);
            // The file's own text (Parse has just read it as JSON): the page gets exactly what the server reads.
            json.Append(byLanguage.Count > 1 ? "," : "").Append(JsonSerializer.Serialize(catalog.Language)).Append(':').Append(text.Trim());
        }
        if (!byLanguage.ContainsKey(ServiceDefaults.Identifiers.Languages.Default))
        {
            throw new InvalidOperationException("the English catalog (the fallback) is missing");
        }
        return new Catalogs(byLanguage, json.Append('}').ToString());
    }

    private sealed record Message(IReadOnlyDictionary<string, string> Forms)
    {
        /// <summary>The text for a plural category: its own form, else "other"; null when it has neither (English's is taken then).</summary>
        public string? Text(string category) => Forms.GetValueOrDefault(category) ?? Forms.GetValueOrDefault("other") ?? Forms.GetValueOrDefault("");
    }

    private sealed record Catalog(string Language, string Direction, Dictionary<string, Message> Messages, Dictionary<string, string> Markets)
    {
        public static Catalog Parse(string json)
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            var messages = root.GetProperty("messages").EnumerateObject().ToDictionary(
                m => m.Name,
                m => new Message(m.Value.ValueKind == JsonValueKind.String
                    ? new Dictionary<string, string> { [""] = m.Value.GetString()! }
                    : m.Value.EnumerateObject().ToDictionary(f => f.Name, f => f.Value.GetString()!)),
                StringComparer.Ordinal);
            var markets = root.GetProperty("markets").EnumerateObject().ToDictionary(m => m.Name, m => m.Value.GetString()!, StringComparer.Ordinal);
            return new Catalog(root.GetProperty("language").GetString()!, root.GetProperty("direction").GetString()!, messages, markets);
        }
    }
}
