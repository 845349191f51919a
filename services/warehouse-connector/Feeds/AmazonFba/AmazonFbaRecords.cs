
namespace Stockcast.Connector.Feeds.AmazonFba;

/// <summary>
/// Reads one SP-API FBA inventory summary: sellerSku → sku, lastUpdatedTime → sourceTime (and, in ms,
/// version; empty or missing — Amazon leaves it empty for SKUs it has not touched lately — the
/// answer's Date header stands in, marked estimated), inventoryDetails.fulfillableQuantity →
/// available, reservedQuantity.totalReservedQuantity → reserved, unfulfillableQuantity.
/// totalUnfulfillableQuantity → unsellable, inbound working + shipped + receiving → inbound,
/// totalQuantity − inbound → onHand (Amazon's total counts inbound units). totalQuantity and
/// fulfillableQuantity are required; FBA has no backorders, so a negative figure is refused.
/// </summary>
public sealed class AmazonFbaRecords(CanonicalRecords canonical) : IRecordReader
{
    private static readonly FieldMap Fields = new(
        ("sellerSku", "sku", false),
        ("lastUpdatedTime", "sourceTime", false),
        ("totalQuantity", "onHand", true),
        ("inventoryDetails.fulfillableQuantity", "available", true),
        ("inventoryDetails.reservedQuantity.totalReservedQuantity", "reserved", false),
        ("inventoryDetails.unfulfillableQuantity.totalUnfulfillableQuantity", "unsellable", false));

    private static readonly string[] InboundFields = ["inventoryDetails.inboundWorkingQuantity", "inventoryDetails.inboundShippedQuantity", "inventoryDetails.inboundReceivingQuantity"];

    public string Format => FeedOptions.AmazonFbaSource;

    public NormalisedRecord Read(SourceRecord record, FeedOptions feed)
    {
        var summary = record.Payload;
        var (fields, problem) = Fields.Map(summary);
        long inbound = 0;
        foreach (var field in InboundFields.Where(f => FieldMap.At(summary, f) is not null))
        {
            if (FieldMap.Quantity(summary, field) is not { } part)
            {
                problem ??= $"{field}: {QuantityText.Read(FieldMap.At(summary, field)!.Value).Problem}";
                continue;
            }
            inbound += part;
        }
        fields["inbound"] = inbound;
        // On hand is what Amazon holds: its total less what is still on the way in.
        if (FieldMap.Quantity(summary, "totalQuantity") is { } total)
        {
            fields["onHand"] = total - inbound;
            if (total < inbound && total >= 0)
            {
                problem ??= $"totalQuantity: {total} is less than the inbound units it includes ({inbound})";
            }
        }
        return canonical.Read(record, fields, problem, feed, Format, Fields.TheirNames);
    }
}
