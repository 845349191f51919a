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
/// applied twice changes nothing the second time.
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

    /// <param name="fence">A feed lease holder's term: the ledger refuses the batch (FENCED) once a newer holder has written.</param>
    public async Task<ApplyStockEventsResponse> ApplyAsync(string warehouseId, IReadOnlyList<StockEvent> events, WriterFence? fence, CancellationToken cancellationToken)
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

    /// <summary>The ledger's current records for these keys (at most 1000), by SKU; missing ones are absent.</summary>
    public async Task<Dictionary<string, StockRecord>> ReadAsync(string warehouseId, IEnumerable<string> skus, CancellationToken cancellationToken)
    {
        var request = new BatchGetStockRequest();
        request.Keys.AddRange(skus.Distinct(StringComparer.Ordinal).Select(sku => new StockKey { WarehouseId = warehouseId, Sku = sku }));
        var response = await _client.BatchGetStockAsync(request, cancellationToken: cancellationToken);
        return response.Records.ToDictionary(r => r.Sku, StringComparer.Ordinal);
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
