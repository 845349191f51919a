
namespace Stockcast.Connector.Feeds.ShipBob;

/// <summary>
/// Reads one item of ShipBob's 2025-07 inventory levels: total_on_hand_quantity → onHand,
/// total_fulfillable_quantity → available (both required: missing or null refuses the item),
/// total_committed_quantity → reserved, total_awaiting_quantity → inbound, total_exception_quantity
/// → unsellable (missing or null: 0). ShipBob takes orders beyond stock as backorders, and its
/// fulfillable figure then goes below zero: applied as zero available (the orders are in its
/// committed figure). ShipBob gives no per-item time: the read's time stands in, marked estimated.
/// </summary>
public sealed class ShipBobRecords(CanonicalRecords canonical) : IRecordReader
{
    private static readonly FieldMap Fields = new(
        ("sku", "sku", false),
        ("total_on_hand_quantity", "onHand", true),
        ("total_fulfillable_quantity", "available", true),
        ("total_committed_quantity", "reserved", false),
        ("total_awaiting_quantity", "inbound", false),
        ("total_exception_quantity", "unsellable", false));

    public string Format => FeedOptions.ShipBobSource;

    public NormalisedRecord Read(SourceRecord record, FeedOptions feed)
    {
        var (fields, problem) = Fields.Map(record.Payload);
        var backorder = FieldMap.Quantity(record.Payload, "total_fulfillable_quantity") < 0;
        if (backorder)
        {
            fields["available"] = 0;
        }
        return canonical.Read(record, fields, problem, feed, Format, Fields.TheirNames) with { Backorder = backorder };
    }
}
