using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Stockcast.WarehouseSim.Model;

/// <summary>What real warehouse systems get wrong, which messy mode puts into what the APIs send.</summary>
public enum Quirk
{
    /// <summary>Whitespace around the SKU ("LIP-RED-01  "), as exports padded to a column width send it.</summary>
    SkuPadded,

    /// <summary>A control character in the SKU (U+0002, the start-of-text a barcode scanner prefixes).</summary>
    SkuControlCharacter,

    /// <summary>A count sent as a numeric string ("12").</summary>
    QuantityAsString,

    /// <summary>The record's time is an empty string.</summary>
    TimestampEmpty,

    /// <summary>The record's time field is left out.</summary>
    TimestampMissing,

    /// <summary>A count is null.</summary>
    NullField,

    /// <summary>On hand below zero, as a backorder shows in some systems.</summary>
    NegativeQuantity,

    /// <summary>A webhook delivered twice.</summary>
    DuplicateDelivery,

    /// <summary>After a webhook, an older one for the same SKU delivered again (a retry that lost the race).</summary>
    OlderRedelivered,
}

/// <summary>
/// Messy mode: each record an API sends (an item of a page, a webhook body) gets, with probability
/// <see cref="Rate"/>, one of the record quirks that fit it; each webhook delivery, with the same
/// probability, one of the delivery quirks. <see cref="Quirks"/> null means all of them.
/// </summary>
public sealed record MessSpec(double Rate = 0, int Seed = 1, List<Quirk>? Quirks = null);

/// <summary>Where a record keeps what messy mode can spoil: its SKU field, the object holding its counts (on hand first), its time field.</summary>
/// <param name="Signed">Counts that are changes (a delta): a negative one is no quirk.</param>
public sealed record RecordShape(string? Sku, JsonObject? Counts, string[] CountFields, string? Time, bool Signed = false);

/// <summary>How many records and deliveries each API sent in messy mode, and which quirks it put in.</summary>
public sealed record MessReport(MessSpec Spec, IReadOnlyList<ApiMess> Apis);

public sealed record ApiMess(ApiKind Api, long Records, long Deliveries, IReadOnlyDictionary<Quirk, long> Emitted);

/// <summary>Decides and applies messy mode's quirks, from a seeded generator so a run can be repeated; counts what it did.</summary>
public sealed class Mess
{
    private static readonly Quirk[] DeliveryQuirks = [Quirk.DuplicateDelivery, Quirk.OlderRedelivered];

    private readonly Lock _gate = new();
    private MessSpec _spec = new();
    private Random _random = new(1);
    private Dictionary<ApiKind, ApiCounts> _counts = [];

    private sealed class ApiCounts
    {
        public long Records;
        public long Deliveries;
        public readonly Dictionary<Quirk, long> Emitted = [];
    }

    public MessSpec Spec { get { lock (_gate) { return _spec; } } }

    /// <summary>Starts afresh with these settings (none: messy mode off), its generator seeded again and its counts at zero.</summary>
    public void Reset(MessSpec? spec)
    {
        lock (_gate)
        {
            _spec = spec ?? new MessSpec();
            _random = new Random(_spec.Seed);
            _counts = [];
        }
    }

    public static string? Problem(MessSpec spec)
        => spec.Rate is < 0 or > 1 || double.IsNaN(spec.Rate) ? $"mess.rate must be between 0 and 1 (got {spec.Rate})" : null;

    /// <summary>Maybe spoils one record about to be sent; returns the quirk put in, if any.</summary>
    public Quirk? Spoil(ApiKind api, JsonObject record, RecordShape shape)
    {
        lock (_gate)
        {
            var counts = Counts(api);
            counts.Records++;
            if (!Happens())
            {
                return null;
            }
            var fitting = Enabled().Where(q => !DeliveryQuirks.Contains(q) && Fits(q, record, shape)).ToArray();
            if (fitting.Length == 0)
            {
                return null;
            }
            var quirk = fitting[_random.Next(fitting.Length)];
            Apply(quirk, record, shape);
            counts.Emitted[quirk] = counts.Emitted.GetValueOrDefault(quirk) + 1;
            return quirk;
        }
    }

