using Grpc.Core;
using Grpc.Net.Client;
using Stockcast.Ledger.V1;
using Stockcast.ServiceDefaults.Auth;

namespace Stockcast.Alerting.Stock;

/// <summary>A stock-ledger to follow: this region's own ("local") or a peer region's, with the Read key it needs.</summary>
public sealed record LedgerSource(string Name, Uri Address, string ApiKey);

/// <summary>A record taken into the view, the one it replaced, and why it changed (Unspecified when listed).</summary>
public readonly record struct TakenRecord(StockRecord Record, StockRecord? Previous, ChangeCause Cause);

/// <summary>
/// Keeps one <see cref="StockView"/> current from one ledger: lists every record, then follows the
/// ledger's Watch from the list's revision; on "compacted" it lists again, on a broken stream it
/// resumes from the last revision it saw. One class for the local ledger and every peer's, so both
/// read a ledger the same way; what a change means is the caller's (<c>taken</c>).
/// </summary>
public sealed class LedgerFollower(LedgerSource source, StockView view, TimeProvider clock, ILogger log)
{
    private static readonly TimeSpan WarehouseRefresh = TimeSpan.FromSeconds(30);

    /// <param name="taken">Called for each record the view took.</param>
    /// <param name="reachable">Called when the ledger becomes reachable (listed or answering) and when it stops being.</param>
    public async Task FollowAsync(Action<TakenRecord> taken, Action<bool>? reachable, CancellationToken stoppingToken)
    {
        // Pings find a silently dropped connection (a peer across a WAN) instead of waiting on it for
        // ever; several HTTP/2 connections as gRPC's own default handler allows.
        using var channel = GrpcChannel.ForAddress(source.Address, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { KeepAlivePingDelay = TimeSpan.FromSeconds(20), KeepAlivePingTimeout = TimeSpan.FromSeconds(10), EnableMultipleHttp2Connections = true },
        });
        var ledger = new StockLedger.StockLedgerClient(channel);
        var auth = CallerApiKey.Headers(source.ApiKey);
        long resumeFrom = 0;
        var failures = 0;
        bool? up = null;
        void Reached(bool now)
        {
            if (up != now)
            {
                up = now;
                reachable?.Invoke(now);
            }
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (resumeFrom == 0)
                {
                    resumeFrom = await ListAsync(ledger, auth, taken, stoppingToken) + 1;
                    Reached(true);
                }
                await foreach (var revision in WatchAsync(ledger, auth, resumeFrom, taken, stoppingToken))
                {
                    resumeFrom = revision + 1;
                    Reached(true);
                    if (failures > 0)
                    {
                        log.LogInformation("Following the {Source} ledger again after {Failures} failed attempts", source.Name, failures);
                        failures = 0;
                    }
                }
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                return; // the call was cancelled by the shutdown
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.FailedPrecondition)
            {
                log.LogWarning("The {Source} ledger's watch compacted at {Revision}; listing again", source.Name, resumeFrom);
                resumeFrom = 0;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                failures++;
                Reached(false);
                // One Warning per outage: a peer region down for an hour must not flood the log.
                log.Log(failures == 1 ? LogLevel.Warning : LogLevel.Debug, "Following the {Source} ledger at {Address} failed (attempt {Failures}); retrying: {Error}", source.Name, source.Address, failures, ex.Message);
                var backoff = TimeSpan.FromMilliseconds(Math.Min(10_000, 100 * Math.Pow(2, Math.Min(failures, 10))));
                try
                {
                    await Task.Delay(backoff * (0.5 + Random.Shared.NextDouble() / 2), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task<long> ListAsync(StockLedger.StockLedgerClient ledger, Metadata auth, Action<TakenRecord> taken, CancellationToken cancellationToken)
    {
        var request = new ListStockRequest { PageSize = 1000 };
        long revision = -1;
        var now = clock.GetUtcNow();
        do
        {
            var page = await ledger.ListStockAsync(request, auth, cancellationToken: cancellationToken);
            // Watching from the first page's revision replays whatever changed while the later pages were read.
            revision = revision < 0 ? page.Revision : revision;
            foreach (var record in page.Records)
            {
                var (took, previous) = view.Apply(record, now);
                if (took)
                {
                    taken(new TakenRecord(record, previous, ChangeCause.Unspecified));
                }
            }
            request.PageToken = page.NextPageToken;
        }
        while (request.PageToken.Length > 0);
        // Read after the records: a warehouse is registered before any of its stock, so every listed one is known.
        view.SetWarehouses((await ledger.ListWarehousesAsync(new ListWarehousesRequest(), auth, cancellationToken: cancellationToken)).Warehouses);
        view.MarkLoaded(clock.GetUtcNow());
        log.LogInformation("Listed the {Source} ledger at revision {Revision}: {Skus} SKUs", source.Name, revision, view.Skus.Count());
        return revision;
    }

    /// <summary>Applies changes as they come; yields each response's header revision (all up to it seen).</summary>
    private async IAsyncEnumerable<long> WatchAsync(StockLedger.StockLedgerClient ledger, Metadata auth, long startRevision, Action<TakenRecord> taken, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var call = ledger.Watch(new WatchRequest { StartRevision = startRevision }, auth, cancellationToken: cancellationToken);
        var warehousesAt = DateTimeOffset.UtcNow;
        while (await call.ResponseStream.MoveNext(cancellationToken))
        {
            var response = call.ResponseStream.Current;
            var now = clock.GetUtcNow();
            if (response.Changes.Any(c => !view.Warehouses.ContainsKey(c.Record.WarehouseId)))
            {
                // A warehouse registered since the last read: without its markets its stock would be
                // judged as serving nobody (false shortages), so read them before applying.
                view.SetWarehouses((await ledger.ListWarehousesAsync(new ListWarehousesRequest(), auth, cancellationToken: cancellationToken)).Warehouses);
                warehousesAt = DateTimeOffset.UtcNow;
            }
            foreach (var change in response.Changes)
            {
                var (took, previous) = view.Apply(change.Record, now);
                if (took)
                {
                    taken(new TakenRecord(change.Record, previous, change.Cause));
                }
            }
            if (DateTimeOffset.UtcNow - warehousesAt > WarehouseRefresh)
            {
                // Warehouses registered later (a new one, new markets) do not come through the Watch.
                view.SetWarehouses((await ledger.ListWarehousesAsync(new ListWarehousesRequest(), auth, cancellationToken: cancellationToken)).Warehouses);
                warehousesAt = DateTimeOffset.UtcNow;
            }
            // Progress notifications count too: a quiet ledger that answers is current.
            view.Heard(now);
            yield return Math.Max(response.HeaderRevision, response.Changes.Count == 0 ? 0 : response.Changes[^1].Revision);
        }
    }
}
