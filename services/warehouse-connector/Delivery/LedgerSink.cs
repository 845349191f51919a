using Grpc.Core;
using Grpc.Net.ClientFactory;
using Stockcast.Ledger.V1;
using Stockcast.LedgerClient;

namespace Stockcast.Connector.Delivery;

/// <summary>
/// Delivers batches to the stock-ledger. Retries transient failures with exponential backoff and
/// jitter: safe, because every event carries an idempotency key (a delta's event id, a snapshot's
/// version), so a batch applied twice changes nothing the second time.
/// </summary>
public sealed class LedgerSink
{
    private const int Attempts = 5;
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(100);

    private readonly StockLedger.StockLedgerClient _client;
    private readonly ConnectorMetrics _metrics;

    /// <param name="clients">Holds the ledger client AddWarehouseConnector registers: its Write key as a call credential, dns:/// balanced.</param>
    public LedgerSink(GrpcClientFactory clients, ConnectorMetrics metrics)
    {
        _metrics = metrics;
        _client = clients.CreateClient<StockLedger.StockLedgerClient>(LedgerMirrors.Local);
    }

    public async Task<ApplyStockEventsResponse> ApplyAsync(string warehouseId, IReadOnlyList<StockEvent> events, CancellationToken cancellationToken)
    {
        var backoff = FirstBackoff;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var call = _client.ApplyStockEvents(cancellationToken: cancellationToken);
                await call.RequestStream.WriteAsync(new ApplyStockEventsRequest { BatchId = warehouseId, Events = { events } }, cancellationToken);
                await call.RequestStream.CompleteAsync();
                if (!await call.ResponseStream.MoveNext(cancellationToken))
                {
                    throw new RpcException(new Status(StatusCode.Unavailable, "the ledger closed the stream without an acknowledgement"));
                }
                return call.ResponseStream.Current;
            }
            catch (RpcException ex) when (attempt < Attempts && ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted)
            {
                _metrics.DeliveryErrors.WithLabels(warehouseId, ex.StatusCode.ToString()).Inc();
                await Task.Delay(backoff + TimeSpan.FromMilliseconds(Random.Shared.Next(0, (int)backoff.TotalMilliseconds)), cancellationToken);
                backoff *= 2;
            }
        }
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
