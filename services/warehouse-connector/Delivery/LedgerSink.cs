using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;
using Stockcast.Ledger.V1;

namespace Stockcast.Connector.Delivery;

/// <summary>
/// Delivers batches to the stock-ledger. Retries transient failures with exponential backoff and
/// jitter: safe, because every event carries an idempotency key (a delta's event id, a snapshot's
/// version), so a batch applied twice changes nothing the second time.
/// </summary>
public sealed class LedgerSink : IDisposable
{
    private const int Attempts = 5;
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(100);

    private readonly GrpcChannel _channel;
    private readonly StockLedger.StockLedgerClient _client;
    private readonly Metadata _auth;

    public LedgerSink(IOptions<ConnectorOptions> options)
    {
        _channel = GrpcChannel.ForAddress(options.Value.LedgerAddress!);
        _client = new StockLedger.StockLedgerClient(_channel);
        _auth = new Metadata { { "Authorization", "Bearer " + options.Value.LedgerApiKey } };
    }

    public async Task<ApplyStockEventsResponse> ApplyAsync(string warehouseId, IReadOnlyList<StockEvent> events, CancellationToken cancellationToken)
    {
        var backoff = FirstBackoff;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var call = _client.ApplyStockEvents(_auth, cancellationToken: cancellationToken);
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
                ConnectorMetrics.DeliveryErrors.WithLabels(warehouseId, ex.StatusCode.ToString()).Inc();
                await Task.Delay(backoff + TimeSpan.FromMilliseconds(Random.Shared.Next(0, (int)backoff.TotalMilliseconds)), cancellationToken);
                backoff *= 2;
            }
        }
    }

    public void Dispose() => _channel.Dispose();
}
