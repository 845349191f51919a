using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;
using Stockcast.Connector.Feeds;
using Stockcast.Connector.V1;
using Stockcast.ServiceDefaults.Errors;
using Stockcast.ServiceDefaults.Redis;
using StackExchange.Redis;

namespace Stockcast.Connector.DeadLetters;

/// <summary>Which letters a call concerns: a case-insensitive reason substring and a time range (after inclusive, before exclusive).</summary>
public sealed record DeadLetterQuery(string ReasonContains = "", DateTimeOffset? After = null, DateTimeOffset? Before = null)
{
    public bool IsEmpty => ReasonContains.Length == 0 && After is null && Before is null;

    public bool Matches(DeadLetter letter) => ReasonContains.Length == 0 || letter.Reason.Contains(ReasonContains, StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// Refused records, per warehouse, kept in Redis until replayed or purged: a hash of id -> letter and
/// a sorted set of id -> time refused for newest-first pages. Both share the namespace hash tag. A
/// letter keeps the record as the source sent it, how to read it (its format) and the times reading
/// it needs, so a replay reads it as the first time, with the feed's settings of the moment.
/// </summary>
public sealed class DeadLetterStore(IConnectionMultiplexer redis, IOptions<RedisOptions> redisOptions, TimeProvider clock)
{
    private const int ScanChunk = 256;

    private readonly string _prefix = redisOptions.Value.KeyPrefix + "cn:";

    private IDatabase Db => redis.GetDatabase();
    private RedisKey Letters(string warehouseId) => _prefix + "dl:" + warehouseId;
    private RedisKey Arrivals(string warehouseId) => _prefix + "dlx:" + warehouseId;

    /// <summary>
    /// Keeps a refused record. The same problem seen again (the same record, by its identity, and
    /// reason: a polled feed re-reads a broken record every cycle) replaces its letter instead of
    /// piling up copies, and moves it to the front.
    /// </summary>
    public async Task<DeadLetter> AddAsync(string warehouseId, string source, NormalisedRecord record, string reason)
    {
        var now = clock.GetUtcNow();
        var letter = new DeadLetter
        {
            Id = IdOf(record.Format, record.Identity, reason),
            WarehouseId = warehouseId,
            Source = source,
            Payload = record.Source.Payload.GetRawText(),
            Reason = reason,
            ReceivedAt = Timestamp.FromDateTimeOffset(now),
            Attempts = record.Source.Attempt,
            Format = record.Format,
            Origin = record.Source.Origin,
        };
        var stored = Stored.From(letter, record.Source);
        var transaction = Db.CreateTransaction();
        _ = transaction.HashSetAsync(Letters(warehouseId), letter.Id, JsonSerializer.Serialize(stored));
        _ = transaction.SortedSetAddAsync(Arrivals(warehouseId), letter.Id, now.ToUnixTimeMilliseconds());
        await transaction.ExecuteAsync();
        return letter;
    }

    private static string IdOf(string format, string identity, string reason)
        => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(format + "\n" + identity + "\n" + reason)))[..32].ToLowerInvariant();

    /// <summary>A page of letters matching the query, newest first, and the token of the next page ("" when none).</summary>
    public async Task<(IReadOnlyList<DeadLetter> Letters, string NextPageToken)> ListAsync(string warehouseId, DeadLetterQuery query, int limit, string pageToken = "")
    {
        var page = new List<DeadLetter>();
        var (afterMs, afterId) = pageToken.Length == 0 ? (double.PositiveInfinity, null) : DecodeToken(pageToken);
        var max = Math.Min(afterMs, query.Before is { } before ? before.ToUnixTimeMilliseconds() - 1 : double.PositiveInfinity);
        var min = query.After?.ToUnixTimeMilliseconds() ?? double.NegativeInfinity;
        for (long skip = 0; page.Count < limit; skip += ScanChunk)
        {
            var entries = await Db.SortedSetRangeByScoreWithScoresAsync(Arrivals(warehouseId), min, max, Exclude.None, Order.Descending, skip, ScanChunk);
            // Letters at the token's time sort by id, descending: those from the token's id on were on earlier pages.
            var fresh = entries.Where(e => afterId is null || e.Score < afterMs || string.CompareOrdinal(e.Element, afterId) < 0).ToArray();
            var values = fresh.Length == 0 ? [] : await Db.HashGetAsync(Letters(warehouseId), [.. fresh.Select(e => e.Element)]);
            for (var i = 0; i < fresh.Length && page.Count < limit; i++)
            {
                if (values[i].HasValue && Parse(warehouseId, values[i]) is var letter && query.Matches(letter))
                {
                    page.Add(letter);
                    if (page.Count == limit)
                    {
                        return (page, EncodeToken(fresh[i].Score, fresh[i].Element!));
                    }
                }
            }
            if (entries.Length < ScanChunk)
            {
                break;
            }
        }
        return (page, "");
    }

