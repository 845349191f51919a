using System.Text.Json.Nodes;

namespace Stockcast.WarehouseSim.Model;

/// <summary>Corrupts one record of a polled response the way broken warehouse feeds do.</summary>
public static class Malformer
{
    /// <param name="quantityHolder">The object holding the quantity to corrupt (the record itself or a nested one).</param>
    /// <param name="timestampField">Null when the API's records carry no timestamp; BadTimestamp then changes nothing.</param>
    public static void Apply(MalformedKind kind, JsonObject record, string skuField, JsonObject quantityHolder, string quantityField, string? timestampField)
    {
        switch (kind)
        {
            case MalformedKind.MissingSku:
                record.Remove(skuField);
                break;
            case MalformedKind.NegativeQuantity:
                quantityHolder[quantityField] = -7;
                break;
            case MalformedKind.NonNumericQuantity:
                quantityHolder[quantityField] = "12 pcs";
                break;
            case MalformedKind.BadTimestamp when timestampField is not null:
                record[timestampField] = "31/02/2026 25:61";
                break;
        }
    }
}
