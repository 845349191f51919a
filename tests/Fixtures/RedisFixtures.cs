using System.Diagnostics;

namespace Stockcast.Testing;

/// <summary>What a test needs from a Redis deployment: the client configuration string.</summary>
public interface IRedisDeployment
{
    string Configuration { get; }
}

/// <summary>A single redis-server, shared by a test class; tests isolate themselves by key namespace.</summary>
public sealed class RedisServerFixture : IRedisDeployment, IDisposable
{
    public RedisServerFixture()
    {
        Server = new RedisProcess();
        Server.Start();
    }

    public RedisProcess Server { get; }
    public string Configuration => Server.EndPoint;

    public void Dispose() => Server.Dispose();
}

/// <summary>A local Redis Cluster of three primaries on loopback ports, made with redis-cli --cluster create.</summary>
public sealed class RedisClusterFixture : IRedisDeployment, IDisposable
{
    private readonly RedisProcess[] _nodes;

    public RedisClusterFixture()
    {
        _nodes = [.. Enumerable.Range(0, 3).Select(_ => new RedisProcess("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000"))];
        foreach (var node in _nodes)
        {
            node.Start();
        }
        RedisCli(["--cluster", "create", .. _nodes.Select(n => n.EndPoint), "--cluster-replicas", "0", "--cluster-yes"]);
        var deadline = Stopwatch.StartNew();
        while (!RedisCli(["-p", _nodes[0].Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "cluster", "info"]).Contains("cluster_state:ok", StringComparison.Ordinal))
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new InvalidOperationException("Redis Cluster did not reach cluster_state:ok");
            }
            Thread.Sleep(50);
        }
    }

    public string Configuration => string.Join(',', _nodes.Select(n => n.EndPoint));

    private static string RedisCli(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("redis-cli") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"redis-cli {string.Join(' ', start.ArgumentList)} failed: {output}");
        }
        return output;
    }

    public void Dispose()
    {
        foreach (var node in _nodes)
        {
            node.Dispose();
        }
    }
}
