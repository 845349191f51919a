using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf.WellKnownTypes;
using Stockcast.Ledger.V1;
using Stockcast.LedgerClient;
using Stockcast.ServiceDefaults.Identifiers;

namespace Stockcast.Connector.Feeds;

/// <summary>
/// Reads canonical JSON records (the push API's, docs/connector.md) into ledger events: maps the
/// SKU, reads quantities (QuantityText), converts units with checked arithmetic, settles the source
/// time (SourceTimes), and checks the event with the ledger's own rules (StockEventRules), so
/// whatever it passes the ledger takes. Anything else is refused with a reason naming the field;
/// a refused record is never applied, it becomes a dead letter. Adapters turn their records into
/// these fields and read them here, the reason naming their own field where they say how.
/// </summary>
public sealed class CanonicalRecords(StockEventRules rules) : IRecordReader
{
    public const string CanonicalFormat = "canonical";

    private static readonly string[] QuantityFields = ["onHand", "available", "reserved", "inbound", "unsellable"];

    public string Format => CanonicalFormat;

    public NormalisedRecord Read(SourceRecord record, FeedOptions feed) => Read(record, record.Payload, feed, Format);

    /// <summary>
    /// An adapter's record in canonical fields: refused with the adapter's own <paramref name="problem"/>
    /// when it found one, otherwise read as a canonical record.
    /// </summary>
    /// <param name="source">The record as the source sent it (what a dead letter keeps).</param>
    /// <param name="fields">Its fields in canonical names.</param>
    /// <param name="theirNames">Canonical field → the source's own name, for reasons that name what the source sent.</param>
    /// <param name="mapSku">False when the adapter found our SKU itself (Shopify maps item ids), so the feed's map is not applied twice.</param>
    public NormalisedRecord Read(SourceRecord source, JsonObject fields, string? problem, FeedOptions feed, string format, IReadOnlyDictionary<string, string> theirNames, bool mapSku = true)
    {
        var canonical = JsonSerializer.SerializeToElement(fields);
        return problem is null
            ? Read(source, canonical, feed, format, theirNames, mapSku)
            : NormalisedRecord.Refused(source, format, Identity(canonical), problem);
    }

    private NormalisedRecord Read(SourceRecord source, JsonElement canonical, FeedOptions feed, string format, IReadOnlyDictionary<string, string>? theirNames = null, bool mapSku = true)
    {
        var identity = Identity(canonical);
        try
        {
            var (e, time) = ToEvent(canonical, feed, source, mapSku);
            return new NormalisedRecord(source, format, identity, e, null) { Time = time };
        }
        catch (RecordException ex)
        {
            return NormalisedRecord.Refused(source, format, identity, $"{theirNames?.GetValueOrDefault(ex.Field) ?? ex.Field}: {ex.Problem}");
        }
    }

    /// <summary>What the record is about (SKU and event id as sent), or the whole record when it names neither.</summary>
    private static string Identity(JsonElement record)
    {
        if (record.ValueKind == JsonValueKind.Object)
        {
            var sku = record.TryGetProperty("sku", out var s) ? s.GetRawText() : null;
            var eventId = record.TryGetProperty("eventId", out var e) ? e.GetRawText() : null;
            if (sku is not null || eventId is not null)
            {
                return $"{sku}|{eventId}";
            }
        }
        return record.GetRawText();
    }

