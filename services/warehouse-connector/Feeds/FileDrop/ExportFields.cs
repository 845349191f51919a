using System.Collections.Frozen;
using System.Text;

namespace Stockcast.Connector.Feeds.FileDrop;

/// <summary>How a field's cells are read.</summary>
public enum FieldKind
{
    /// <summary>Passed on as text (sku, type, eventId, sourceTime).</summary>
    Text,

    /// <summary>A whole number; text that is not one is passed on as text, so validation names it.</summary>
    Quantity,

    /// <summary>sourceVersion: a whole number when there is one.</summary>
    Version,

    /// <summary>The export's warehouse code, routed through the feed's WarehouseCodes.</summary>
    Warehouse,
}

/// <param name="Name">Our field: the canonical record's property.</param>
/// <param name="Required">The file must have the column, and no row may leave its cell empty.</param>
/// <param name="Spellings">Headers that mean this field when the feed's Columns do not name one (compared as <see cref="ExportFields.Key"/>).</param>
public sealed record ExportField(string Name, FieldKind Kind, bool Required, string[] Spellings);

/// <summary>
/// The fields an export's columns can hold, and the header spellings ERPs and WMSs commonly use for
/// them (docs/connector.md lists them). Headers are compared by <see cref="Key"/>: case, spaces,
/// underscores and other punctuation do not matter, so "Qty On Hand", "QTY_ON_HAND" and "qtyOnHand" are one.
/// </summary>
public static class ExportFields
{
    public static readonly ExportField Sku = new("sku", FieldKind.Text, true,
        ["sku", "item code", "item sku", "seller sku", "merchant sku", "msku", "item number", "item no", "product code", "product sku", "商品编码", "商品sku", "产品编码"]);

    public static readonly ExportField Warehouse = new("warehouse", FieldKind.Warehouse, false,
        ["warehouse", "warehouse code", "warehouse id", "location", "location code", "site", "仓库", "仓库代码", "仓库编码"]);

    public static readonly ExportField SourceTime = new("sourceTime", FieldKind.Text, false,
        ["source time", "last updated", "updated at", "last modified", "as of", "timestamp", "更新时间"]);

    public static readonly IReadOnlyList<ExportField> All =
    [
        Sku,
        new("type", FieldKind.Text, false, ["type", "record type"]),
        new("onHand", FieldKind.Quantity, true, ["on hand", "qty on hand", "quantity on hand", "on hand qty", "on hand quantity", "physical", "实际库存", "库存数量", "在库数量"]),
        new("available", FieldKind.Quantity, true, ["available", "avail qty", "available qty", "available quantity", "qty available", "quantity available", "sellable", "fulfillable", "fulfillable quantity", "可用库存", "可用数量", "可售库存"]),
        new("reserved", FieldKind.Quantity, false, ["reserved", "reserved qty", "qty reserved", "allocated", "allocated qty", "qty allocated", "committed", "锁定库存", "占用库存", "预留库存"]),
        new("inbound", FieldKind.Quantity, false, ["inbound", "inbound qty", "in transit", "in transit qty", "incoming", "on order", "awaiting", "在途库存", "在途数量"]),
        new("unsellable", FieldKind.Quantity, false, ["unsellable", "unfulfillable", "damaged", "non sellable", "quarantine", "不良品", "残次品"]),
        SourceTime,
        new("sourceVersion", FieldKind.Version, false, ["source version", "version"]),
        new("eventId", FieldKind.Text, false, ["event id", "transaction id", "movement id"]),
        Warehouse,
    ];

    /// <summary>Our field names (as in the feed's Columns keys, any case) -> the field.</summary>
    public static readonly FrozenDictionary<string, ExportField> ByName = All.ToFrozenDictionary(f => f.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>Default spelling (as a key) -> the field it means.</summary>
    public static readonly FrozenDictionary<string, ExportField> BySpelling = All
        .SelectMany(f => f.Spellings.Append(f.Name).Select(s => (Key: Key(s), Field: f)))
        .DistinctBy(x => x.Key)
        .ToFrozenDictionary(x => x.Key, x => x.Field, StringComparer.Ordinal);

    /// <summary>A header as it is compared: lower case, letters and digits only.</summary>
    public static string Key(string header)
    {
        var key = new StringBuilder(header.Length);
        foreach (var c in header)
        {
            if (char.IsLetterOrDigit(c))
            {
                key.Append(char.ToLowerInvariant(c));
            }
        }
        return key.ToString();
    }
}
