using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Net.ClientFactory;
using Polly;
using Stockcast.Ledger.V1;
using Stockcast.LedgerClient;
using Stockcast.ServiceDefaults.Resilience;

namespace Stockcast.Connector.Delivery;

/// <summary>
/// Delivers batches to the stock-ledger. Retries transient failures (Backoff.Deliver): safe, because
/// every event carries an idempotency key (a delta's event id, a snapshot's version), so a batch
/// applied twice changes nothing the second time. A batch the ledger refuses as INVALID_ARGUMENT is
/// never retried as it is: the events it blames (<see cref="LedgerRefusal"/>) are set aside as
/// refused and the rest delivered, so one record the ledger will not take never holds back the others.
/// </summary>
public sealed class LedgerSink
{
    /// <summary>
    /// One retry pipeline per warehouse, each counting its retried failures under its own label. Real
    /// time: the ledger recovers in real time, whatever clock a test holds the connector's reads to.
    /// </summary>
    private readonly ConcurrentDictionary<string, ResiliencePipeline> _retries = new(StringComparer.Ordinal);
    private readonly StockLedger.StockLedgerClient _client;
    private readonly ConnectorMetrics _metrics;

    /// <param name="clients">Holds the ledger client AddWarehouseConnector registers: its Write key as a call credential, dns:/// balanced.</param>
    public LedgerSink(GrpcClientFactory clients, ConnectorMetrics metrics)
    {
        _metrics = metrics;
        _client = clients.CreateClient<StockLedger.StockLedgerClient>(LedgerMirrors.Local);
    }

    /// <summary>
    /// The ledger's result for every event, in order. Events the ledger refused as malformed come back
    /// REJECTED with the ledger's reason ("ledger refused …"); the others were delivered, in their order.
    /// Throws only for failures of the ledger itself (unavailable after retries, a wrong key, …).
    /// </summary>
    /// <param name="fence">A feed lease holder's term: the ledger refuses the batch (FENCED) once a newer holder has written.</param>
    public async Task<EventResult[]> DeliverAsync(string warehouseId, IReadOnlyList<StockEvent> events, WriterFence? fence, CancellationToken cancellationToken)
    {
        var results = new EventResult[events.Count];
        await DeliverPartAsync(warehouseId, events, fence, [.. Enumerable.Range(0, events.Count)], results, cancellationToken);
        return results;
    }

    /// <summary>Depth first, so what is delivered keeps the batch's order (a SKU's deltas and snapshots arrive as sent).</summary>
    private async Task DeliverPartAsync(string warehouseId, IReadOnlyList<StockEvent> events, WriterFence? fence, int[] part, EventResult[] results, CancellationToken cancellationToken)
    {
        ApplyStockEventsResponse response;
        try
        {
            response = await ApplyAsync(warehouseId, [.. part.Select(i => events[i])], fence, cancellationToken);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.InvalidArgument)
        {
            _metrics.DeliveryErrors.WithLabels(warehouseId, ex.StatusCode.ToString()).Inc();
            var blamed = LedgerRefusal.Blamed(ex, part.Length);
            if (blamed.Count == 0 && part.Length == 1)
            {
                blamed[0] = LedgerRefusal.Reason(ex);
            }
            else if (blamed.Count == 0)
            {
                // Nothing says which event: halve until the refused ones stand alone.
                await DeliverPartAsync(warehouseId, events, fence, part[..(part.Length / 2)], results, cancellationToken);
                await DeliverPartAsync(warehouseId, events, fence, part[(part.Length / 2)..], results, cancellationToken);
                return;
            }
            foreach (var (local, reason) in blamed)
            {
                results[part[local]] = new EventResult { Outcome = EventOutcome.Rejected, Reason = reason };
            }
            _metrics.LedgerRefusals.WithLabels(warehouseId).Inc(blamed.Count);
            var rest = part.Where((_, local) => !blamed.ContainsKey(local)).ToArray();
            if (rest.Length > 0)
            {
                await DeliverPartAsync(warehouseId, events, fence, rest, results, cancellationToken);
            }
            return;
        }
        for (var j = 0; j < part.Length; j++)
        {
            results[part[j]] = response.Results[j];
        }
    }

    private async Task<ApplyStockEventsResponse> ApplyAsync(string warehouseId, IReadOnlyList<StockEvent> events, WriterFence? fence, CancellationToken cancellationToken)
    {
        var retry = _retries.GetOrAdd(warehouseId, id => Backoff.Deliver(TimeProvider.System, ex => _metrics.DeliveryErrors.WithLabels(id, ex.StatusCode.ToString()).Inc()));
        return await retry.ExecuteAsync(async token =>
        {
            using var call = _client.ApplyStockEvents(cancellationToken: token);
            await call.RequestStream.WriteAsync(new ApplyStockEventsRequest { BatchId = warehouseId, Events = { events }, Fence = fence }, token);
            await call.RequestStream.CompleteAsync();
            if (!await call.ResponseStream.MoveNext(token))
            {
                throw new RpcException(new Status(StatusCode.Unavailable, "the ledger closed the stream without an acknowledgement"));
            }
            return call.ResponseStream.Current;
        }, cancellationToken);
    }

    /// <summary>
    /// The ledger's current records for these keys (at most 1000), by SKU; missing ones are absent, as
    /// are SKUs the ledger refuses to read (their events are then refused, one by one, on delivery).
    /// </summary>
    public async Task<Dictionary<string, StockRecord>> ReadAsync(string warehouseId, IEnumerable<string> skus, CancellationToken cancellationToken)
    {
        var keys = skus.Distinct(StringComparer.Ordinal).Select(sku => new StockKey { WarehouseId = warehouseId, Sku = sku }).ToList();
        while (keys.Count > 0)
        {
            try
            {
                var response = await _client.BatchGetStockAsync(new BatchGetStockRequest { Keys = { keys } }, cancellationToken: cancellationToken);
                return response.Records.ToDictionary(r => r.Sku, StringComparer.Ordinal);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.InvalidArgument && LedgerRefusal.Blamed(ex, keys.Count, "keys").Keys.ToHashSet() is { Count: > 0 } refused)
            {
                keys = [.. keys.Where((_, i) => !refused.Contains(i))];
            }
        }
        return new Dictionary<string, StockRecord>(StringComparer.Ordinal);
    }

    /// <summary>Every SKU the ledger holds for a warehouse.</summary>
    public async Task<List<string>> ListSkusAsync(string warehouseId, CancellationToken cancellationToken)
    {
        var skus = new List<string>();
        var request = new ListStockRequest { WarehouseId = warehouseId, PageSize = 1000 };
        do
        {
            var page = await _client.ListStockAsync(request, cancellationToken: cancellationToken);
            skus.AddRange(page.Records.Select(r => r.Sku));
            request.PageToken = page.NextPageToken;
        }
        while (request.PageToken.Length > 0);
        return skus;
    }
}