    private (StockEvent Event, SourceTimeKind Time) ToEvent(JsonElement record, FeedOptions feed, SourceRecord source, bool mapSku)
    {
        if (record.ValueKind != JsonValueKind.Object)
        {
            throw new RecordException("record", "must be a JSON object");
        }
        var warehouseSku = Sku(record, feed);
        if (Identifiers.Sku.Problem(warehouseSku) is { } badSku)
        {
            throw new RecordException("sku", badSku);
        }
        var (at, time) = SourceTimes.Settle(Text(record, "sourceTime"), source, rules.MaxClockSkewSeconds);
        var e = new StockEvent
        {
            WarehouseId = feed.WarehouseId,
            Sku = mapSku ? feed.SkuMap.GetValueOrDefault(warehouseSku, warehouseSku) : warehouseSku,
            SourceTime = Timestamp.FromDateTimeOffset(at),
            SourceTimeEstimated = time != SourceTimeKind.Given,
        };
        var type = Text(record, "type") ?? "snapshot";
        var isDelta = type switch
        {
            "snapshot" => false,
            "delta" => true,
            _ => throw new RecordException("type", $"'{type}' is neither 'snapshot' nor 'delta'"),
        };
        var quantities = new Quantities();
        foreach (var field in QuantityFields)
        {
            var value = Quantity(record, field, isDelta, feed.UnitsPerWarehouseUnit);
            switch (field)
            {
                case "onHand": quantities.OnHand = value; break;
                case "available": quantities.Available = value; break;
                case "reserved": quantities.Reserved = value; break;
                case "inbound": quantities.Inbound = value; break;
                default: quantities.Unsellable = value; break;
            }
        }
        var version = Version(record);
        if (isDelta)
        {
            var eventId = Text(record, "eventId") is { Length: > 0 } id ? id : throw new RecordException("eventId", "required for a delta");
            e.Delta = new StockDelta { EventId = $"{feed.WarehouseId}:{eventId}", Change = quantities, SourceVersion = version ?? 0 };
        }
        else
        {
            // A source without versions: its timestamp (ms) orders its snapshots.
            e.Snapshot = new StockSnapshot { Quantities = quantities, SourceVersion = version ?? at.ToUnixTimeMilliseconds() };
        }
        // The ledger's own rules, last: what passes here, the ledger takes.
        if (rules.Find(e) is { } problem)
        {
            throw problem.Field == "delta.event_id"
                ? new RecordException("eventId", $"with the '{feed.WarehouseId}:' prefix it {problem.Problem}")
                : new RecordException(CanonicalName(problem.Field), problem.Problem);
        }
        return (e, time);
    }

    /// <summary>
    /// The warehouse's SKU. ERP exports pad codes to a column width (" TEE-1 "): the code is what is
    /// inside, unless the feed keeps the padding (then such a SKU is refused by the rule).
    /// </summary>
    private static string Sku(JsonElement record, FeedOptions feed)
    {
        string? sku;
        try
        {
            sku = Text(record, "sku");
        }
        catch (InvalidOperationException)
        {
            // An escaped lone surrogate ("\ud83d") is valid JSON, but System.Text.Json will not make a string of it.
            throw new RecordException("sku", "must not contain a lone surrogate: it is not text");
        }
        sku = sku ?? throw new RecordException("sku", "required");
        return feed.KeepSkuWhitespace ? sku : sku.Trim();
    }

    /// <summary>The canonical name of an event field the ledger's rules name ("snapshot.quantities.on_hand" → "onHand").</summary>
    private static string CanonicalName(string path)
    {
        var last = path[(path.LastIndexOf('.') + 1)..];
        var parts = last.Split('_');
        return parts[0] + string.Concat(parts.Skip(1).Select(p => p.Length == 0 ? p : char.ToUpperInvariant(p[0]) + p[1..]));
    }

    private static long? Version(JsonElement record)
    {
        if (!record.TryGetProperty("sourceVersion", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        // ERPs often send versions and ids as strings of digits (safe from JavaScript's number precision).
        var version = 0L;
        var read = value.ValueKind switch
        {
            JsonValueKind.Number => value.TryGetInt64(out version),
            JsonValueKind.String => long.TryParse(value.GetString().AsSpan().Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out version),
            _ => false,
        };
        if (!read || version is < 1 or > StockEventRules.MaxSourceVersion)
        {
            throw new RecordException("sourceVersion", "must be a positive integer below 2^53");
        }
        return version;
    }

    /// <summary>The quantity in sellable units; missing or null is 0.</summary>
    private long Quantity(JsonElement record, string field, bool isDelta, int unitsPerWarehouseUnit)
    {
        if (!record.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return 0;
        }
        var (quantity, unreadable) = QuantityText.Read(value);
        if (unreadable is not null)
        {
            throw new RecordException(field, unreadable);
        }
        long units;
        try
        {
            units = checked(quantity * unitsPerWarehouseUnit);
        }
        catch (OverflowException)
        {
            throw new RecordException(field, $"{quantity} x {unitsPerWarehouseUnit} units per warehouse unit overflows");
        }
        if (rules.QuantityProblem(units, allowNegative: isDelta) is { } problem)
        {
            throw new RecordException(field, unitsPerWarehouseUnit == 1 ? problem : $"{quantity} x {unitsPerWarehouseUnit} units per warehouse unit: {problem}");
        }
        return units;
    }

    private static string? Text(JsonElement record, string field)
        => record.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private sealed class RecordException(string fieldName, string problem) : Exception($"{fieldName}: {problem}")
    {
        public string Field { get; } = fieldName;

        public string Problem { get; } = problem;
    }
}
