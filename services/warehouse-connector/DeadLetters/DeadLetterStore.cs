using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;
using Stockcast.Connector.V1;
using Stockcast.ServiceDefaults.Redis;
using StackExchange.Redis;

namespace Stockcast.Connector.DeadLetters;

/// <summary>
/// Refused records, per warehouse, kept in Redis until replayed: a hash of id -> letter and a
/// sorted set of id -> arrival time for newest-first listing. Both share the namespace hash tag.
/// </summary>
public sealed class DeadLetterStore(IConnectionMultiplexer redis, IOptions<RedisOptions> redisOptions, TimeProvider clock)
{
    private readonly string _prefix = redisOptions.Value.KeyPrefix + "cn:";

    private IDatabase Db => redis.GetDatabase();
    private RedisKey Letters(string warehouseId) => _prefix + "dl:" + warehouseId;
    private RedisKey Arrivals(string warehouseId) => _prefix + "dlx:" + warehouseId;

    /// <summary>
    /// Keeps a refused record. The same problem seen again (same SKU, event id and reason: a polled
    /// feed re-reads a broken record every cycle) replaces its letter instead of piling up copies.
    /// </summary>
    public async Task<DeadLetter> AddAsync(string warehouseId, string source, string payload, string reason, int attempts = 1)
    {
        var letter = new DeadLetter
        {
            Id = IdOf(payload, reason),
            WarehouseId = warehouseId,
            Source = source,
            Payload = payload,
            Reason = reason,
            ReceivedAt = Timestamp.FromDateTimeOffset(clock.GetUtcNow()),
            Attempts = attempts,
        };
        var transaction = Db.CreateTransaction();
        _ = transaction.HashSetAsync(Letters(warehouseId), letter.Id, JsonSerializer.Serialize(Stored.From(letter)));
        _ = transaction.SortedSetAddAsync(Arrivals(warehouseId), letter.Id, clock.GetUtcNow().ToUnixTimeMilliseconds());
        await transaction.ExecuteAsync();
        return letter;
    }

    private static string IdOf(string payload, string reason)
    {
        string? sku = null, eventId = null;
        try
        {
            using var json = JsonDocument.Parse(payload);
            if (json.RootElement.ValueKind == JsonValueKind.Object)
            {
                sku = json.RootElement.TryGetProperty("sku", out var s) ? s.GetRawText() : null;
                eventId = json.RootElement.TryGetProperty("eventId", out var e) ? e.GetRawText() : null;
            }
        }
        catch (JsonException)
        {
            // Not JSON at all: the payload itself identifies the problem.
        }
        var identity = sku is null && eventId is null ? payload : $"{sku}|{eventId}";
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(identity + "\n" + reason)))[..32].ToLowerInvariant();
    }

    public async Task<IReadOnlyList<DeadLetter>> ListAsync(string warehouseId, int limit, IReadOnlyCollection<string>? ids = null)
    {
        var wanted = ids is { Count: > 0 }
            ? ids.Select(i => (RedisValue)i).ToArray()
            : await Db.SortedSetRangeByRankAsync(Arrivals(warehouseId), 0, limit - 1, StackExchange.Redis.Order.Descending);
        if (wanted.Length == 0)
        {
            return [];
        }
        var values = await Db.HashGetAsync(Letters(warehouseId), wanted);
        return [.. values.Where(v => v.HasValue).Select(v => JsonSerializer.Deserialize<Stored>((string)v!)!.ToLetter(warehouseId))];
    }

    public async Task<long> CountAsync(string warehouseId) => await Db.HashLengthAsync(Letters(warehouseId));

    public async Task RemoveAsync(string warehouseId, string id)
    {
        var transaction = Db.CreateTransaction();
        _ = transaction.HashDeleteAsync(Letters(warehouseId), id);
        _ = transaction.SortedSetRemoveAsync(Arrivals(warehouseId), id);
        await transaction.ExecuteAsync();
    }

    private sealed record Stored(string Id, string Source, string Payload, string Reason, long ReceivedAtMs, int Attempts)
    {
        public static Stored From(DeadLetter l) => new(l.Id, l.Source, l.Payload, l.Reason, l.ReceivedAt.ToDateTimeOffset().ToUnixTimeMilliseconds(), l.Attempts);

        public DeadLetter ToLetter(string warehouseId) => new()
        {
            Id = Id,
            WarehouseId = warehouseId,
            Source = Source,
            Payload = Payload,
            Reason = Reason,
            ReceivedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.FromUnixTimeMilliseconds(ReceivedAtMs)),
            Attempts = Attempts,
        };
    }
}
