using System.Collections.Concurrent;
using Grpc.Net.ClientFactory;
using Microsoft.Extensions.Logging;
using Stockcast.Ledger.V1;
using Stockcast.ServiceDefaults.Resilience;

namespace Stockcast.LedgerClient;

/// <summary>Every ledger mirror of this host, one per ledger name, and the follower that keeps each current.</summary>
public sealed class LedgerMirrors(GrpcClientFactory clients, Streams streams, LedgerClientMetrics metrics, TimeProvider clock, ILogger<LedgerMirrors> log)
{
    /// <summary>The name of this region's own ledger.</summary>
    public const string Local = "local";

    private readonly ConcurrentDictionary<string, StockMirror> _mirrors = new(StringComparer.Ordinal);

    /// <summary>The mirror of the ledger called <paramref name="name"/>, created (empty) on first use.</summary>
    public StockMirror Mirror(string name) => _mirrors.GetOrAdd(name, n => new StockMirror(n, streams.Health(StreamName(n))));

    /// <summary>
    /// Keeps the mirror of <paramref name="follow"/>'s ledger current until the host stops: reads it,
    /// watches from the read's revision, resumes from the last revision seen after a broken stream,
    /// reads again after "compacted", and re-reads the warehouses every 30 s and whenever a change
    /// names one it does not know. Each record taken is handed to <paramref name="taken"/>.
    /// </summary>
    public async Task FollowAsync(LedgerFollow follow, Action<TakenRecord> taken, CancellationToken stoppingToken)
    {
        var mirror = Mirror(follow.Name);
        var up = metrics.Up.WithLabels(follow.Name);
        void ReportUp() => up.Set(mirror.Health.IsUp ? 1 : 0);
        ReportUp();
        mirror.Health.Changed += ReportUp;
        try
        {
            var loop = streams.Loop(StreamName(follow.Name));
            var follower = new LedgerFollower(follow, mirror, clients.CreateClient<StockLedger.StockLedgerClient>(follow.Name), loop, metrics, taken, clock, log);
            await loop.RunAsync(follower.SessionAsync, stoppingToken);
        }
        finally
        {
            mirror.Health.Changed -= ReportUp;
        }
    }

    private static string StreamName(string ledger) => $"ledger-{ledger}";
}
