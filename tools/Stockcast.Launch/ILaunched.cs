namespace Stockcast.Launch;

/// <summary>A process the launcher starts, and can start again after it ended: what a supervisor needs.</summary>
public interface ILaunched
{
    string Name { get; }

    /// <summary>The running process's id (0 before its first start).</summary>
    int Pid { get; }

    /// <summary>The last lines the process wrote (for failure messages).</summary>
    string RecentOutput { get; }

    /// <summary>Starts the process; returns once it is ready to serve.</summary>
    Task StartAsync(CancellationToken cancel = default);

    /// <summary>Waits until the running process ends, and returns its exit code (128 + signal when a signal ended it).</summary>
    Task<int> WaitForExitAsync(CancellationToken cancel = default);

    /// <summary>SIGTERM, then SIGKILL when it has not ended within <paramref name="grace"/>.</summary>
    Task StopAsync(TimeSpan grace);
}
