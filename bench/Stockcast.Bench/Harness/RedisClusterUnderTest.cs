using System.Globalization;
using Stockcast.Launch;

namespace Stockcast.Bench.Harness;

/// <summary>
/// A local Redis Cluster for the cluster part: three primaries on loopback (no replicas, no
/// persistence), made with `redis-cli --cluster create`, and for each primary a ledger namespace
/// whose hash tag lands in that primary's slots. One ledger keeps all its keys under one hash tag
/// (its revision order needs one ordering point), so a region scales past one node by running one
/// ledger per namespace, spread over the shards: what the part measures.
/// </summary>
public sealed class RedisClusterUnderTest : IDisposable
{
    public const int Primaries = 3;
    private readonly List<RedisServer> _nodes = [];

    public IReadOnlyList<RedisServer> Nodes => _nodes;

    /// <summary>The results' name of the shard on primary <paramref name="i"/> (the apply scenario's keys start with it).</summary>
    public static string ShardName(int i) => $"shard{i}";

    /// <summary>Every node's address, as StackExchange.Redis takes a cluster's configuration.</summary>
    public string Configuration => string.Join(',', _nodes.Select(n => n.EndPoint));

    public static async Task<RedisClusterUnderTest> StartAsync(string work, CancellationToken cancel)
    {
        var cluster = new RedisClusterUnderTest();
        try
        {
            for (var i = 0; i < Primaries; i++)
            {
                var node = new RedisServer(new RedisServerSpec(Path.Combine(work, $"cluster-{i}"))
                {
                    Arguments = ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000", "--save", "", "--appendonly", "no"],
                    LogFile = Path.Combine(work, $"cluster-{i}.log"),
                });
                cluster._nodes.Add(node);
                await node.StartAsync(cancel);
            }
            await Tool.OutputAsync("redis-cli", ["--cluster", "create", .. cluster._nodes.Select(n => n.EndPoint), "--cluster-replicas", "0", "--cluster-yes"], TimeSpan.FromSeconds(60));
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            while (!(await Task.WhenAll(cluster._nodes.Select(n => n.CommandAsync(["CLUSTER", "INFO"], cancel)))).All(info => info.Contains("cluster_state:ok", StringComparison.Ordinal)))
            {
                if (Clock.Seconds(started) > 30)
                {
                    throw new TimeoutException("the local Redis Cluster did not reach cluster_state:ok within 30 s");
                }
                await Task.Delay(Readiness.PollInterval, cancel);
            }
            Console.WriteLine($"bench: Redis Cluster of {Primaries} primaries on {cluster.Configuration} (pids {string.Join(", ", cluster._nodes.Select(n => n.Pid))})");
            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    /// <summary>For each primary, in order, the first namespace "{prefix}N" whose hash tag is in that primary's slots.</summary>
    public async Task<IReadOnlyList<string>> NamespacePerNodeAsync(string prefix, CancellationToken cancel)
    {
        var ranges = new List<(int From, int To)>[_nodes.Count];
        for (var i = 0; i < _nodes.Count; i++)
        {
            // CLUSTER NODES: the line flagged "myself" ends with the node's slot ranges ("0-5460").
            var myself = (await _nodes[i].CommandAsync(["CLUSTER", "NODES"], cancel)).Split('\n').Single(l => l.Contains("myself", StringComparison.Ordinal));
            ranges[i] = [.. myself.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(8).Where(r => !r.StartsWith('[')).Select(Range)];
        }
        var chosen = new string?[_nodes.Count];
        for (var n = 0; chosen.Any(c => c is null); n++)
        {
            var candidate = prefix + n.ToString(CultureInfo.InvariantCulture);
            var slot = int.Parse(await _nodes[0].CommandAsync(["CLUSTER", "KEYSLOT", "{" + candidate + "}"], cancel), CultureInfo.InvariantCulture);
            var owner = Array.FindIndex(ranges, r => r.Any(x => slot >= x.From && slot <= x.To));
            if (owner >= 0 && chosen[owner] is null)
            {
                chosen[owner] = candidate;
            }
        }
        return [.. chosen.Select(c => c!)];

        static (int, int) Range(string text)
        {
            var parts = text.Split('-');
            var from = int.Parse(parts[0], CultureInfo.InvariantCulture);
            return (from, parts.Length == 2 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : from);
        }
    }

    public void Dispose()
    {
        foreach (var node in _nodes)
        {
            node.Kill();
            node.Dispose();
        }
    }
}
