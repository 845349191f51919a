using Stockcast.Launch;

namespace Stockcast.Testing;

/// <summary>
/// One real redis-server on a loopback port (started by Stockcast.Launch, as make run and make bench
/// start theirs), in its own directory, without persistence unless asked; can be stopped (SIGKILL)
/// and started again on the same port.
/// </summary>
public sealed class RedisProcess : IDisposable
{
    private readonly RedisServer _server;

    /// <param name="extraArgs">redis-server settings on top, e.g. "--appendonly", "yes".</param>
    public RedisProcess(params string[] extraArgs)
    {
        Directory = Path.Combine(Path.GetTempPath(), "stockcast-redis-" + Guid.NewGuid().ToString("N")[..12]);
        _server = new RedisServer(new RedisServerSpec(Directory) { Arguments = ["--save", "", "--appendonly", "no", .. extraArgs] });
    }

    public int Port => _server.Port;
    public string Directory { get; }
    public string EndPoint => _server.EndPoint;

    /// <summary>Starts it and waits until it answers PING (off the caller's synchronization context: fixtures start it synchronously).</summary>
    public void Start() => Task.Run(() => _server.StartAsync()).GetAwaiter().GetResult();

    /// <summary>SIGKILL: no flush, as a crash.</summary>
    public void Stop() => _server.Kill();

    public void Dispose()
    {
        _server.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless.
        }
    }
}
