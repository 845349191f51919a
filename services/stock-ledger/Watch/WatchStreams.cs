using Grpc.Core;
using Microsoft.Extensions.Options;
using Stockcast.Ledger.Grpc;
using Stockcast.Ledger.Store;
using Stockcast.Ledger.V1;

namespace Stockcast.Ledger.Watch;

/// <summary>
/// Serves Watch calls: from the start revision, changes in order from the shared ring (or the log
/// in Redis when the watcher is behind it), progress notifications when quiet, "compacted" when the
/// revision is gone, "regressed" when the log went back behind what the watcher holds, UNAVAILABLE
/// with a resume revision when the replica stops.
/// </summary>
public sealed class WatchStreams(LedgerMetrics metrics, StockStore store, ChangeFeed feed, IOptions<LedgerOptions> options, TimeProvider clock, IHostApplicationLifetime lifetime)
{
    private const int WatchBatch = 256;
    private const int CatchUpEntries = 4;

    /// <summary>Runs one Watch call until the client leaves or the replica stops. The request is already validated.</summary>
    public async Task RunAsync(WatchRequest request, IServerStreamWriter<WatchResponse> responseStream, CancellationToken callCancelled)
    {
        var filter = await WatchFilter.CreateAsync(request, store);
        var progressEvery = TimeSpan.FromSeconds(request.ProgressIntervalSeconds > 0 ? request.ProgressIntervalSeconds : options.Value.WatchProgressIntervalSeconds);

        // Shutdown only ends the wait for new changes, never a write in progress: a cancelled write
        // would abort the stream (the client would see CANCELLED instead of UNAVAILABLE).
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(callCancelled, lifetime.ApplicationStopping);
        var epoch = feed.Epoch;
        var history = await store.HistoryAsync();
        var current = await store.CurrentRevisionAsync();
        var next = request.StartRevision > 0 ? request.StartRevision : current + 1;
        if (next > current + 1 || (request.HistoryId.Length > 0 && request.HistoryId != history))
        {
            // The client resumes from a revision served before the store lost it (or from an old history).
            metrics.RevisionRegressions.WithLabels("watch_request").Inc();
            throw Errors.Regressed(next - 1, current);
        }
        if (request.StartRevision > 0 && await store.OldestRevisionAsync() is var oldest && request.StartRevision < oldest)
        {
            metrics.WatchCompacted.Inc();
            throw Errors.Compacted(request.StartRevision, oldest);
        }

        metrics.Watchers.Inc();
        try
        {
            // Tell the client where it stands at once: it may resume from header + 1.
            await responseStream.WriteAsync(new WatchResponse { HeaderRevision = next - 1, HistoryId = history }, callCancelled);
            var pending = new List<StockChange>(WatchBatch);
            var lastSent = clock.GetUtcNow();
            while (!lifetime.ApplicationStopping.IsCancellationRequested)
            {
                if (feed.Epoch != epoch)
                {
                    throw Errors.Regressed(next - 1, feed.Head);
                }
                pending.Clear();
                if (!feed.TryRead(next, WatchBatch, pending))
                {
                    // Behind the in-memory ring: read the log in Redis at this watcher's own pace.
                    pending.AddRange(await store.ReadChangesAsync(next, CatchUpEntries));
                    if (pending.Count == 0 || pending[0].Revision != next)
                    {
                        metrics.WatchCompacted.Inc();
                        throw Errors.Compacted(next, await store.OldestRevisionAsync());
                    }
                }
                if (pending.Count > 0)
                {
                    next = pending[^1].Revision + 1;
                    // A malformed change (counted and logged by the feed) is skipped; the header still vouches for its revision.
                    var chunks = pending.Where(c => !StockStore.IsMalformed(c) && filter.Matches(c.Record)).Chunk(WatchBatch).ToList();
                    foreach (var chunk in chunks)
                    {
                        // The last chunk vouches for everything read, matched or not.
                        var header = chunk == chunks[^1] ? next - 1 : chunk[^1].Revision;
                        var response = new WatchResponse { HeaderRevision = header, Changes = { chunk } };
                        await responseStream.WriteAsync(response, callCancelled);
                        metrics.WatchChangesSent.Inc(chunk.Length);
                        lastSent = clock.GetUtcNow();
                    }
                    continue;
                }
                var quietFor = clock.GetUtcNow() - lastSent;
                if (quietFor < progressEvery)
                {
                    await feed.WaitBeyondAsync(next - 1, progressEvery - quietFor, stop.Token);
                }
                else if (feed.IsLive)
                {
                    await responseStream.WriteAsync(new WatchResponse { HeaderRevision = next - 1 }, callCancelled);
                    lastSent = clock.GetUtcNow();
                }
                else
                {
                    // A progress notification says "nothing happened up to here": not while the log cannot be
                    // read. Silence lets the client see this replica is not current (the overlay says "updating…").
                    await feed.WaitBeyondAsync(next - 1, progressEvery, stop.Token);
                }
            }
            throw Errors.ShuttingDown(next);
        }
        // On shutdown the request may be aborted at the same moment; answering UNAVAILABLE either way
        // is harmless to a client that left and tells one that is still there where to resume.
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            throw Errors.ShuttingDown(next);
        }
        finally
        {
            metrics.Watchers.Dec();
        }
    }
}
