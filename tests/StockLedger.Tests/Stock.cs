using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Stockcast.Ledger.V1;

namespace Stockcast.Ledger.Tests;

/// <summary>Small builders that keep the tests readable.</summary>
public static class Stock
{
    public static StockEvent Snapshot(string warehouse, string sku, long available, long version, DateTimeOffset? at = null, long onHand = 0) => new()
    {
        WarehouseId = warehouse,
        Sku = sku,
        SourceTime = Timestamp.FromDateTimeOffset(at ?? DateTimeOffset.UtcNow.AddSeconds(-1)),
        Snapshot = new StockSnapshot
        {
            SourceVersion = version,
            Quantities = new Quantities { OnHand = onHand, Available = available },
        },
    };

    public static StockEvent Delta(string warehouse, string sku, string eventId, long availableChange, DateTimeOffset? at = null, long version = 0) => new()
    {
        WarehouseId = warehouse,
        Sku = sku,
        SourceTime = Timestamp.FromDateTimeOffset(at ?? DateTimeOffset.UtcNow.AddSeconds(-1)),
        Delta = new StockDelta
        {
            EventId = eventId,
            SourceVersion = version,
            Change = new Quantities { Available = availableChange },
        },
    };

    /// <summary>Sends batches over one ApplyStockEvents stream and returns the acknowledgements.</summary>
    public static async Task<List<ApplyStockEventsResponse>> ApplyAsync(this StockLedger.StockLedgerClient client, params StockEvent[][] batches)
    {
        using var call = client.ApplyStockEvents();
        var responses = new List<ApplyStockEventsResponse>();
        foreach (var (batch, i) in batches.Select((b, i) => (b, i)))
        {
            await call.RequestStream.WriteAsync(new ApplyStockEventsRequest { BatchId = $"b{i}", Events = { batch } });
            if (!await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                throw new InvalidOperationException("the ledger closed the stream without an acknowledgement");
            }
            responses.Add(call.ResponseStream.Current);
        }
        await call.RequestStream.CompleteAsync();
        return responses;
    }

    public static async Task<ApplyStockEventsResponse> ApplyAsync(this StockLedger.StockLedgerClient client, params StockEvent[] events)
        => (await client.ApplyAsync([events]))[0];

    public static async Task<long> AtpAsync(this StockLedger.StockLedgerClient client, string sku, string market)
        => (await client.GetAvailabilityAsync(new GetAvailabilityRequest { Sku = sku, Market = market })).AvailableToPromise;

    public static async Task<RpcException> FailsAsync(Func<Task> call)
        => await Assert.ThrowsAsync<RpcException>(call);
}
