using Grpc.Core;
using Microsoft.Extensions.Logging;
using Prometheus;
using Stockcast.Ledger.V1;
using Stockcast.ServiceDefaults.Resilience;

namespace Stockcast.LedgerClient;

/// <summary>
/// One follow of one ledger, as sessions of the shared <see cref="StreamLoop"/>: each session reads
/// the ledger when it has to (first, after "compacted", when the followed SKUs changed) and watches
/// it from where it left off. The loop retries, backs off and reports health.
/// </summary>
internal sealed class LedgerFollower(
    LedgerFollow follow,
    StockMirror mirror,
    StockLedger.StockLedgerClient ledger,
    StreamLoop loop,
    LedgerClientMetrics metrics,
    Action<TakenRecord> taken,
    TimeProvider clock,
    ILogger log)
{
    /// <summary>ListStock's largest page and BatchGetStock's most keys.</summary>
    private const int PageSize = 1000;
    private static readonly TimeSpan WarehouseRefresh = TimeSpan.FromSeconds(30);

    private readonly Counter.Child _changes = metrics.Changes.WithLabels(follow.Name);
    private readonly Gauge.Child _lastHeard = metrics.LastHeard.WithLabels(follow.Name);
    private readonly Gauge.Child _records = metrics.Records.WithLabels(follow.Name);

    /// <summary>The revision to watch from; 0 = read first.</summary>
    private long _resumeFrom;

    /// <summary>The ledger's history the watch began in (sent when resuming, so a store that went back is noticed); empty after a read.</summary>
    private string _history = "";

    /// <summary>The SKUs the last read covered (null when following every record).</summary>
    private IReadOnlySet<string>? _read;

    private DateTimeOffset _warehousesAt;

    public async Task SessionAsync(CancellationToken cancellationToken)
    {
        var skusChanged = follow.Skus?.NextChange ?? CancellationToken.None;
        using var call = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, skusChanged);
        try
        {
            var skus = follow.Skus?.Current();
            if (skus is { Count: 0 })
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, clock, call.Token); // nothing to follow until the set changes
            }
            if (_resumeFrom == 0 || (skus is not null && !skus.SetEquals(_read!)))
            {
                _resumeFrom = await ReadAsync(skus, call.Token) + 1;
                _history = "";
                _read = skus;
                Heard();
            }
            await WatchAsync(skus, call.Token);
            throw new RpcException(new Status(StatusCode.Unavailable, "the ledger ended the watch"));
        }
        catch (Exception) when (skusChanged.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // The followed SKUs changed: the loop runs the next session at once, with the new set.
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.FailedPrecondition)
        {
            // Only the Watch answers this: "compacted" (it fell behind the change log) or "regressed"
            // (the ledger's store went back behind what it had sent): either way, read again.
            log.LogWarning("The {Ledger} ledger's watch from revision {Revision} ended: {Reason}; reading it again", follow.Name, _resumeFrom, ex.Status.Detail);
            metrics.Rereads.WithLabels(follow.Name).Inc();
            _resumeFrom = 0;
        }
    }

    /// <summary>Reads every record, or the SKUs at every warehouse; returns the revision the first page saw (watching from it replays what changed while later pages were read).</summary>
    private async Task<long> ReadAsync(IReadOnlySet<string>? skus, CancellationToken cancellationToken)
    {
        long revision;
        if (skus is null)
        {
            revision = await ListEverythingAsync(cancellationToken);
            // Read after the records: a warehouse is registered before any of its stock, so every listed one is known.
            await ReadWarehousesAsync(cancellationToken);
        }
        else
        {
            await ReadWarehousesAsync(cancellationToken);
            // No warehouse yet means no record either: watching from the start replays only what comes next.
            revision = await ReadKeysAsync(skus, mirror.Warehouses.Keys, cancellationToken) ?? 0;
        }
        mirror.MarkLoaded(skus);
        log.LogInformation("Read the {Ledger} ledger at revision {Revision}: {Skus} SKUs", follow.Name, revision, skus?.Count ?? mirror.Skus.Count());
        return revision;
    }

    private async Task<long> ListEverythingAsync(CancellationToken cancellationToken)
    {
        var request = new ListStockRequest { PageSize = PageSize };
        long? revision = null;
        do
        {
            var page = await ledger.ListStockAsync(request, cancellationToken: cancellationToken);
            revision ??= page.Revision;
            foreach (var record in page.Records)
            {
                Take(record, ChangeCause.Unspecified, read: true);
            }
            request.PageToken = page.NextPageToken;
        }
        while (request.PageToken.Length > 0);
        return revision.Value;
    }

    /// <summary>Reads every SKU x warehouse pair; returns the revision the first read saw, null when there was nothing to read.</summary>
    private async Task<long?> ReadKeysAsync(IEnumerable<string> skus, IEnumerable<string> warehouses, CancellationToken cancellationToken)
    {
        long? revision = null;
        foreach (var chunk in skus.SelectMany(_ => warehouses, (sku, warehouse) => new StockKey { Sku = sku, WarehouseId = warehouse }).Chunk(PageSize))
        {
            var read = await ledger.BatchGetStockAsync(new BatchGetStockRequest { Keys = { chunk } }, cancellationToken: cancellationToken);
            revision ??= read.Revision;
            foreach (var record in read.Records)
            {
                Take(record, ChangeCause.Unspecified, read: true);
            }
        }
        return revision;
    }

    /// <summary>Reads the warehouses (and the markets each serves); returns those not known before.</summary>
    private async Task<IReadOnlyList<string>> ReadWarehousesAsync(CancellationToken cancellationToken)
    {
        var known = mirror.Warehouses;
        mirror.SetWarehouses((await ledger.ListWarehousesAsync(new ListWarehousesRequest(), cancellationToken: cancellationToken)).Warehouses);
        _warehousesAt = clock.GetUtcNow();
        return [.. mirror.Warehouses.Keys.Where(id => !known.ContainsKey(id))];
    }

    /// <summary>Takes changes as they come, remembering each response's revision (everything up to it seen).</summary>
    private async Task WatchAsync(IReadOnlySet<string>? skus, CancellationToken cancellationToken)
    {
        var request = new WatchRequest { StartRevision = _resumeFrom, ProgressIntervalSeconds = follow.ProgressIntervalSeconds, HistoryId = _history };
        if (skus is not null)
        {
            request.Skus.AddRange(skus);
        }
        using var call = ledger.Watch(request, cancellationToken: cancellationToken);
        await foreach (var response in call.ResponseStream.ReadAllAsync(cancellationToken))
        {
            if (response.HistoryId.Length > 0)
            {
                _history = response.HistoryId;
            }
            IReadOnlyList<string> added = [];
            if (clock.GetUtcNow() - _warehousesAt > WarehouseRefresh || response.Changes.Any(c => !mirror.Warehouses.ContainsKey(c.Record.WarehouseId)))
            {
                // Warehouses registered later (a new one, new markets) do not come through the Watch,
                // and stock at a warehouse of unknown markets would serve nobody: read them first.
                added = await ReadWarehousesAsync(cancellationToken);
            }
            foreach (var change in response.Changes)
            {
                Take(change.Record, change.Cause, read: false);
            }
            if (skus is not null && added.Count > 0)
            {
                // The SKUs' records at a new warehouse from before the Watch started come through no
                // change: read them (after the changes, which keep their cause).
                await ReadKeysAsync(skus, added, cancellationToken);
            }
            _changes.Inc(response.Changes.Count);
            _resumeFrom = Math.Max(response.HeaderRevision, response.Changes.Count == 0 ? 0 : response.Changes[^1].Revision) + 1;
            // Progress notifications count too: a quiet ledger that answers is current.
            Heard();
        }
    }

    private void Take(StockRecord record, ChangeCause cause, bool read)
    {
        var (took, previous) = mirror.Apply(record, read);
        if (took)
        {
            taken(new TakenRecord(record, previous, cause));
        }
    }

    private void Heard()
    {
        loop.Heard();
        _lastHeard.Set(clock.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0);
        _records.Set(mirror.Count);
    }
}
