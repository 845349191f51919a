using System.Globalization;
using System.Text.RegularExpressions;

namespace Stockcast.Bench.Report;

/// <summary>
/// The run's results (the scenarios' key=value lines, keys prefixed with the scenario) and the
/// report's ways of showing them: a missing figure is "n/a", never a zero.
/// </summary>
public sealed partial class Figures(IReadOnlyDictionary<string, string> results)
{
    public const string Missing = "n/a";

    /// <summary>Reads the results file the scenarios appended to; a later line wins over an earlier one.</summary>
    public static Figures Read(string path)
    {
        var results = new Dictionary<string, string>(StringComparer.Ordinal);
        if (File.Exists(path))
        {
            foreach (var line in File.ReadLines(path))
            {
                var equals = line.IndexOf('=', StringComparison.Ordinal);
                if (equals > 0)
                {
                    results[line[..equals]] = line[(equals + 1)..];
                }
            }
        }
        return new Figures(results);
    }

    /// <summary>A figure, or "n/a".</summary>
    public string this[string key] => results.GetValueOrDefault(key, Missing);

    /// <summary>Whether the run produced the figure: rows of scenarios that did not run are left out.</summary>
    public bool Seen(string key) => results.ContainsKey(key);

    public static bool IsNumber(string value) => Number().IsMatch(value);

    /// <summary>ours / ceiling as "0.123x", or n/a.</summary>
    public static string Ratio(string? ours, string? ceiling)
        => Share(ours, ceiling) is var share && share != Missing ? share + "x" : Missing;

    /// <summary>ours / of as a plain number (for a goal on the share), or n/a.</summary>
    public static string Share(string? ours, string? of)
        => ours is not null && of is not null && IsNumber(ours) && IsNumber(of) && Parse(of) > 0
            ? (Parse(ours) / Parse(of)).ToString("F3", CultureInfo.InvariantCulture)
            : Missing;

    public static string AtLeast(string value, double goal) => !IsNumber(value) ? "FAIL (no result)" : Parse(value) >= goal ? "PASS" : "**FAIL**";

    public static string AtMost(string value, double goal) => !IsNumber(value) ? "FAIL (no result)" : Parse(value) <= goal ? "PASS" : "**FAIL**";

    /// <summary>An informational verdict for rows that are not goals.</summary>
    public static string Within(string value, double limit, string unit)
        => !IsNumber(value) ? Missing : Parse(value) <= limit ? $"within {Format(limit)} {unit}" : $"**over {Format(limit)} {unit}**";

    /// <summary>Microseconds of CPU per unit: cores busy / units per second.</summary>
    public static string PerUnitMicros(string cores, string unitsPerSecond)
        => IsNumber(cores) && IsNumber(unitsPerSecond) && Parse(unitsPerSecond) != 0
            ? (Parse(cores) * 1_000_000 / Parse(unitsPerSecond)).ToString("F1", CultureInfo.InvariantCulture)
            : Missing;

    /// <summary>Whether anything else competed for the cores during these scenarios (their "others" CPU figures).</summary>
    public string BusyNote(IEnumerable<string> scenarios)
    {
        var worst = scenarios.Select(s => this[s + "_cpu_others"]).Where(IsNumber).MaxBy(Parse) ?? "0";
        return Parse(worst) > 0.15
            ? $"**up to {worst} cores were used by other work on this machine during the run, so these figures understate what an idle machine gives; run again on a quiet machine.**"
            : $"at most {worst} cores, i.e. the machine was otherwise quiet.";
    }

    public static double Parse(string value) => double.Parse(value, CultureInfo.InvariantCulture);

    public static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^-?[0-9]+(\.[0-9]+)?$")]
    private static partial Regex Number();
}
