using System.Collections.Concurrent;
using System.Text;
using Xunit;

namespace Stockcast.Testing.BadInput;

/// <summary>
/// What a run of generated bad inputs came to, per row (a gRPC method, an HTTP path): how many were
/// tried, accepted, and refused with which status; and every broken rule, reported together at the end.
/// </summary>
public sealed class Tally
{
    public const string Accepted = "accepted";

    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, int>> _rows = new();
    private readonly ConcurrentQueue<string> _violations = new();

    public int Inputs => _rows.Values.Sum(r => r.Values.Sum());

    public void Count(string row, string outcome) => _rows.GetOrAdd(row, _ => new()).AddOrUpdate(outcome, 1, (_, n) => n + 1);

    public void Violation(string problem) => _violations.Enqueue(problem);

    /// <summary>Fails with every broken rule (the first few in full), if there was any.</summary>
    public void AssertNoViolations()
    {
        if (!_violations.IsEmpty)
        {
            Assert.Fail($"{_violations.Count} of {Inputs} bad inputs broke a rule:\n" + string.Join("\n", _violations.Take(25).Select(v => v.Length > 600 ? v[..600] + "…" : v)));
        }
    }

    /// <summary>Whether an outcome is a kind of acceptance ("accepted", "accepted, bad record dead-lettered").</summary>
    private static bool IsAccepted(string outcome) => outcome.StartsWith(Accepted, StringComparison.Ordinal);

    private static int AcceptedIn(ConcurrentDictionary<string, int> outcomes) => outcomes.Where(o => IsAccepted(o.Key)).Sum(o => o.Value);

    /// <summary>A markdown table of the counts, for docs/reliability.md.</summary>
    public string Markdown(string title, string about)
    {
        var text = new StringBuilder($"### Bad input: {title}\n\n{about}\n\n| Input | Tried | Accepted | Refused (status: count) |\n|---|---:|---:|---|\n");
        foreach (var (row, outcomes) in _rows.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            var refused = outcomes.Where(o => !IsAccepted(o.Key)).OrderByDescending(o => o.Value).Select(o => $"{o.Key}: {o.Value}");
            var kinds = outcomes.Where(o => IsAccepted(o.Key) && o.Key != Accepted).Select(o => $"{o.Key[Accepted.Length..].TrimStart(',', ' ')}: {o.Value}").ToList();
            text.Append($"| {row} | {outcomes.Values.Sum()} | {AcceptedIn(outcomes)}{(kinds.Count > 0 ? $" ({string.Join(", ", kinds)})" : "")} | {string.Join(", ", refused)} |\n");
        }
        var accepted = _rows.Values.Sum(AcceptedIn);
        text.Append($"| **all** | **{Inputs}** | **{accepted}** | **{Inputs - accepted}** |\n\n");
        text.Append($"Rules broken: {_violations.Count} (no 5xx or UNKNOWN/INTERNAL/UNAVAILABLE, the field named, nothing applied, a good request answered afterwards).\n");
        return text.ToString();
    }
}
