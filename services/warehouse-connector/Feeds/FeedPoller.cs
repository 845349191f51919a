using Grpc.Core;
using Microsoft.Extensions.Options;
using Stockcast.ServiceDefaults.Resilience;

namespace Stockcast.Connector.Feeds;

/// <summary>
/// Runs every polled feed on its own loop, so one failing warehouse never stalls the others: a read
/// every PollIntervalSeconds; after a failure, exponential backoff with jitter (Backoff.Poll, capped
/// at the interval). A full read can also be asked for at any time (gRPC TriggerFullSync); reads of
/// one feed never overlap.
/// </summary>
public sealed class FeedPoller(ConnectorMetrics metrics, IOptions<ConnectorOptions> options, IEnumerable<IPolledFeed> adapters, Reconciliation reconciliation, FeedStatusStore status, Streams streams, TimeProvider clock)
    : BackgroundService
{
    private readonly Dictionary<string, SemaphoreSlim> _reading = options.Value.Feeds.Where(f => f.IsPolled)
        .ToDictionary(f => f.WarehouseId, _ => new SemaphoreSlim(1, 1));

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
        => Task.WhenAll(options.Value.Feeds.Where(f => f.IsPolled).Select(f => RunAsync(f, stoppingToken)));

    /// <summary>
    /// Reads the feed now (in full, or what changed), waiting for a read in progress to finish first.
    /// A full read of a feed that gives its whole picture is a reconciliation: it reports the drift it corrected.
    /// </summary>
    public async Task<SyncResult> SyncNowAsync(FeedOptions feed, bool full, CancellationToken cancellationToken)
    {
        var gate = _reading[feed.WarehouseId];
        await gate.WaitAsync(cancellationToken);
        try
        {
            var adapter = adapters.Single(a => a.Source == feed.Source);
            var read = new FeedRead(feed, full, reconciles: full && adapter.GivesWholePicture);
            var result = await adapter.ReadAsync(read, cancellationToken);
            // A completed read is a success even when nothing changed: a quiet feed is not a stale one.
            // One whose every record was refused is not: it keeps the error the intake recorded.
            if (result.Received == 0 || result.DeadLettered < result.Received)
            {
                await status.RecordAsync(feed.WarehouseId, 0, 0, 0, null, null);
            }
            return read.Reconciles ? await reconciliation.ReportAsync(read, result, cancellationToken) : result;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The feed's own loop ("feed:{warehouse}"), its backoff capped at its interval.</summary>
    private Task RunAsync(FeedOptions feed, CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(feed.PollIntervalSeconds);
        var fullEvery = TimeSpan.FromMinutes(feed.FullSyncIntervalMinutes);
        DateTimeOffset? lastFull = null;
        var loop = streams.Loop("feed:" + feed.WarehouseId, Backoff.Poll(clock, interval));
        return loop.EveryAsync(interval, async cancellationToken =>
        {
            // The first read after start, and one every FullSyncIntervalMinutes, is a full one:
            // it reconciles whatever drifted meanwhile.
            var full = lastFull is null || clock.GetUtcNow() - lastFull >= fullEvery;
            try
            {
                await SyncNowAsync(feed, full, cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                // Whatever went wrong, this feed backs off and tries again; the others are not affected.
                var kind = ex switch { FeedException => "api", HttpRequestException => "network", RpcException => "ledger", TaskCanceledException => "timeout", _ => "other" };
                metrics.PollErrors.WithLabels(feed.WarehouseId, kind).Inc();
                await status.RecordAsync(feed.WarehouseId, 0, 0, 0, null, $"{kind}: {ex.Message}");
                throw;
            }
            if (full)
            {
                lastFull = clock.GetUtcNow();
            }
        }, stoppingToken);
    }
}
