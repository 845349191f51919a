using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Stockcast.Ledger.V1;
using Xunit;

namespace Stockcast.Testing;

/// <summary>A warehouse's figure for a SKU, as a feed reports it: a snapshot with its version.</summary>
public sealed record StockFigure(string Warehouse, string Sku, long Available, long Version, long Inbound = 0);

/// <summary>How tests set stock in a real ledger: as a warehouse feed does, through ApplyStockEvents.</summary>
public static class StockWrites
{
    /// <summary>Sends each figure as a batch of its own on one call, as fast as the ledger takes them, and checks each was applied.</summary>
    /// <param name="sourceTime">The warehouse's time on every figure; now when not given.</param>
    public static async Task SetStockAsync(this StockLedger.StockLedgerClient ledger, IReadOnlyList<StockFigure> figures, DateTimeOffset? sourceTime = null, Metadata? headers = null)
    {
        using var call = ledger.ApplyStockEvents(headers);
        foreach (var figure in figures)
        {
            await call.RequestStream.WriteAsync(new ApplyStockEventsRequest
            {
                Events =
                {
                    new StockEvent
                    {
                        WarehouseId = figure.Warehouse,
                        Sku = figure.Sku,
                        SourceTime = Timestamp.FromDateTimeOffset(sourceTime ?? DateTimeOffset.UtcNow),
                        Snapshot = new StockSnapshot
                        {
                            SourceVersion = figure.Version,
                            Quantities = new Quantities { OnHand = figure.Available, Available = figure.Available, Inbound = figure.Inbound },
                        },
                    },
                },
            });
        }
        await call.RequestStream.CompleteAsync();
        foreach (var figure in figures)
        {
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None), $"an answer for {figure}");
            Assert.Equal(EventOutcome.Applied, call.ResponseStream.Current.Results[0].Outcome);
        }
    }
}
