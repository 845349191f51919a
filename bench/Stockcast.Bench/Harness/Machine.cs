using System.Globalization;
using System.Text.RegularExpressions;

namespace Stockcast.Bench.Harness;

/// <summary>What the report says about where it ran, read once at the start.</summary>
public sealed partial record Machine(string CpuModel, int Cores, string Memory, string Kernel, string LoadAverage, string DotnetVersion,
    string RedisVersion, int ClockTicksPerSecond, DateTimeOffset StartedAt, string Revision)
{
    public static async Task<Machine> ReadAsync(string repositoryRoot)
    {
        var lscpu = await Tool.OutputOrAsync("", "lscpu");
        var memoryKb = double.Parse(MemTotal().Match(await File.ReadAllTextAsync("/proc/meminfo")).Groups[1].Value, CultureInfo.InvariantCulture);
        var revision = await Tool.OutputOrAsync("unknown", "git", "-C", repositoryRoot, "rev-parse", "--short", "HEAD");
        if (await Tool.OutputOrAsync("", "git", "-C", repositoryRoot, "status", "--porcelain", "--", "services", "protos") is { Length: > 0 })
        {
            revision += " (+ uncommitted changes under services/ or protos/)";
        }
        return new Machine(
            ModelName().Match(lscpu).Groups[1].Value.Trim(),
            Environment.ProcessorCount,
            (memoryKb / 1048576).ToString("F1", CultureInfo.InvariantCulture) + " GiB",
            "Linux " + (await File.ReadAllTextAsync("/proc/sys/kernel/osrelease")).Trim(),
            LoadAverageNow(),
            await Tool.OutputOrAsync("unknown", "dotnet", "--version"),
            RedisVersionOf(await Tool.OutputOrAsync("", "redis-server", "--version")),
            int.Parse(await Tool.OutputOrAsync("100", "getconf", "CLK_TCK"), CultureInfo.InvariantCulture),
            DateTimeOffset.UtcNow,
            revision);
    }

    /// <summary>The 1, 5 and 15 minute load averages, as /proc/loadavg has them.</summary>
    public static string LoadAverageNow() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    /// <summary>The soft limit on open files this process (and so every process it starts) has.</summary>
    public static string OpenFilesLimit() => OpenFiles().Match(File.ReadAllText("/proc/self/limits")).Groups[1].Value;

    private static string RedisVersionOf(string version) => RedisV().Match(version) is { Success: true } m ? m.Groups[1].Value : "";

    [GeneratedRegex(@"^Model name:\s*(.+)$", RegexOptions.Multiline)]
    private static partial Regex ModelName();

    [GeneratedRegex(@"^MemTotal:\s*(\d+)", RegexOptions.Multiline)]
    private static partial Regex MemTotal();

    [GeneratedRegex(@"v=(\S+)")]
    private static partial Regex RedisV();

    [GeneratedRegex(@"^Max open files\s+(\S+)", RegexOptions.Multiline)]
    private static partial Regex OpenFiles();
}
