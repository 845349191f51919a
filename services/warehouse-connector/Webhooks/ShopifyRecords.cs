using System.Text.Json;
using System.Text.Json.Nodes;
using Stockcast.Connector.Feeds;

namespace Stockcast.Connector.Webhooks;

/// <summary>
/// Reads one Shopify inventory_levels/update body. The feed's ExternalId is the Shopify location it
/// stands for and its SkuMap maps inventory_item_id → SKU (Shopify sends no SKU): another location,
/// or an item without a SKU, is refused with that reason (a replay after the map is fixed reads it
/// again). Shopify reports only `available` (required; null for an untracked item): the snapshot
/// takes it as both available and on hand, with `updated_at` as source time and version. A shop
/// that keeps selling when out of stock reports a negative available: those units are backorders,
/// applied as zero available and on hand with the backordered units as reserved.
/// </summary>
public sealed class ShopifyRecords(CanonicalRecords canonical) : IRecordReader
{
    private static readonly Dictionary<string, string> TheirNames = new(StringComparer.Ordinal)
    {
        ["available"] = "available",
        ["onHand"] = "available",
        ["reserved"] = "available",
        ["sourceTime"] = "updated_at",
    };

    public string Format => FeedOptions.ShopifySource;

    public NormalisedRecord Read(SourceRecord record, FeedOptions feed)
    {
        var level = record.Payload;
        var item = FieldMap.At(level, "inventory_item_id")?.ToString() ?? "";
        var location = FieldMap.At(level, "location_id")?.ToString() ?? "";
        var fields = new JsonObject { ["type"] = "snapshot", ["sku"] = $"shopify item {item}" };
        string? problem = level.ValueKind != JsonValueKind.Object ? "record: must be a JSON object"
            : location != feed.ExternalId ? $"location_id: {location} is not this warehouse's Shopify location ({feed.ExternalId})"
            : !feed.SkuMap.ContainsKey(item) ? $"inventory_item_id: {item} has no SKU in the feed's SkuMap"
            : null;
        if (problem is null)
        {
            fields["sku"] = feed.SkuMap[item];
            if (FieldMap.At(level, "updated_at") is { ValueKind: JsonValueKind.String } updatedAt)
            {
                fields["sourceTime"] = updatedAt.GetString();
            }
            if (FieldMap.At(level, "available") is not { } available)
            {
                problem = "available: required, but null or missing (Shopify sends null for an item whose inventory it does not track)";
            }
            else if (FieldMap.Quantity(level, "available") is < 0 and var backordered)
            {
                fields["available"] = 0;
                fields["onHand"] = 0;
                fields["reserved"] = -backordered;
            }
            else
            {
                fields["available"] = JsonNode.Parse(available.GetRawText());
                fields["onHand"] = JsonNode.Parse(available.GetRawText());
            }
        }
        return canonical.Read(record, fields, problem, feed, Format, TheirNames, mapSku: false) with { Backorder = FieldMap.Quantity(level, "available") < 0 };
    }
}
