using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Stockcast.Launch;

/// <summary>What to start: a redis-server on a loopback port, with its data in <see cref="Directory"/>.</summary>
public sealed record RedisServerSpec(string Directory)
{
    public IPAddress BindAddress { get; init; } = IPAddress.Loopback;

    /// <summary>null: a free port.</summary>
    public int? Port { get; init; }

    /// <summary>Persistence and any other settings, e.g. <c>--appendonly yes --appendfsync everysec</c>.</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>Its log (it logs to stdout here); null: only the last lines are kept.</summary>
    public string? LogFile { get; init; }

    /// <inheritdoc cref="ChildProcessOptions.OwnSession"/>
    public bool OwnSession { get; init; }

    public TimeSpan ReadyDeadline { get; init; } = TimeSpan.FromSeconds(20);
}

/// <summary>
/// A redis-server as a child process: ready once it answers PING; a graceful stop (SIGTERM) makes it
/// flush its append-only file and exit, as SHUTDOWN does.
/// </summary>
public sealed class RedisServer : ILaunched, IDisposable
{
    private readonly RedisServerSpec _spec;
    private readonly ChildProcess _process;

    public RedisServer(RedisServerSpec spec)
    {
        _spec = spec;
        Port = spec.Port ?? FreePort.Next(spec.BindAddress);
        System.IO.Directory.CreateDirectory(spec.Directory);
        _process = new ChildProcess("redis", Binary,
            ["--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", spec.BindAddress.ToString(), "--dir", spec.Directory, "--protected-mode", "yes", .. spec.Arguments],
            new ChildProcessOptions { LogFile = spec.LogFile, OwnSession = spec.OwnSession });
    }

    public static string Binary => File.Exists("/usr/bin/redis-server") ? "/usr/bin/redis-server" : "redis-server";

    public string Name => _process.Name;
    public int Port { get; }

    /// <summary>Its working directory: the append-only file and snapshots.</summary>
    public string Directory => _spec.Directory;

    public string EndPoint => $"{_spec.BindAddress}:{Port.ToString(CultureInfo.InvariantCulture)}";
    public int Pid => _process.Pid;
    public string RecentOutput => _process.RecentOutput;

    public async Task StartAsync(CancellationToken cancel = default)
    {
        _process.Start();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (!_process.IsRunning)
            {
                var exit = await _process.WaitForExitAsync(cancel);
                throw new InvalidOperationException($"redis-server on {EndPoint} {ChildProcess.DescribeExit(exit)} before it answered (is it installed? `make deps`): {RecentOutput}");
            }
            try
            {
                if (await CommandAsync(["PING"], cancel) == "PONG")
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is SocketException or IOException or RedisErrorException)
            {
                // Not listening yet, or still loading its append-only file ("LOADING").
            }
            if (clock.Elapsed > _spec.ReadyDeadline)
            {
                _process.Kill();
                throw new TimeoutException($"redis-server on {EndPoint} did not answer within {_spec.ReadyDeadline.TotalSeconds:0} s: {RecentOutput}");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(20), cancel); // it answers within milliseconds of starting
        }
    }

    /// <summary>
    /// One command on a connection of its own, e.g. ["CONFIG", "RESETSTAT"] or ["INFO", "commandstats"];
    /// the reply as text: a status, an integer or a bulk string (empty for nil). An error reply throws <see cref="RedisErrorException"/>.
    /// </summary>
    public async Task<string> CommandAsync(IReadOnlyList<string> command, CancellationToken cancel = default)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(_spec.BindAddress, Port, cancel);
        var stream = client.GetStream();
        var request = new StringBuilder().Append(CultureInfo.InvariantCulture, $"*{command.Count}\r\n");
        foreach (var part in command)
        {
            request.Append(CultureInfo.InvariantCulture, $"${Encoding.UTF8.GetByteCount(part)}\r\n{part}\r\n");
        }
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()), cancel);
        var reply = new RespReader(stream);
        var head = await reply.LineAsync(cancel);
        return head[0] switch
        {
            '+' or ':' => head[1..],
            '-' => throw new RedisErrorException($"redis-server answered {string.Join(' ', command)} with {head[1..]}"),
            '$' when int.Parse(head.AsSpan(1), CultureInfo.InvariantCulture) is var length => length < 0 ? "" : await reply.BytesAsync(length, cancel),
            _ => throw new InvalidDataException($"unexpected reply to {string.Join(' ', command)}: {head}"),
        };
    }

    public Task<int> WaitForExitAsync(CancellationToken cancel = default) => _process.WaitForExitAsync(cancel);

    /// <summary>SIGKILL: no flush, as a crash.</summary>
    public void Kill() => _process.Kill();

    public Task StopAsync(TimeSpan grace) => _process.StopAsync(grace);

    public void Dispose() => _process.Dispose();

    /// <summary>Just enough of RESP to read one reply: its first line, then a bulk string's bytes.</summary>
    private sealed class RespReader(NetworkStream stream)
    {
        private readonly MemoryStream _buffer = new();
        private readonly byte[] _chunk = new byte[16 * 1024];
        private int _consumed;

        public async Task<string> LineAsync(CancellationToken cancel)
        {
            while (true)
            {
                var end = _buffer.GetBuffer().AsSpan(_consumed, (int)_buffer.Length - _consumed).IndexOf("\r\n"u8);
                if (end >= 0)
                {
                    var line = Encoding.UTF8.GetString(_buffer.GetBuffer(), _consumed, end);
                    _consumed += end + 2;
                    return line;
                }
                await FillAsync(cancel);
            }
        }

        public async Task<string> BytesAsync(int length, CancellationToken cancel)
        {
            while (_buffer.Length - _consumed < length + 2)
            {
                await FillAsync(cancel);
            }
            return Encoding.UTF8.GetString(_buffer.GetBuffer(), _consumed, length);
        }

        private async Task FillAsync(CancellationToken cancel)
        {
            var read = await stream.ReadAsync(_chunk, cancel);
            if (read == 0)
            {
                throw new IOException("redis-server closed the connection mid-reply");
            }
            _buffer.Write(_chunk, 0, read);
        }
    }
}

/// <summary>redis-server answered a command with an error (e.g. LOADING while it reads its append-only file).</summary>
public sealed class RedisErrorException(string message) : Exception(message);
