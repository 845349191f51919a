using System.Diagnostics;
using Stockcast.Launch;

namespace Stockcast.RunLocal;

/// <summary>
/// Keeps every process running as Kubernetes keeps a pod running: when one ends, says which, shows its
/// last lines and starts it again after a crash-loop backoff, while the others keep running. Stops
/// them in the reverse order of their start.
/// </summary>
internal sealed class Supervisor(CancellationToken stop) : IDisposable
{
    private const int LinesShown = 15;
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);
    private readonly CancellationTokenSource _stopping = CancellationTokenSource.CreateLinkedTokenSource(stop);
    private readonly List<ILaunched> _started = [];
    private readonly List<Task> _keepers = [];

    /// <summary>Starts the process (ready when this returns), then keeps it running.</summary>
    public async Task StartAsync(ILaunched process)
    {
        await process.StartAsync(_stopping.Token);
        Console.WriteLine($"{process.Name} is up (pid {process.Pid}).");
        _started.Add(process);
        _keepers.Add(KeepRunningAsync(process));
    }

    /// <summary>No more restarts; then SIGTERM to each, newest first, each given a grace period to finish.</summary>
    public async Task StopAllAsync()
    {
        await _stopping.CancelAsync();
        foreach (var process in Enumerable.Reverse(_started))
        {
            await process.StopAsync(StopGrace);
        }
        await Task.WhenAll(_keepers);
    }

    public void Dispose() => _stopping.Dispose();

    private async Task KeepRunningAsync(ILaunched process)
    {
        var backoff = new CrashLoopBackoff();
        var upSince = Stopwatch.GetTimestamp();
        try
        {
            while (true)
            {
                var exit = await process.WaitForExitAsync(_stopping.Token);
                _stopping.Token.ThrowIfCancellationRequested();
                var uptime = Stopwatch.GetElapsedTime(upSince);
                Console.WriteLine($"""

                    {process.Name} {ChildProcess.DescribeExit(exit)} after {uptime:hh\:mm\:ss}; its last lines:
                    {Indented(process.RecentOutput)}
                    """);
                while (true)
                {
                    var delay = backoff.Next(uptime);
                    Console.WriteLine($"Restarting {process.Name} in {delay.TotalSeconds:0} s; the others keep running.");
                    await Task.Delay(delay, _stopping.Token);
                    try
                    {
                        await process.StartAsync(_stopping.Token);
                        Console.WriteLine($"{process.Name} is back (pid {process.Pid}).");
                        upSince = Stopwatch.GetTimestamp();
                        break;
                    }
                    catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
                    {
                        Console.WriteLine($"{process.Name} did not come back: {ex.Message}");
                        uptime = TimeSpan.Zero;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Stopping: StopAllAsync ends it.
        }
    }

    private static string Indented(string output)
        => string.Join(Environment.NewLine, output.Split(Environment.NewLine).TakeLast(LinesShown).Select(line => "  | " + line));
}
