using Grpc.Core;
using Microsoft.Extensions.Options;
using Stockcast.Connector.Feeds.Replicas;
using Stockcast.ServiceDefaults.Resilience;

namespace Stockcast.Connector.Feeds;

/// <summary>
/// Runs every polled feed on its own loop, so one failing warehouse never stalls the others: a read
/// every PollIntervalSeconds; after a failure, exponential backoff with jitter (Backoff.Poll, capped
/// at the interval). Of several replicas, only the holder of a feed's lease reads it (FeedLeases),
/// its batches fenced with its term. A full read can also be asked for at any time (gRPC
/// TriggerFullSync), on any replica; reads of one feed never overlap.
/// </summary>
public sealed class FeedPoller(ConnectorMetrics metrics, IOptions<ConnectorOptions> options, IEnumerable<IPolledFeed> adapters, Reconciliation reconciliation, FeedStatusStore status, FeedLeases leases, Streams streams, TimeProvider clock)
    : BackgroundService
{
    private readonly Dictionary<string, SemaphoreSlim> _reading = options.Value.Feeds.Where(f => f.IsPolled)
        .ToDictionary(f => f.WarehouseId, _ => new SemaphoreSlim(1, 1));

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
        => Task.WhenAll(options.Value.Feeds.Where(f => f.IsPolled).Select(f => RunAsync(f, stoppingToken)));

    /// <summary>
    /// Reads the feed now (in full, or what changed), waiting for a read in progress to finish first.
    /// A full read of a feed that gives its whole picture is a reconciliation: it reports the drift it corrected.
    /// On a replica that does not hold the feed's lease, the holder is asked to hand it over first
    /// (after its read in progress): a read on demand never runs beside the holder's.
    /// </summary>
    public async Task<SyncResult> SyncNowAsync(FeedOptions feed, bool full, CancellationToken cancellationToken)
    {
        var lease = leases.For(feed.WarehouseId);
        var term = lease.Current ?? await lease.TakeAsync(cancellationToken);
        // Losing the lease mid-read stops the read: the new holder reads from then on.
        using var held = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, term.Ended);
        var gate = _reading[feed.WarehouseId];
        await gate.WaitAsync(held.Token);
        try
        {
            using var reading = lease.Reading();
            var adapter = adapters.Single(a => a.Source == feed.Source);
            var read = new FeedRead(feed, full, reconciles: full && adapter.GivesWholePicture) { Fence = term.Fence };
            var result = await adapter.ReadAsync(read, held.Token);
            // A completed read is a success even when nothing changed: a quiet feed is not a stale one.
            // One whose every record was refused is not: it keeps the error the intake recorded.
            if (result.Received == 0 || result.DeadLettered < result.Received)
            {
                await status.RecordAsync(feed, null);
            }
            return read.Reconciles ? await reconciliation.ReportAsync(read, result, held.Token) : result;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// The feed's own loop ("feed:{warehouse}"), its backoff capped at its interval. It waits while
    /// another replica holds the feed, and reads at once when this one takes it over.
    /// </summary>
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
            var term = await leases.For(feed.WarehouseId).HeldAsync(cancellationToken);
            try
            {
                await SyncNowAsync(feed, full, cancellationToken);
            }
            catch (Exception) when (term.Ended.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                // The lease went to another replica mid-read (or the ledger fenced this term): not a feed failure.
                return;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                // Whatever went wrong, this feed backs off and tries again; the others are not affected.
                var kind = ex switch { FeedException => "api", HttpRequestException => "network", RpcException => "ledger", TaskCanceledException => "timeout", _ => "other" };
                metrics.PollErrors.WithLabels(feed.WarehouseId, kind).Inc();
                await status.RecordAsync(feed, $"{kind}: {ex.Message}");
                throw;
            }
            if (full)
            {
                lastFull = clock.GetUtcNow();
            }
        }, stoppingToken);
    }
}
