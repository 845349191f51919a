using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Stockcast.WarehouseSim.Model;

/// <summary>One count in a record: the object holding it (the record itself or a nested one) and its field.</summary>
public sealed record CountField(JsonObject Holder, string Name);

/// <summary>Where one API's record keeps what a quirk changes.</summary>
/// <param name="Sku">Null when the record names no SKU (Shopify's carries an item id).</param>
/// <param name="Quantity">The count the record is about: on hand (Shopify: available; ShipHero's Change: the change).</param>
/// <param name="Available">The sellable figure, when the record has one apart from <paramref name="Quantity"/>.</param>
/// <param name="Time">Null when the record carries no time.</param>
/// <param name="Signed">The quantity is a change (a delta): a negative one is no quirk.</param>
public sealed record RecordShape(string? Sku, CountField Quantity, CountField? Available, string? Time, bool Signed = false);

/// <summary>Puts a record quirk into a record about to be sent, the same way whether it was asked for or picked at random.</summary>
public static class RecordQuirks
{
    private const int Backorder = -7;
    private const int BackorderAvailable = -3;

    /// <summary>Whether the record has what the quirk changes (delivery quirks fit no record).</summary>
    public static bool Fits(Quirk quirk, JsonObject record, RecordShape shape) => quirk switch
    {
        Quirk.MissingSku or Quirk.ControlCharacterSku or Quirk.PaddedSku
            => shape.Sku is { } sku && record[sku] is JsonValue v && v.TryGetValue<string>(out _),
        Quirk.NegativeQuantity => !shape.Signed && Has(shape.Quantity),
        Quirk.NonNumericQuantity or Quirk.NullQuantity or Quirk.MissingQuantity => Has(shape.Quantity),
        Quirk.NumericStringQuantity => shape.Quantity.Holder[shape.Quantity.Name] is JsonValue n && n.GetValueKind() == JsonValueKind.Number,
        Quirk.NegativeAvailable => shape.Available is { } available && Has(available),
        Quirk.BadTimestamp or Quirk.EmptyTimestamp or Quirk.MissingTimestamp => shape.Time is { } time && record.ContainsKey(time),
        _ => false,
    };

    /// <summary>Applies the quirk; one that does not fit the record changes nothing.</summary>
    public static void Apply(Quirk quirk, JsonObject record, RecordShape shape)
    {
        if (!Fits(quirk, record, shape))
        {
            return;
        }
        var (holder, quantity) = (shape.Quantity.Holder, shape.Quantity.Name);
        switch (quirk)
        {
            case Quirk.MissingSku:
                record.Remove(shape.Sku!);
                break;
            case Quirk.ControlCharacterSku:
                record[shape.Sku!] = "\u0002" + (string)record[shape.Sku!]!;
                break;
            case Quirk.PaddedSku:
                record[shape.Sku!] = (string)record[shape.Sku!]! + "  ";
                break;
            case Quirk.NegativeQuantity:
                holder[quantity] = AsSent(holder[quantity], Backorder);
                break;
            case Quirk.NonNumericQuantity:
                holder[quantity] = "12 pcs";
                break;
            case Quirk.NumericStringQuantity:
                holder[quantity] = holder[quantity]!.ToJsonString();
                break;
            case Quirk.NullQuantity:
                holder[quantity] = null;
                break;
            case Quirk.MissingQuantity:
                holder.Remove(quantity);
                break;
            case Quirk.NegativeAvailable:
                var available = shape.Available!;
                available.Holder[available.Name] = AsSent(available.Holder[available.Name], BackorderAvailable);
                break;
            case Quirk.BadTimestamp:
                record[shape.Time!] = "31/02/2026 25:61";
                break;
            case Quirk.EmptyTimestamp:
                record[shape.Time!] = "";
                break;
            case Quirk.MissingTimestamp:
                record.Remove(shape.Time!);
                break;
        }
    }

    private static bool Has(CountField count) => count.Holder.ContainsKey(count.Name);

    /// <summary>A figure typed as the vendor types the one it replaces: ShipHero sends counts as strings, the others as numbers.</summary>
    private static JsonNode AsSent(JsonNode? replaced, int figure)
        => replaced is JsonValue v && v.TryGetValue<string>(out _) ? figure.ToString(CultureInfo.InvariantCulture) : JsonValue.Create(figure);
}
