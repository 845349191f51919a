using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;
using Stockcast.Alerting.Demand;
using Stockcast.Alerting.Engine;
using Stockcast.Ledger.V1;
using Stockcast.ServiceDefaults.Auth;

namespace Stockcast.Alerting.Stock;

/// <summary>
/// Keeps <see cref="StockView"/> current: lists every record, then follows the ledger's Watch from
/// the list's revision; on "compacted" it lists again, on a broken stream it resumes from the last
/// revision it saw. Reservations seen on the Watch are sales for the velocity. Every replica runs
/// one (followers answer Preflight from it; the leader evaluates from it).
/// </summary>
public sealed class LedgerFollower(
    IOptions<AlertingOptions> options,
    StockView view,
    DemandMeter demand,
    DirtySkus dirty,
    TimeProvider clock,
    ILogger<LedgerFollower> log) : BackgroundService
{
    private static readonly TimeSpan WarehouseRefresh = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var channel = GrpcChannel.ForAddress(options.Value.LedgerAddress!);
        var ledger = new StockLedger.StockLedgerClient(channel);
        var auth = CallerApiKey.Headers(options.Value.LedgerApiKey);
        long resumeFrom = 0;
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (resumeFrom == 0)
                {
                    resumeFrom = await ListAsync(ledger, auth, stoppingToken) + 1;
                }
                await foreach (var revision in WatchAsync(ledger, auth, resumeFrom, stoppingToken))
                {
                    resumeFrom = revision + 1;
                    failures = 0;
                }
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                return; // the call was cancelled by the shutdown
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.FailedPrecondition)
            {
                log.LogWarning("Ledger watch compacted at {Revision}; listing again", resumeFrom);
                resumeFrom = 0;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                failures++;
                log.LogWarning("Following the ledger failed (attempt {Failures}): {Error}", failures, ex.Message);
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

    private async Task<long> ListAsync(StockLedger.StockLedgerClient ledger, Metadata auth, CancellationToken cancellationToken)
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
                view.Apply(record, now);
                dirty.Mark(record.Sku);
            }
            request.PageToken = page.NextPageToken;
        }
        while (request.PageToken.Length > 0);
        // Read after the records: a warehouse is registered before any of its stock, so every listed one is known.
        view.SetWarehouses((await ledger.ListWarehousesAsync(new ListWarehousesRequest(), auth, cancellationToken: cancellationToken)).Warehouses);
        view.MarkLoaded();
        log.LogInformation("Listed the ledger at revision {Revision}: {Skus} SKUs", revision, view.Skus.Count());
        return revision;
    }

    /// <summary>Applies changes as they come; yields each response's header revision (all up to it seen).</summary>
    private async IAsyncEnumerable<long> WatchAsync(StockLedger.StockLedgerClient ledger, Metadata auth, long startRevision, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
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
                var (taken, previous) = view.Apply(change.Record, now);
                if (!taken)
                {
                    continue;
                }
                if (change.Cause == ChangeCause.Reserved && change.Record.Held > (previous?.Held ?? 0))
                {
                    demand.Sale(change.Record.Sku, change.Record.Held - (previous?.Held ?? 0), now);
                }
                dirty.Mark(change.Record.Sku);
            }
            if (DateTimeOffset.UtcNow - warehousesAt > WarehouseRefresh)
            {
                // Warehouses registered later (a new one, new markets) do not come through the Watch.
                view.SetWarehouses((await ledger.ListWarehousesAsync(new ListWarehousesRequest(), auth, cancellationToken: cancellationToken)).Warehouses);
                warehousesAt = DateTimeOffset.UtcNow;
            }
            yield return Math.Max(response.HeaderRevision, response.Changes.Count == 0 ? 0 : response.Changes[^1].Revision);
        }
    }
}
