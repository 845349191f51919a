using System.Diagnostics;

namespace Stockcast.Bench.Harness;

/// <summary>A short command-line tool run to completion (lscpu, getconf, dotnet --version, git, redis-benchmark).</summary>
public static class Tool
{
    /// <summary>Its stdout; throws when it fails or outlives <paramref name="timeout"/> (default 30 s).</summary>
    public static async Task<string> OutputAsync(string program, IEnumerable<string> arguments, TimeSpan? timeout = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory ?? "" };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        var output = process.StandardOutput.ReadToEndAsync(deadline.Token);
        var errors = process.StandardError.ReadToEndAsync(deadline.Token);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', start.ArgumentList)} did not finish within {(timeout ?? TimeSpan.FromSeconds(30)).TotalSeconds:0} s");
        }
        return process.ExitCode == 0
            ? await output
            : throw new InvalidOperationException($"{program} {string.Join(' ', start.ArgumentList)} failed ({process.ExitCode}): {await errors}");
    }

    /// <summary>The same, or <paramref name="fallback"/> when the tool is missing or fails (facts for the report's header).</summary>
    public static async Task<string> OutputOrAsync(string fallback, string program, params string[] arguments)
    {
        try
        {
            return (await OutputAsync(program, arguments)).Trim();
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
        {
            return fallback;
        }
    }
}
