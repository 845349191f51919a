using System.Text.Json.Nodes;

namespace Stockcast.WarehouseSim.Model;

/// <summary>Where, in one API's record, the fields a malformation changes are.</summary>
/// <param name="QuantityHolder">The object holding the quantity to corrupt (the record itself or a nested one).</param>
/// <param name="AvailableHolder">The object holding the sellable figure (fulfillable, available).</param>
/// <param name="TimestampField">Null when the API's records carry no timestamp; the timestamp kinds then change nothing.</param>
public sealed record MalformedShape(string SkuField, JsonObject QuantityHolder, string QuantityField, JsonObject AvailableHolder, string AvailableField, string? TimestampField);

/// <summary>Corrupts one record of a polled response the way broken or quirky warehouse feeds do.</summary>
public static class Malformer
{
    public static void Apply(MalformedKind kind, JsonObject record, MalformedShape shape)
    {
        switch (kind)
        {
            case MalformedKind.MissingSku:
                record.Remove(shape.SkuField);
                break;
            case MalformedKind.ControlCharacterSku:
                record[shape.SkuField] = (string?)record[shape.SkuField] + "\u0007";
                break;
            case MalformedKind.NegativeQuantity:
                shape.QuantityHolder[shape.QuantityField] = -7;
                break;
            case MalformedKind.NonNumericQuantity:
                shape.QuantityHolder[shape.QuantityField] = "12 pcs";
                break;
            case MalformedKind.NumericStringQuantity:
                shape.QuantityHolder[shape.QuantityField] = shape.QuantityHolder[shape.QuantityField]?.ToJsonString();
                break;
            case MalformedKind.NullQuantity:
                shape.QuantityHolder[shape.QuantityField] = null;
                break;
            case MalformedKind.MissingQuantity:
                shape.QuantityHolder.Remove(shape.QuantityField);
                break;
            case MalformedKind.NegativeAvailable:
                shape.AvailableHolder[shape.AvailableField] = -3;
                break;
            case MalformedKind.BadTimestamp when shape.TimestampField is not null:
                record[shape.TimestampField] = "31/02/2026 25:61";
                break;
            case MalformedKind.EmptyTimestamp when shape.TimestampField is not null:
                record[shape.TimestampField] = "";
                break;
            case MalformedKind.MissingTimestamp when shape.TimestampField is not null:
                record.Remove(shape.TimestampField);
                break;
        }
    }
}
