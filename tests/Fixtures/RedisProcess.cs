using System.Diagnostics;
using System.Net.Sockets;

namespace Stockcast.Testing;

/// <summary>One real redis-server on a loopback port, in its own directory; can be stopped and started again on the same port.</summary>
public sealed class RedisProcess : IDisposable
{
    private readonly string[] _extraArgs;
    private Process? _process;

    public RedisProcess(params string[] extraArgs)
    {
        _extraArgs = extraArgs;
        Port = FreePort.Next();
        Directory = Path.Combine(Path.GetTempPath(), "stockcast-redis-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(Directory);
    }

    public int Port { get; }
    public string Directory { get; }
    public string EndPoint => $"127.0.0.1:{Port}";

    public static string Binary => File.Exists("/usr/bin/redis-server") ? "/usr/bin/redis-server" : "redis-server";

    public void Start()
    {
        var args = new List<string>
        {
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--dir", Directory, "--save", "", "--appendonly", "no", "--protected-mode", "yes", "--logfile", "redis.log",
        };
        args.AddRange(_extraArgs);
        var start = new ProcessStartInfo(Binary) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        args.ForEach(start.ArgumentList.Add);
        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start (is it installed? `make deps`)");
        var deadline = Stopwatch.StartNew();
        while (!Answers())
        {
            if (_process.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(20))
            {
                var logFile = Path.Combine(Directory, "redis.log");
                throw new InvalidOperationException($"redis-server on {EndPoint} did not come up: {(File.Exists(logFile) ? File.ReadAllText(logFile) : "no log")}");
            }
            Thread.Sleep(20);
        }
    }

    public void Stop()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit();
        }
        _process = null;
    }

    private bool Answers()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", Port);
            using var stream = client.GetStream();
            stream.Write("PING\r\n"u8);
            var buffer = new byte[16];
            var read = stream.Read(buffer);
            return read > 0 && buffer[0] == (byte)'+';
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        Stop();
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
