using Google.Protobuf.WellKnownTypes;
using Stockcast.Ledger.V1;

namespace Stockcast.Ledger.Grpc;

/// <summary>Checks requests before anything reaches Redis; the first problem found is thrown with its field path.</summary>
public sealed class RequestValidation(LedgerOptions options, TimeProvider clock)
{
    /// <summary>Largest source_version accepted: exact in the scripts' double arithmetic.</summary>
    public const long MaxSourceVersion = (1L << 53) - 1;

    private static readonly DateTimeOffset EarliestSourceTime = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public void Batch(ApplyStockEventsRequest request)
    {
        if (request.Events.Count == 0)
        {
            throw Errors.InvalidArgument("events", "a batch needs at least one event");
        }
        if (request.Events.Count > options.MaxBatchEvents)
        {
            throw Errors.InvalidArgument("events", $"{request.Events.Count} events exceed the batch limit of {options.MaxBatchEvents}");
        }
        var deltaIds = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < request.Events.Count; i++)
        {
            Event(request.Events[i], $"events[{i}]");
            if (request.Events[i].KindCase == StockEvent.KindOneofCase.Delta && !deltaIds.Add(request.Events[i].Delta.EventId))
            {
                throw Errors.InvalidArgument($"events[{i}].delta.event_id", "appears twice in the batch");
            }
        }
    }

    private void Event(StockEvent e, string path)
    {
        WarehouseId(e.WarehouseId, $"{path}.warehouse_id");
        Sku(e.Sku, $"{path}.sku");
        SourceTime(e.SourceTime, $"{path}.source_time");
        switch (e.KindCase)
        {
            case StockEvent.KindOneofCase.Snapshot:
                if (e.Snapshot.Quantities is null)
                {
                    throw Errors.InvalidArgument($"{path}.snapshot.quantities", "required");
                }
                Quantities(e.Snapshot.Quantities, $"{path}.snapshot.quantities", allowNegative: false);
                if (e.Snapshot.SourceVersion is < 1 or > MaxSourceVersion)
                {
                    throw Errors.InvalidArgument($"{path}.snapshot.source_version", $"must be between 1 and {MaxSourceVersion}");
                }
                break;
            case StockEvent.KindOneofCase.Delta:
                if (!Identifiers.IsOpaqueId(e.Delta.EventId, Identifiers.MaxIdLength))
                {
                    throw Errors.InvalidArgument($"{path}.delta.event_id", $"required: 1-{Identifiers.MaxIdLength} printable characters, no spaces");
                }
                if (e.Delta.Change is null)
                {
                    throw Errors.InvalidArgument($"{path}.delta.change", "required");
                }
                Quantities(e.Delta.Change, $"{path}.delta.change", allowNegative: true);
                if (e.Delta.SourceVersion is < 0 or > MaxSourceVersion)
                {
                    throw Errors.InvalidArgument($"{path}.delta.source_version", $"must be between 0 and {MaxSourceVersion}");
                }
                break;
            default:
                throw Errors.InvalidArgument($"{path}.kind", "set either snapshot or delta");
        }
    }

    private void Quantities(Quantities q, string path, bool allowNegative)
    {
        Quantity(q.OnHand, $"{path}.on_hand", allowNegative);
        Quantity(q.Available, $"{path}.available", allowNegative);
        Quantity(q.Reserved, $"{path}.reserved", allowNegative);
        Quantity(q.Inbound, $"{path}.inbound", allowNegative);
        Quantity(q.Unsellable, $"{path}.unsellable", allowNegative);
    }

    private void Quantity(long value, string field, bool allowNegative)
    {
        if (!allowNegative && value < 0)
        {
            throw Errors.InvalidArgument(field, $"must not be negative (got {value})");
        }
        if (Math.Abs(value) > options.MaxQuantity)
        {
            throw Errors.InvalidArgument(field, $"{value} is beyond the plausible limit of {options.MaxQuantity}");
        }
    }

    private void SourceTime(Timestamp? time, string field)
    {
        if (time is null)
        {
            throw Errors.InvalidArgument(field, "required");
        }
        if (time.Nanos is < 0 or > 999_999_999)
        {
            throw Errors.InvalidArgument(field, "is not a valid timestamp");
        }
        var at = time.ToDateTimeOffset();
        var latest = clock.GetUtcNow().AddSeconds(options.MaxClockSkewSeconds);
        if (at < EarliestSourceTime || at > latest)
        {
            throw Errors.InvalidArgument(field, $"{at:O} is outside {EarliestSourceTime:yyyy-MM-dd} .. now + {options.MaxClockSkewSeconds}s");
        }
    }

    public static void WarehouseId(string value, string field)
    {
        if (!Identifiers.IsWarehouseId(value))
        {
            throw Errors.InvalidArgument(field, value.Length == 0 ? "required" : "must be 1-64 letters, digits, '.', '_' or '-'");
        }
    }

    public static void Sku(string value, string field)
    {
        if (!Identifiers.IsOpaqueId(value, Identifiers.MaxSkuLength))
        {
            throw Errors.InvalidArgument(field, value.Length == 0 ? "required" : $"must be 1-{Identifiers.MaxSkuLength} printable characters, no spaces");
        }
    }

    public static void Market(string value, string field)
    {
        if (!Identifiers.IsCode(value))
        {
            throw Errors.InvalidArgument(field, value.Length == 0 ? "required" : "must be 1-32 letters, digits, '_' or '-'");
        }
    }

    public static void OrderId(string value, string field)
    {
        if (!Identifiers.IsOpaqueId(value, Identifiers.MaxIdLength))
        {
            throw Errors.InvalidArgument(field, value.Length == 0 ? "required" : $"must be 1-{Identifiers.MaxIdLength} printable characters, no spaces");
        }
    }
}
