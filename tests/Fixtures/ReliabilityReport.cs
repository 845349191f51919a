using Stockcast.Launch;

namespace Stockcast.Testing;

/// <summary>
/// docs/reliability.md is written by the tests that measure it: each test class owns one section,
/// between "&lt;!-- name:begin --&gt;" and "&lt;!-- name:end --&gt;", and replaces only that section,
/// so the document always shows what the last run measured and nothing is kept by hand.
/// </summary>
public static class ReliabilityReport
{
    public static string Path => System.IO.Path.Combine(BuildOutput.OfRunningProgram().RepositoryRoot, "docs", "reliability.md");

    /// <summary>Replaces the section <paramref name="name"/> (appended at the end when the document has none yet).</summary>
    public static void WriteSection(string name, string markdown)
    {
        var begin = $"<!-- {name}:begin -->";
        var end = $"<!-- {name}:end -->";
        var block = $"{begin}\n{markdown.TrimEnd()}\n{end}";
        // Test projects run as parallel processes: the document is held exclusively while its section is replaced.
        using var file = OpenExclusive();
        var text = new StreamReader(file, leaveOpen: true).ReadToEnd();
        if (text.Length == 0)
        {
            text = "# Reliability\n";
        }
        var from = text.IndexOf(begin, StringComparison.Ordinal);
        var to = text.IndexOf(end, StringComparison.Ordinal);
        text = from >= 0 && to > from
            ? string.Concat(text.AsSpan(0, from), block, text.AsSpan(to + end.Length))
            : text.TrimEnd() + "\n\n" + block + "\n";
        file.SetLength(0);
        using var writer = new StreamWriter(file);
        writer.Write(text);
    }

    private static FileStream OpenExclusive()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                return new FileStream(Path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50); // another test process holds it for a moment
            }
        }
    }
}
