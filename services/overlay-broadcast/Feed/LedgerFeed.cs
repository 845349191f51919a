using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;
using Stockcast.Ledger.V1;
using Stockcast.Overlay.Rooms;
using Stockcast.ServiceDefaults.Auth;

namespace Stockcast.Overlay.Feed;

/// <summary>
/// One ledger Watch per replica, whatever the number of viewers, filtered to the SKUs of the active
/// rooms. When that set changes (or the ledger answers "compacted") it reads the SKUs again with
/// BatchGetStock and watches from that read's revision; when the stream breaks it resumes from the
/// last header revision it saw.
/// </summary>
public sealed class LedgerFeed(
    OverlayMetrics metrics,
    IOptions<OverlayOptions> options,
    RoomCatalog catalog,
    StockBook book,
    FeedHealth health,
    TimeProvider clock,
    ILogger<LedgerFeed> log) : BackgroundService
{
    private const int ProgressIntervalSeconds = 1;
    private const int MaxKeysPerRead = 1000;
    private static readonly TimeSpan WarehouseRefresh = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var channel = GrpcChannel.ForAddress(options.Value.LedgerAddress!);
        var ledger = new StockLedger.StockLedgerClient(channel);
        var auth = CallerApiKey.Headers(options.Value.LedgerApiKey);
        IReadOnlySet<string> watched = new HashSet<string>();
        long resumeFrom = 0;
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var roomsChanged = catalog.NextChange;
            var skus = FeedSkus();
            using var call = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, roomsChanged);
            try
            {
                if (skus.Count == 0)
                {
                    await Task.Delay(Timeout.Infinite, call.Token);
                }
                if (resumeFrom == 0 || !skus.SetEquals(watched))
                {
                    resumeFrom = await ReadAsync(ledger, auth, skus, call.Token) + 1;
                    watched = skus;
                }
                await foreach (var revision in WatchAsync(ledger, auth, skus, resumeFrom, call.Token))
                {
                    resumeFrom = revision + 1;
                    failures = 0;
                }
                throw new RpcException(new Status(StatusCode.Unavailable, "the ledger ended the watch"));
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception) when (roomsChanged.IsCancellationRequested)
            {
                // The rooms changed: watch again with their SKUs (re-read only if the set differs).
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.FailedPrecondition)
            {
                log.LogWarning("Ledger watch compacted at {Revision}; reading the rooms' SKUs again", resumeFrom);
                resumeFrom = 0;
            }
            catch (Exception ex)
            {
                failures++;
                health.Down("ledger stream down");
                log.LogWarning("Following the ledger failed (attempt {Failures}): {Error}", failures, ex.Message);
                // Short backoff: viewers see "updating…" until the stream is back.
                var backoff = TimeSpan.FromMilliseconds(Math.Min(2000, 50 * Math.Pow(2, Math.Min(failures, 6))));
                try
                {
                    await Task.Delay(backoff * (0.5 + Random.Shared.NextDouble() / 2), clock, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>The featured SKUs of every room that has not ended.</summary>
    private HashSet<string> FeedSkus()
    {
        var now = clock.GetUtcNow();
        return catalog.Current.Rooms.Values
            .Where(r => RoomCatalog.IsActive(r, now))
            .SelectMany(r => r.Featured.Select(f => f.Sku))
            .ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Reads every SKU x warehouse; returns the revision the first read saw (watching from it replays later changes).</summary>
    private async Task<long> ReadAsync(StockLedger.StockLedgerClient ledger, Metadata auth, IReadOnlySet<string> skus, CancellationToken cancellationToken)
    {
        book.SetWarehouses((await ledger.ListWarehousesAsync(new ListWarehousesRequest(), auth, cancellationToken: cancellationToken)).Warehouses);
        var keys = skus.SelectMany(sku => book.Warehouses.Select(w => new StockKey { Sku = sku, WarehouseId = w })).ToList();
        long revision = -1;
        foreach (var chunk in keys.Chunk(MaxKeysPerRead))
        {
            var read = await ledger.BatchGetStockAsync(new BatchGetStockRequest { Keys = { chunk } }, auth, cancellationToken: cancellationToken);
            revision = revision < 0 ? read.Revision : revision;
            foreach (var record in read.Records)
            {
                book.Apply(record);
            }
        }
        book.MarkLoaded(skus);
        if (revision < 0)
        {
            // No warehouses yet: nothing to read, so watch from the current revision.
            revision = 0;
        }
        log.LogInformation("Read {Skus} SKUs from the ledger at revision {Revision}", skus.Count, revision);
        return revision;
    }

    /// <summary>Applies changes as they come; yields each response's header revision (everything up to it seen).</summary>
    private async IAsyncEnumerable<long> WatchAsync(StockLedger.StockLedgerClient ledger, Metadata auth, IReadOnlySet<string> skus, long startRevision, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new WatchRequest { StartRevision = startRevision, ProgressIntervalSeconds = ProgressIntervalSeconds, Skus = { skus } };
        using var call = ledger.Watch(request, auth, cancellationToken: cancellationToken);
        var warehousesAt = clock.GetUtcNow();
        while (await call.ResponseStream.MoveNext(cancellationToken))
        {
            var response = call.ResponseStream.Current;
            foreach (var change in response.Changes)
            {
                book.Apply(change.Record);
            }
            metrics.LedgerChanges.Inc(response.Changes.Count);
            health.Heard();
            if (clock.GetUtcNow() - warehousesAt > WarehouseRefresh)
            {
                // Warehouses registered later (a new one, new markets) do not come through the Watch.
                book.SetWarehouses((await ledger.ListWarehousesAsync(new ListWarehousesRequest(), auth, cancellationToken: cancellationToken)).Warehouses);
                warehousesAt = clock.GetUtcNow();
            }
            yield return Math.Max(response.HeaderRevision, response.Changes.Count == 0 ? 0 : response.Changes[^1].Revision);
        }
    }
}