    /// <summary>Maybe spoils one webhook delivery: sent twice, or followed by an older one (when there is one).</summary>
    public Quirk? Deliver(ApiKind api, bool hasOlder)
    {
        lock (_gate)
        {
            var counts = Counts(api);
            counts.Deliveries++;
            if (!Happens())
            {
                return null;
            }
            var fitting = Enabled().Where(q => q == Quirk.DuplicateDelivery || q == Quirk.OlderRedelivered && hasOlder).ToArray();
            if (fitting.Length == 0)
            {
                return null;
            }
            var quirk = fitting[_random.Next(fitting.Length)];
            counts.Emitted[quirk] = counts.Emitted.GetValueOrDefault(quirk) + 1;
            return quirk;
        }
    }

    public MessReport Report()
    {
        lock (_gate)
        {
            return new MessReport(_spec, [.. _counts.OrderBy(c => c.Key).Select(c => new ApiMess(c.Key, c.Value.Records, c.Value.Deliveries, new Dictionary<Quirk, long>(c.Value.Emitted)))]);
        }
    }

    private ApiCounts Counts(ApiKind api)
    {
        if (!_counts.TryGetValue(api, out var counts))
        {
            _counts[api] = counts = new ApiCounts();
        }
        return counts;
    }

    private bool Happens() => _spec.Rate > 0 && _random.NextDouble() < _spec.Rate;

    private IEnumerable<Quirk> Enabled() => _spec.Quirks is { Count: > 0 } quirks ? quirks.Distinct() : Enum.GetValues<Quirk>();

    private static bool Fits(Quirk quirk, JsonObject record, RecordShape shape) => quirk switch
    {
        Quirk.SkuPadded or Quirk.SkuControlCharacter => shape.Sku is { } sku && record[sku] is JsonValue v && v.TryGetValue<string>(out _),
        Quirk.QuantityAsString => NumericCount(shape) is not null,
        Quirk.TimestampEmpty or Quirk.TimestampMissing => shape.Time is { } time && record.ContainsKey(time),
        Quirk.NullField => shape.Counts is { } counts && shape.CountFields.Any(counts.ContainsKey),
        Quirk.NegativeQuantity => !shape.Signed && shape.Counts is { } counts && counts.ContainsKey(shape.CountFields[0]),
        _ => false,
    };

    private void Apply(Quirk quirk, JsonObject record, RecordShape shape)
    {
        switch (quirk)
        {
            case Quirk.SkuPadded:
                record[shape.Sku!] = (string)record[shape.Sku!]! + "  ";
                break;
            case Quirk.SkuControlCharacter:
                record[shape.Sku!] = "\u0002" + (string)record[shape.Sku!]!;
                break;
            case Quirk.QuantityAsString:
                var field = NumericCount(shape)!;
                shape.Counts![field] = shape.Counts[field]!.ToJsonString();
                break;
            case Quirk.TimestampEmpty:
                record[shape.Time!] = "";
                break;
            case Quirk.TimestampMissing:
                record.Remove(shape.Time!);
                break;
            case Quirk.NullField:
                shape.Counts![shape.CountFields.Last(shape.Counts.ContainsKey)] = null;
                break;
            case Quirk.NegativeQuantity:
                // As the vendor types it: ShipHero's counts are strings, the others' numbers.
                var onHand = shape.Counts![shape.CountFields[0]];
                var backorder = -1 - _random.Next(5);
                shape.Counts[shape.CountFields[0]] = onHand is JsonValue s && s.TryGetValue<string>(out _)
                    ? backorder.ToString(CultureInfo.InvariantCulture)
                    : backorder;
                break;
        }
    }

    /// <summary>The first count sent as a number (the one QuantityAsString turns into text).</summary>
    private static string? NumericCount(RecordShape shape)
        => shape.Counts is { } counts ? shape.CountFields.FirstOrDefault(f => counts[f] is JsonValue v && v.GetValueKind() == JsonValueKind.Number) : null;
}
