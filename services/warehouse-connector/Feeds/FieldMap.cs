using System.Text.Json;
using System.Text.Json.Nodes;

namespace Stockcast.Connector.Feeds;

/// <summary>
/// An adapter's fields and the canonical ones they become. Values are copied as sent (CanonicalRecords
/// reads them, strings of numbers included, and names the adapter's field when one is refused). A
/// required field that is missing or null refuses the record: for a snapshot a missing figure is
/// not a zero, and applying it as one would show a product sold out.
/// </summary>
public sealed class FieldMap(params (string Theirs, string Ours, bool Required)[] fields)
{
    /// <summary>Canonical name → theirs ("available" → "total_fulfillable_quantity"), for reasons.</summary>
    public IReadOnlyDictionary<string, string> TheirNames { get; } = fields.ToDictionary(f => f.Ours, f => f.Theirs, StringComparer.Ordinal);

    /// <summary>The record's canonical fields (a snapshot), and the first problem that refuses it.</summary>
    public (JsonObject Canonical, string? Problem) Map(JsonElement record)
    {
        var canonical = new JsonObject { ["type"] = "snapshot" };
        if (record.ValueKind != JsonValueKind.Object)
        {
            return (canonical, "record: must be a JSON object");
        }
        string? problem = null;
        foreach (var (theirs, ours, required) in fields)
        {
            if (At(record, theirs) is { } value)
            {
                canonical[ours] = JsonNode.Parse(value.GetRawText());
            }
            else if (required)
            {
                problem ??= $"{theirs}: required, but {(Has(record, theirs) ? "null" : "missing")}";
            }
        }
        return (canonical, problem);
    }

    /// <summary>The value at a dotted path ("inventoryDetails.fulfillableQuantity"); null when absent or JSON null.</summary>
    public static JsonElement? At(JsonElement record, string path)
    {
        var value = record;
        foreach (var step in path.Split('.'))
        {
            if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty(step, out value))
            {
                return null;
            }
        }
        return value.ValueKind == JsonValueKind.Null ? null : value;
    }

    /// <summary>The quantity at a path when present and readable as a whole number.</summary>
    public static long? Quantity(JsonElement record, string path)
        => At(record, path) is { } value && QuantityText.Read(value) is (var n, null) ? n : null;

    private static bool Has(JsonElement record, string path)
    {
        var dot = path.LastIndexOf('.');
        var parent = dot < 0 ? record : At(record, path[..dot]);
        return parent is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(path[(dot + 1)..], out _);
    }
}
