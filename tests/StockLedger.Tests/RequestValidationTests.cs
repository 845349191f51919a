using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Time.Testing;
using Stockcast.Ledger.Grpc;
using Stockcast.Ledger.V1;
using Stockcast.ServiceDefaults.Errors;

namespace Stockcast.Ledger.Tests;

/// <summary>Unit tests of the checks every write passes before it reaches Redis.</summary>
public sealed class RequestValidationTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
    private readonly RequestValidation _validation = new(new LedgerOptions { MaxBatchEvents = 3 }, new FakeTimeProvider(Now));

    private static string FieldOf(Action check) => Assert.Throws<InvalidFieldException>(check).Field;

    private static ApplyStockEventsRequest Batch(params StockEvent[] events) => new() { Events = { events } };

    [Fact]
    public void AWellFormedBatchPasses()
        => _validation.Batch(Batch(Stock.Snapshot("us-east", "A", 1, version: 1, at: Now), Stock.Delta("us-east", "A", "e1", -1, at: Now)));

    [Fact]
    public void AnEmptyOrOversizeBatchIsRefused()
    {
        Assert.Equal("events", FieldOf(() => _validation.Batch(Batch())));
        Assert.Equal("events", FieldOf(() => _validation.Batch(Batch([.. Enumerable.Range(0, 4).Select(i => Stock.Snapshot("w", $"S{i}", 1, 1, Now))]))));
    }

    [Fact]
    public void AnEventWithNeitherSnapshotNorDeltaIsRefused()
        => Assert.Equal("events[0].kind", FieldOf(() => _validation.Batch(Batch(new StockEvent { WarehouseId = "w", Sku = "s", SourceTime = Timestamp.FromDateTimeOffset(Now) }))));

    [Fact]
    public void ADeltaWithoutAnEventIdOrTwiceInABatchIsRefused()
    {
        Assert.Equal("events[0].delta.event_id", FieldOf(() => _validation.Batch(Batch(Stock.Delta("w", "s", "", -1, at: Now)))));
        Assert.Equal("events[1].delta.event_id", FieldOf(() => _validation.Batch(Batch(Stock.Delta("w", "s", "same", -1, at: Now), Stock.Delta("w", "s", "same", -1, at: Now)))));
    }

    [Fact]
    public void ASnapshotWithoutAVersionOrWithAnUnrepresentableOneIsRefused()
    {
        Assert.Equal("events[0].snapshot.source_version", FieldOf(() => _validation.Batch(Batch(Stock.Snapshot("w", "s", 1, version: 0, at: Now)))));
        Assert.Equal("events[0].snapshot.source_version", FieldOf(() => _validation.Batch(Batch(Stock.Snapshot("w", "s", 1, version: long.MaxValue, at: Now)))));
    }

    [Fact]
    public void AMissingOrAncientSourceTimeIsRefused()
    {
        var missing = Stock.Snapshot("w", "s", 1, version: 1);
        missing.SourceTime = null;
        Assert.Equal("events[0].source_time", FieldOf(() => _validation.Batch(Batch(missing))));
        Assert.Equal("events[0].source_time", FieldOf(() => _validation.Batch(Batch(Stock.Snapshot("w", "s", 1, version: 1, at: new DateTimeOffset(1999, 1, 1, 0, 0, 0, TimeSpan.Zero))))));
    }

    [Theory]
    [InlineData("bad/warehouse", "s", "events[0].warehouse_id")]
    [InlineData("w", "tab\there", "events[0].sku")]
    [InlineData("w", "", "events[0].sku")]
    public void IdentifiersThatCannotBeKeysAreRefused(string warehouse, string sku, string field)
        => Assert.Equal(field, FieldOf(() => _validation.Batch(Batch(Stock.Snapshot(warehouse, sku, 1, version: 1, at: Now)))));

    [Fact]
    public void ASkuWithALoneSurrogateIsRefusedAsNotText()
    {
        // Only in-process: on the wire protobuf's UTF-8 turns a lone surrogate into U+FFFD before any check.
        var refused = Assert.Throws<InvalidFieldException>(() => _validation.Batch(Batch(Stock.Snapshot("w", "TEE-\ud83d", 1, version: 1, at: Now))));

        Assert.Equal(("events[0].sku", "must not contain a lone surrogate (U+D83D at character 5): it is not text"), (refused.Field, refused.Problem));
    }
}
