using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Stockcast.Connector.Feeds;

/// <summary>
/// Runs every polled feed on its own loop, so one failing warehouse never stalls the others: a full
/// read every PollIntervalSeconds; after a failure, exponential backoff with jitter (capped at the
/// interval). A full read can also be asked for at any time (gRPC TriggerFullSync); reads of one feed
/// never overlap.
/// </summary>
public sealed class FeedPoller(ConnectorMetrics metrics, IOptions<ConnectorOptions> options, IEnumerable<IPolledFeed> adapters, Reconciliation reconciliation, FeedStatusStore status, TimeProvider clock, ILogger<FeedPoller> log)
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
            await status.RecordAsync(feed.WarehouseId, 0, 0, 0, null, null);
            return read.Reconciles ? await reconciliation.ReportAsync(read, result, cancellationToken) : result;
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task RunAsync(FeedOptions feed, CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(feed.PollIntervalSeconds);
        var failures = 0;
        var fullEvery = TimeSpan.FromMinutes(feed.FullSyncIntervalMinutes);
        DateTimeOffset? lastFull = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                // The first read after start, and one every FullSyncIntervalMinutes, is a full one:
                // it reconciles whatever drifted meanwhile.
                var full = lastFull is null || clock.GetUtcNow() - lastFull >= fullEvery;
                await SyncNowAsync(feed, full, stoppingToken);
                if (full)
                {
                    lastFull = clock.GetUtcNow();
                }
                failures = 0;
                wait = interval;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // Whatever went wrong, this feed backs off and tries again; the others are not affected.
                failures++;
                var kind = ex switch { FeedException => "api", HttpRequestException => "network", RpcException => "ledger", TaskCanceledException => "timeout", _ => "other" };
                metrics.PollErrors.WithLabels(feed.WarehouseId, kind).Inc();
                await status.RecordAsync(feed.WarehouseId, 0, 0, 0, null, $"{kind}: {ex.Message}");
                log.LogWarning("Reading {Warehouse} failed ({Kind}, attempt {Failures}): {Error}", feed.WarehouseId, kind, failures, ex.Message);
                var backoff = TimeSpan.FromSeconds(Math.Min(interval.TotalSeconds, Math.Pow(2, Math.Min(failures, 10))));
                wait = backoff * (0.5 + Random.Shared.NextDouble() / 2);
            }
            try
            {
                await Task.Delay(wait, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
