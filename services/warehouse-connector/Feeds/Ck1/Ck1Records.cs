
namespace Stockcast.Connector.Feeds.Ck1;

/// <summary>
/// Reads one CK1 inventory record: Sku → sku, TotalStockQty → onHand and AvailStockQty → available
/// (both required), TotalStockQty − AvailStockQty → reserved, InTransitStockQty → inbound (missing: 0).
/// CK1 has no backorders: a negative figure is refused. No per-record stock time: the read's time
/// stands in, marked estimated.
/// </summary>
public sealed class Ck1Records(CanonicalRecords canonical) : IRecordReader
{
    private static readonly FieldMap Fields = new(
        ("Sku", "sku", false),
        ("TotalStockQty", "onHand", true),
        ("AvailStockQty", "available", true),
        ("InTransitStockQty", "inbound", false));

    public string Format => FeedOptions.Ck1Source;

    public NormalisedRecord Read(SourceRecord record, FeedOptions feed)
    {
        var (fields, problem) = Fields.Map(record.Payload);
        if (FieldMap.Quantity(record.Payload, "TotalStockQty") is { } total && FieldMap.Quantity(record.Payload, "AvailStockQty") is { } available)
        {
            fields["reserved"] = Math.Max(0, total - available);
        }
        return canonical.Read(record, fields, problem, feed, Format, Fields.TheirNames);
    }
}
