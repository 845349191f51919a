using System.Globalization;
using System.Text.RegularExpressions;
using Stockcast.Testing;

namespace Stockcast.LedgerClient.Tests;

/// <summary>
/// Two ledger replicas (one Redis namespace) on 127.0.0.2 and 127.0.0.3, the same port, behind one
/// name, as a headless Service puts every ledger pod behind one name in Kubernetes.
/// </summary>
[Trait(Lane.Name, Lane.Slow)]
public sealed partial class DnsBalancingTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private const string Name = "ledger-replicas.test";
    private const int WatchStreams = 8;
    private const int UnaryCalls = 40;

    [Fact]
    public async Task WatchStreamsAndUnaryCallsThroughOneDnsNameSpreadOverBothLedgerReplicas()
    {
        // Reads need the key (as by default): the call credential must reach whichever replica answers.
        var deployment = new Dictionary<string, string> { ["Redis:Namespace"] = "l" + Guid.NewGuid().ToString("N")[..12] };
        using var first = new LedgerProcess(redis.Configuration, deployment, host: "127.0.0.2");
        await first.StartAsync();
        using var second = new LedgerProcess(redis.Configuration, deployment, host: "127.0.0.3", grpcPort: first.GrpcPort);
        await second.StartAsync();

        using var probe = new ProbeProcess(Name, [first.Host, second.Host],
            $"dns:///{Name}:{first.GrpcPort}", LedgerProcess.WriterKey, Count(WatchStreams), Count(UnaryCalls));
        await probe.ReadyAsync();

        Share[] shares = [];
        await Eventually.TrueAsync(async () =>
        {
            shares = await Task.WhenAll(ShareOf(first), ShareOf(second));
            return shares.Sum(s => s.Calls) == UnaryCalls;
        }, "both replicas counted the probe's calls");
        Assert.Equal((WatchStreams, UnaryCalls), (shares.Sum(s => s.Watchers), shares.Sum(s => s.Calls)));
        Assert.All(shares, share => Assert.True(share is { Watchers: > 0, Calls: > 0 }, $"one replica got no share: {string.Join(", ", shares)}"));
    }

    private sealed record Share(long Watchers, long Calls);

    private static string Count(int n) => n.ToString(CultureInfo.InvariantCulture);

    /// <summary>The Watch streams open on a replica and the ListWarehouses calls it answered, from its /metrics.</summary>
    private static async Task<Share> ShareOf(LedgerProcess replica)
    {
        var metrics = await replica.MetricsAsync();
        return new Share(Value(Watchers(), metrics), Value(ListWarehousesAnswered(), metrics));
    }

    private static long Value(Regex metric, string metrics)
        => metric.Match(metrics) is { Success: true } found ? (long)double.Parse(found.Groups[1].Value, CultureInfo.InvariantCulture) : 0;

    [GeneratedRegex(@"^stockcast_ledger_watchers (\S+)$", RegexOptions.Multiline)]
    private static partial Regex Watchers();

    [GeneratedRegex(@"^grpc_server_handled_total\{[^}]*grpc_method=""ListWarehouses""[^}]*grpc_code=""OK""\} (\S+)$", RegexOptions.Multiline)]
    private static partial Regex ListWarehousesAnswered();
}
