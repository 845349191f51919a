using System.Collections.Concurrent;
using System.Diagnostics;

namespace Stockcast.Launch;

/// <summary>How a <see cref="ChildProcess"/> runs.</summary>
public sealed record ChildProcessOptions
{
    /// <summary>Where it runs; null: this process's current directory.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Added to (or replacing in) the environment this process has.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Everything the process writes goes here too: created at the first start, appended to after.</summary>
    public string? LogFile { get; init; }

    public int LinesKept { get; init; } = 40;

    /// <summary>
    /// In a session of its own (setsid), so a Ctrl-C at the terminal reaches only the program that
    /// started it, which then stops its processes in its own order.
    /// </summary>
    public bool OwnSession { get; init; }
}

/// <summary>
/// One program run as a child process that can be started again once it ended: its output (stdout
/// and stderr) kept, the last lines for failure messages, all of it in a log file when asked;
/// stopped with SIGKILL, or gracefully (SIGTERM, then SIGKILL after a grace period).
/// </summary>
public sealed class ChildProcess(string name, string program, IReadOnlyList<string> arguments, ChildProcessOptions? options = null) : ILaunched, IDisposable
{
    private readonly ChildProcessOptions _options = options ?? new ChildProcessOptions();
    private readonly ConcurrentQueue<string> _recent = new();
    private readonly Lock _logLock = new();
    private StreamWriter? _log;
    private Process? _process;

    public string Name => name;

    /// <summary>How many times the process has been started.</summary>
    public int Starts { get; private set; }

    /// <summary>The running (or last) process's id; 0 before the first start.</summary>
    public int Pid { get; private set; }

    public bool IsRunning => _process is { HasExited: false };

    public string RecentOutput => string.Join(Environment.NewLine, _recent);

    /// <summary>Each line the process writes, as it comes (on a thread-pool thread).</summary>
    public event Action<string>? Line;

    /// <summary>"exit code 1", or "killed by SIGKILL" for the 128 + signal codes a signal leaves.</summary>
    public static string DescribeExit(int code) => code switch
    {
        137 => "killed by SIGKILL",
        143 => "ended by SIGTERM",
        > 128 and < 160 => $"ended by signal {code - 128}",
        _ => $"exit code {code}",
    };

    public void Start()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException($"{name} is already running");
        }
        var start = new ProcessStartInfo(_options.OwnSession ? "setsid" : program)
        {
            UseShellExecute = false,
            // Not the terminal's stdin: a child must neither read it nor change its modes.
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _options.WorkingDirectory ?? "",
        };
        if (_options.OwnSession)
        {
            start.ArgumentList.Add(program);
        }
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in _options.Environment)
        {
            start.Environment[key] = value;
        }
        OpenLog();
        _process?.Dispose();
        var process = _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {name} ({program})");
        Starts++;
        Pid = process.Id;
        process.StandardInput.Close();
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Task StartAsync(CancellationToken cancel = default)
    {
        Start();
        return Task.CompletedTask;
    }

    public async Task<int> WaitForExitAsync(CancellationToken cancel = default)
    {
        var process = _process ?? throw new InvalidOperationException($"{name} was never started");
        await process.WaitForExitAsync(cancel);
        return process.ExitCode;
    }

    /// <summary>SIGKILL: the process ends wherever it is, mid-read or mid-write, with no clean-up.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }

    public async Task StopAsync(TimeSpan grace)
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }
        Signals.Terminate(process.Id);
        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
        }
    }

    /// <summary>Kills the process if it runs; safe to call more than once.</summary>
    public void Dispose()
    {
        Kill();
        _process?.Dispose();
        _process = null;
        lock (_logLock)
        {
            _log?.Dispose();
            _log = null;
        }
    }

    private void OpenLog()
    {
        if (_options.LogFile is not { } path)
        {
            return;
        }
        lock (_logLock)
        {
            _log ??= new StreamWriter(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
            if (Starts > 0)
            {
                _log.WriteLine($"--- {name} started again ({DateTimeOffset.UtcNow:u}) ---");
            }
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }
        _recent.Enqueue(line);
        while (_recent.Count > _options.LinesKept && _recent.TryDequeue(out _))
        {
        }
        lock (_logLock)
        {
            _log?.WriteLine(line);
        }
        Line?.Invoke(line);
    }
}
