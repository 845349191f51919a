using Stockcast.Launch;
using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using Stockcast.Testing;

namespace Stockcast.LedgerClient.Tests;

/// <summary>
/// The probe (tests/LedgerClient.Probe) as a process in a private mount namespace whose /etc/hosts
/// maps one name to several loopback addresses. .NET resolves names through getaddrinfo, so this is
/// how several replicas behind one dns:/// name (a headless Service in Kubernetes) look on one machine,
/// without touching the machine's own /etc/hosts.
/// </summary>
internal sealed class ProbeProcess : IDisposable
{
    /// <summary>A .NET program starts in a second or two, but far slower on a machine loaded by other work.</summary>
    private static readonly TimeSpan ReadyDeadline = TimeSpan.FromSeconds(90);
    private readonly string _hostsFile = Path.Combine(Path.GetTempPath(), "stockcast-hosts-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentQueue<string> _output = new();
    private readonly Process _process;

    /// <param name="name">The name every one of <paramref name="addresses"/> answers to.</param>
    /// <param name="args">The probe's arguments: ledger address, API key, Watch streams, unary calls.</param>
    public ProbeProcess(string name, IEnumerable<string> addresses, params string[] args)
    {
        File.WriteAllLines(_hostsFile, ["127.0.0.1 localhost", .. addresses.Select(address => $"{address} {name}")]);
        var start = new ProcessStartInfo("unshare") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        // sh's $0 is the hosts file; "$@" is dotnet's command line.
        string[] command = ["-m", "sh", "-c", "mount --bind \"$0\" /etc/hosts && exec dotnet \"$@\"", _hostsFile, Binary, .. args];
        foreach (var arg in command)
        {
            start.ArgumentList.Add(arg);
        }
        try
        {
            _process = Process.Start(start) ?? throw new InvalidOperationException("the probe did not start");
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException("unshare (util-linux) is needed to give the probe its own /etc/hosts: " + ex.Message, ex);
        }
        _process.EnableRaisingEvents = true;
        _process.OutputDataReceived += (_, e) => Keep(e.Data, ready: e.Data == "ready");
        _process.ErrorDataReceived += (_, e) => Keep(e.Data, ready: false);
        _process.Exited += (_, _) =>
        {
            _process.WaitForExit(); // the rest of its output
            _ready.TrySetException(new InvalidOperationException(
                $"the probe exited with {_process.ExitCode} before it was ready. It runs in a private mount namespace with its own /etc/hosts: " +
                $"`unshare -m` and `mount --bind` need root (or CAP_SYS_ADMIN). Its output:{Environment.NewLine}{string.Join(Environment.NewLine, _output)}"));
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public static string Binary => BuildOutput.OfRunningProgram().AssemblyOf(new BuiltProgram("tests/LedgerClient.Probe", "Stockcast.LedgerClient.Probe.dll"));

    /// <summary>Completes once the probe made its calls and every Watch stream answered.</summary>
    public async Task ReadyAsync()
    {
        try
        {
            await _ready.Task.WaitAsync(ReadyDeadline);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"the probe was not ready within {ReadyDeadline.TotalSeconds:0} s. Its output:{Environment.NewLine}{string.Join(Environment.NewLine, _output)}");
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
        File.Delete(_hostsFile);
    }

    private void Keep(string? line, bool ready)
    {
        if (line is null)
        {
            return;
        }
        _output.Enqueue(line);
        if (ready)
        {
            _ready.TrySetResult();
        }
    }
}
