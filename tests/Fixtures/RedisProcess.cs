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
    private readonly string _directory;

    /// <param name="extraArgs">redis-server settings on top, e.g. "--appendonly", "yes".</param>
    public RedisProcess(params string[] extraArgs)
    {
        _directory = Path.Combine(Path.GetTempPath(), "stockcast-redis-" + Guid.NewGuid().ToString("N")[..12]);
        _server = new RedisServer(new RedisServerSpec(_directory) { Arguments = ["--save", "", "--appendonly", "no", .. extraArgs] });
    }

    public int Port => _server.Port;
    public string EndPoint => _server.EndPoint;

    /// <summary>Starts it and waits until it answers PING (off the caller's synchronization context: fixtures start it synchronously).</summary>
    public void Start() => Task.Run(() => _server.StartAsync()).GetAwaiter().GetResult();

    /// <summary>Writes what it holds to disk now (SAVE): after <see cref="Stop"/> and <see cref="Start"/> it comes back with this, without the writes made since.</summary>
    public async Task SaveAsync()
    {
        using var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(EndPoint + ",allowAdmin=true");
        await connection.GetServer(EndPoint).ExecuteAsync("SAVE"); // in the foreground: done when it answers
    }

    /// <summary>SIGKILL: no flush, as a crash.</summary>
    public void Stop() => _server.Kill();

    public void Dispose()
    {
        _server.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless.
        }
    }
}