    /// <summary>These letters, where they still exist, with what reading them again needs.</summary>
    public async Task<IReadOnlyList<(DeadLetter Letter, SourceRecord Source)>> GetAsync(string warehouseId, IReadOnlyCollection<string> ids)
    {
        if (ids.Count == 0)
        {
            return [];
        }
        var values = await Db.HashGetAsync(Letters(warehouseId), [.. ids.Select(i => (RedisValue)i)]);
        return [.. values.Where(v => v.HasValue).Select(v => JsonSerializer.Deserialize<Stored>((string)v!)!).Select(s => (s.ToLetter(warehouseId), s.ToSource()))];
    }

    public async Task<long> CountAsync(string warehouseId) => await Db.HashLengthAsync(Letters(warehouseId));

    /// <summary>Removes these letters; returns how many there were.</summary>
    public async Task<int> RemoveAsync(string warehouseId, IReadOnlyCollection<string> ids)
    {
        if (ids.Count == 0)
        {
            return 0;
        }
        var values = ids.Select(i => (RedisValue)i).ToArray();
        var transaction = Db.CreateTransaction();
        var removed = transaction.HashDeleteAsync(Letters(warehouseId), values);
        _ = transaction.SortedSetRemoveAsync(Arrivals(warehouseId), values);
        await transaction.ExecuteAsync();
        return (int)await removed;
    }

    private static DeadLetter Parse(string warehouseId, RedisValue value) => JsonSerializer.Deserialize<Stored>((string)value!)!.ToLetter(warehouseId);

    private static string EncodeToken(double score, string id) => $"{(long)score}.{id}";

    private static (double Ms, string Id) DecodeToken(string token)
    {
        var dot = token.IndexOf('.', StringComparison.Ordinal);
        if (dot < 1 || !long.TryParse(token.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var ms) || dot == token.Length - 1)
        {
            throw new InvalidFieldException("page_token", "is not a token this API gave");
        }
        return (ms, token[(dot + 1)..]);
    }

    /// <summary>
    /// A letter as kept. Letters written before formats and source times were kept read as canonical
    /// records received when they were refused.
    /// </summary>
    private sealed record Stored(string Id, string Source, string Payload, string Reason, long ReceivedAtMs, int Attempts,
        string? Format = null, string? Origin = null, long? SourceReceivedMs = null, long? SourceFallbackMs = null)
    {
        public static Stored From(DeadLetter l, SourceRecord source) => new(l.Id, l.Source, l.Payload, l.Reason, l.ReceivedAt.ToDateTimeOffset().ToUnixTimeMilliseconds(), l.Attempts,
            l.Format, l.Origin, source.ReceivedAt.ToUnixTimeMilliseconds(), source.FallbackTime.ToUnixTimeMilliseconds());

        public DeadLetter ToLetter(string warehouseId) => new()
        {
            Id = Id,
            WarehouseId = warehouseId,
            Source = Source,
            Payload = Payload,
            Reason = Reason,
            ReceivedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.FromUnixTimeMilliseconds(ReceivedAtMs)),
            Attempts = Attempts,
            Format = Format ?? CanonicalRecords.CanonicalFormat,
            Origin = Origin ?? "",
        };

        /// <summary>The record to read again: its payload, times and origin as first received, its next attempt.</summary>
        public SourceRecord ToSource()
        {
            using var payload = JsonDocument.Parse(Payload);
            var received = DateTimeOffset.FromUnixTimeMilliseconds(SourceReceivedMs ?? ReceivedAtMs);
            return new SourceRecord(payload.RootElement.Clone(), received, SourceFallbackMs is long fallback ? DateTimeOffset.FromUnixTimeMilliseconds(fallback) : received)
            {
                Origin = Origin ?? "",
                Attempt = Attempts + 1,
            };
        }
    }
}
