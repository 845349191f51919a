using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;
using Stockcast.Launch;
using Stockcast.Testing;

namespace Stockcast.EndToEnd.Tests;

/// <summary>
/// `make run` as a supervisor, run as a developer runs it (the RunLocal program, its own free ports
/// and run folder): when one service dies it says which, shows its last lines and starts it again
/// while the others keep running, as Kubernetes would; SIGTERM (Ctrl-C) stops everything.
/// </summary>
[Trait(Lane.Name, Lane.Slow)]
public sealed partial class MakeRunTests : IDisposable
{
    private static readonly TimeSpan StartDeadline = TimeSpan.FromMinutes(3);
    private readonly string _runFolder = Directory.CreateTempSubdirectory("stockcast-run-").FullName;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly ChildProcess _makeRun;

    public MakeRunTests()
    {
        var environment = new Dictionary<string, string> { ["STOCKCAST_RUN_DIR"] = _runFolder };
        foreach (var variable in new[]
        {
            "REDIS_PORT", "LEDGER_GRPC", "LEDGER_HTTP", "LEDGER_MANAGEMENT", "CONNECTOR_GRPC", "CONNECTOR_HTTP", "CONNECTOR_MANAGEMENT",
            "ALERTING_GRPC", "ALERTING_HTTP", "ALERTING_MANAGEMENT", "OVERLAY_GRPC", "OVERLAY_HTTP", "OVERLAY_MANAGEMENT", "SIM_HTTP",
        })
        {
            environment[variable] = FreePort.Next().ToString(CultureInfo.InvariantCulture);
        }
        _makeRun = new ChildProcess("make run", "dotnet", [BuildOutput.OfRunningProgram().AssemblyOf(BuiltProgram.RunLocal)],
            new ChildProcessOptions { Environment = environment, OwnSession = true, LinesKept = 400 });
        _makeRun.Line += _output.Enqueue;
    }

    public void Dispose()
    {
        // Whatever the test left running: SIGTERM stops the supervisor's children too.
        _makeRun.StopAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
        _makeRun.Dispose();
        Directory.Delete(_runFolder, recursive: true);
    }

    [Fact]
    public async Task AServiceThatDiesIsNamedWithItsLastLinesAndStartedAgainWhileTheOthersKeepRunning()
    {
        _makeRun.Start();
        await Eventually.TrueAsync(() => Said("Stockcast is running locally."), "make run has started everything", StartDeadline);
        var started = Started();
        Assert.Equal(["redis", "stock-ledger", "warehouse-sim", "warehouse-connector", "alerting", "overlay-broadcast", "sample-data"], started.Keys);

        var overlay = started["overlay-broadcast"];
        System.Diagnostics.Process.GetProcessById(overlay).Kill();

        await Eventually.TrueAsync(() => Said("overlay-broadcast killed by SIGKILL after"), "make run has said which service died");
        var said = _output.ToArray();
        var died = Array.FindIndex(said, line => line.Contains("overlay-broadcast killed by SIGKILL after", StringComparison.Ordinal));
        Assert.EndsWith("its last lines:", said[died], StringComparison.Ordinal);
        Assert.StartsWith("  | ", said[died + 1], StringComparison.Ordinal);
        await Eventually.TrueAsync(() => Back("overlay-broadcast") is { } pid && pid != overlay, "the overlay has been started again", TimeSpan.FromMinutes(1));
        Assert.Contains(_output, line => line == "Restarting overlay-broadcast in 1 s; the others keep running.");
        foreach (var (name, pid) in started.Where(s => s.Key != "overlay-broadcast"))
        {
            Assert.True(WholeSystem.Alive(pid), $"{name} (pid {pid}) kept running");
        }

        await _makeRun.StopAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(0, await _makeRun.WaitForExitAsync());
        Assert.Contains("Stopped.", _output);
        foreach (var (name, pid) in started.Append(new("overlay-broadcast", Back("overlay-broadcast")!.Value)))
        {
            Assert.False(WholeSystem.Alive(pid), $"{name} (pid {pid}) was stopped with make run");
        }
    }

    private bool Said(string text) => _output.Any(line => line.Contains(text, StringComparison.Ordinal));

    /// <summary>Each process's pid as the supervisor announced it, in the order it started them.</summary>
    private Dictionary<string, int> Started()
    {
        var started = new Dictionary<string, int>();
        foreach (var match in _output.Select(line => UpLine().Match(line)).Where(m => m.Success))
        {
            started.TryAdd(match.Groups[1].Value, int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture));
        }
        return started;
    }

    private int? Back(string name)
        => _output.Select(line => BackLine().Match(line)).LastOrDefault(m => m.Success && m.Groups[1].Value == name) is { } match
            ? int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture) : null;

    [GeneratedRegex(@"^(\S+) is up \(pid (\d+)\)\.$")]
    private static partial Regex UpLine();

    [GeneratedRegex(@"^(\S+) is back \(pid (\d+)\)\.$")]
    private static partial Regex BackLine();
}
