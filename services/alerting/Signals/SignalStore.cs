using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;
using Stockcast.Alerting.V1;
using Stockcast.ServiceDefaults.Errors;
using Stockcast.ServiceDefaults.Identifiers;
using Stockcast.ServiceDefaults.Redis;
using StackExchange.Redis;

namespace Stockcast.Alerting.Signals;

/// <summary>
/// Sales and demand signals, from Ingest or Dapr, on any replica: validated as a whole first
/// (nothing of a bad batch is taken), then each kept once per event id — the dedup mark and the
/// append happen in one script, so a redelivery (Dapr is at-least-once) is never counted twice,
/// even when it reaches another replica. Every replica follows the stream to learn the rates.
/// </summary>
public sealed class SignalStore(IConnectionMultiplexer redis, MalformedEntries malformed, IOptions<RedisOptions> redisOptions, IOptions<AlertingOptions> options, TimeProvider clock)
{
    public const int MaxPerBatch = 1000;
    private const long MaxQuantity = 1_000_000;

    // KEYS[1] = signal stream; ARGV = dedup prefix, ttl seconds, maxlen, then (event id, message) pairs.
    private const string AppendScript = """
        local accepted = 0
        for i = 4, #ARGV, 2 do
          if redis.call('SET', ARGV[1] .. ARGV[i], '1', 'NX', 'EX', ARGV[2]) then
            redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], '*', 'm', ARGV[i + 1])
            accepted = accepted + 1
          end
        end
        return accepted
        """;

    private readonly string _dedupPrefix = redisOptions.Value.KeyPrefix + "al:sig:";

    public MessageStream<Signal> Stream { get; } = new(redis, malformed, "signals", redisOptions.Value.KeyPrefix + "al:signals", 500_000, Signal.Parser);

    /// <summary>Checks a batch; throws INVALID_ARGUMENT naming the first bad field.</summary>
    public static void Validate(IReadOnlyList<Signal> signals, string field = "signals")
    {
        if (signals.Count is 0 or > MaxPerBatch)
        {
            throw new InvalidFieldException(field, $"1 to {MaxPerBatch} signals per call (got {signals.Count})");
        }
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < signals.Count; i++)
        {
            var s = signals[i];
            var at = $"{field}[{i}]";
            Identifiers.EventId.Check(s.EventId, $"{at}.event_id");
            if (!ids.Add(s.EventId))
            {
                throw new InvalidFieldException($"{at}.event_id", $"'{s.EventId}' appears twice in the batch");
            }
            if (s.Kind == SignalKind.Unspecified || !System.Enum.IsDefined(s.Kind))
            {
                throw new InvalidFieldException($"{at}.kind", "must be SALE, ADD_TO_CART or SEARCH");
            }
            Identifiers.Sku.Check(s.Sku, $"{at}.sku");
            if (s.Market.Length > 0)
            {
                Identifiers.Market.Check(s.Market, $"{at}.market");
            }
            if (s.RoomId.Length > 0)
            {
                Identifiers.RoomId.Check(s.RoomId, $"{at}.room_id");
            }
            if (s.Quantity is < 0 or > MaxQuantity)
            {
                throw new InvalidFieldException($"{at}.quantity", $"must be between 0 (= 1) and {MaxQuantity}");
            }
        }
    }

    /// <summary>Keeps the signals not seen before; returns how many were new.</summary>
    public async Task<int> AppendAsync(IReadOnlyList<Signal> signals)
    {
        var now = Timestamp.FromDateTimeOffset(clock.GetUtcNow());
        var args = new List<RedisValue> { _dedupPrefix, options.Value.SignalDedupHours * 3600, Stream.Retention };
        foreach (var signal in signals)
        {
            var kept = signal.Clone();
            kept.Quantity = kept.Quantity == 0 ? 1 : kept.Quantity;
            kept.OccurredAt ??= now;
            args.Add(kept.EventId);
            args.Add(kept.ToByteArray());
        }
        var accepted = (int)(long)await redis.GetDatabase().ScriptEvaluateAsync(AppendScript, [Stream.Key], [.. args]);
        if (accepted > 0)
        {
            await Stream.NotifyAsync("");
        }
        return accepted;
    }
}
