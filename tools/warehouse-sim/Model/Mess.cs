using System.Text.Json.Nodes;

namespace Stockcast.WarehouseSim.Model;

/// <summary>
/// Messy mode: each record an API sends (an item of a page, a webhook body) gets, with probability
/// <see cref="Rate"/>, one of the record quirks that fit it; each webhook delivery, with the same
/// probability, one of the delivery quirks. <see cref="Quirks"/> null means all of them.
/// </summary>
public sealed record MessSpec(double Rate = 0, int Seed = 1, List<Quirk>? Quirks = null);

/// <summary>How many records and deliveries each API sent in messy mode, and which quirks it put in.</summary>
public sealed record MessReport(MessSpec Spec, IReadOnlyList<ApiMess> Apis);

public sealed record ApiMess(ApiKind Api, long Records, long Deliveries, IReadOnlyDictionary<Quirk, long> Emitted);

/// <summary>
/// Messy mode's dice: which quirk, if any, each record and delivery gets, from a seeded generator so a run
/// can be repeated, and how many of each went out. <see cref="RecordQuirks"/> puts a record quirk in, as it does one asked for.
/// </summary>
public sealed class Mess
{
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

    /// <summary>
    /// Puts into one record about to be sent the quirk asked for on it (<see cref="StockModel.TakeMalformation"/>),
    /// if any, then maybe one of messy mode's.
    /// </summary>
    public void Spoil(ApiKind api, JsonObject record, RecordShape shape, Quirk? asked = null)
    {
        if (asked is { } wanted)
        {
            RecordQuirks.Apply(wanted, record, shape);
        }
        lock (_gate)
        {
            var counts = Counts(api);
            counts.Records++;
            if (!Happens())
            {
                return;
            }
            var fitting = Enabled().Where(q => RecordQuirks.Fits(q, record, shape)).ToArray();
            if (fitting.Length == 0)
            {
                return;
            }
            var quirk = fitting[_random.Next(fitting.Length)];
            RecordQuirks.Apply(quirk, record, shape);
            counts.Emitted[quirk] = counts.Emitted.GetValueOrDefault(quirk) + 1;
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
}
