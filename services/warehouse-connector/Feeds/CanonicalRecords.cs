using System.Globalization;
using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Stockcast.Ledger.V1;
using Stockcast.ServiceDefaults.Identifiers;

namespace Stockcast.Connector.Feeds;

/// <summary>A record as received (its JSON, kept for dead letters) and what normalising it gave.</summary>
public sealed record NormalisedRecord(string Payload, StockEvent? Event, string? Reason);

/// <summary>
/// Reads canonical JSON records (docs/connector-push-api.md, v1) into ledger events: maps the SKU,
/// converts units, and refuses anything malformed with a reason naming the field. A refused record
/// is never applied; it becomes a dead letter.
/// </summary>
public sealed class CanonicalRecords(TimeProvider clock, int maxClockSkewSeconds)
{
    private const long MaxQuantity = 1_000_000_000;
    private static readonly string[] QuantityFields = ["onHand", "available", "reserved", "inbound", "unsellable"];

    public NormalisedRecord Read(JsonElement record, FeedOptions feed)
    {
        var payload = record.GetRawText();
        try
        {
            return new NormalisedRecord(payload, ToEvent(record, feed), null);
        }
        catch (RecordException ex)
        {
            return new NormalisedRecord(payload, null, ex.Message);
        }
    }

    private StockEvent ToEvent(JsonElement record, FeedOptions feed)
    {
        if (record.ValueKind != JsonValueKind.Object)
        {
            throw new RecordException("record: must be a JSON object");
        }
        var warehouseSku = Sku(record, feed);
        if (Identifiers.Sku.Problem(warehouseSku) is { } badSku)
        {
            throw new RecordException($"sku: {badSku}");
        }
        var e = new StockEvent
        {
            WarehouseId = feed.WarehouseId,
            Sku = feed.SkuMap.GetValueOrDefault(warehouseSku, warehouseSku),
            SourceTime = SourceTime(record),
        };
        var quantities = new Quantities();
        var type = Text(record, "type") ?? "snapshot";
        var isDelta = type switch
        {
            "snapshot" => false,
            "delta" => true,
            _ => throw new RecordException($"type: '{type}' is neither 'snapshot' nor 'delta'"),
        };
        foreach (var field in QuantityFields)
        {
            var value = Quantity(record, field, allowNegative: isDelta) * feed.UnitsPerWarehouseUnit;
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
            var eventId = Text(record, "eventId") is { Length: > 0 } id ? id : throw new RecordException("eventId: required for a delta");
            // Checked here as the ledger will check it, so one bad record is a dead letter, not a refused batch.
            var ledgerEventId = $"{feed.WarehouseId}:{eventId}";
            if (Identifiers.EventId.Problem(ledgerEventId) is { } badEventId)
            {
                throw new RecordException($"eventId: with the '{feed.WarehouseId}:' prefix it {badEventId}");
            }
            e.Delta = new StockDelta { EventId = ledgerEventId, Change = quantities, SourceVersion = version ?? 0 };
        }
        else
        {
            // A source without versions: its timestamp (ms) orders its snapshots.
            e.Snapshot = new StockSnapshot { Quantities = quantities, SourceVersion = version ?? e.SourceTime.ToDateTimeOffset().ToUnixTimeMilliseconds() };
        }
        return e;
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
            throw new RecordException("sku: must not contain a lone surrogate: it is not text");
        }
        sku = sku ?? throw new RecordException("sku: required");
        return feed.KeepSkuWhitespace ? sku : sku.Trim();
    }

    private Timestamp SourceTime(JsonElement record)
    {
        var text = Text(record, "sourceTime") ?? throw new RecordException("sourceTime: required (ISO 8601 with offset)");
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at) || !text.Contains('T', StringComparison.Ordinal))
        {
            throw new RecordException($"sourceTime: '{text}' is not an ISO 8601 timestamp");
        }
        if (at.Year < 2000 || at > clock.GetUtcNow().AddSeconds(maxClockSkewSeconds))
        {
            throw new RecordException($"sourceTime: {at:O} is outside 2000-01-01 .. now + {maxClockSkewSeconds}s");
        }
        return Timestamp.FromDateTimeOffset(at);
    }

    private static long? Version(JsonElement record)
    {
        if (!record.TryGetProperty("sourceVersion", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var version) || version is < 1 or > (1L << 53) - 1)
        {
            throw new RecordException("sourceVersion: must be a positive integer below 2^53");
        }
        return version;
    }

    private static long Quantity(JsonElement record, string field, bool allowNegative)
    {
        if (!record.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return 0;
        }
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var quantity))
        {
            throw new RecordException($"{field}: '{value.GetRawText()}' is not a whole number");
        }
        if (!allowNegative && quantity < 0)
        {
            throw new RecordException($"{field}: must not be negative (got {quantity})");
        }
        if (Math.Abs(quantity) > MaxQuantity)
        {
            throw new RecordException($"{field}: {quantity} is beyond the plausible limit of {MaxQuantity}");
        }
        return quantity;
    }

    private static string? Text(JsonElement record, string field)
        => record.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private sealed class RecordException(string message) : Exception(message);
}
