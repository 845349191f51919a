using Google.Protobuf.WellKnownTypes;
using Stockcast.Ledger.V1;
using Stockcast.ServiceDefaults.Errors;
using Stockcast.ServiceDefaults.Identifiers;

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
            throw new InvalidFieldException("events", "a batch needs at least one event");
        }
        if (request.Events.Count > options.MaxBatchEvents)
        {
            throw new InvalidFieldException("events", $"{request.Events.Count} events exceed the batch limit of {options.MaxBatchEvents}");
        }
        if (request.Fence is { } fence)
        {
            Identifiers.EventId.Check(fence.Name, "fence.name");
            if (fence.Term < 1)
            {
                throw new InvalidFieldException("fence.term", "must be at least 1");
            }
        }
        var deltaIds = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < request.Events.Count; i++)
        {
            Event(request.Events[i], $"events[{i}]");
            if (request.Events[i].KindCase == StockEvent.KindOneofCase.Delta && !deltaIds.Add(request.Events[i].Delta.EventId))
            {
                throw new InvalidFieldException($"events[{i}].delta.event_id", "appears twice in the batch");
            }
        }
    }

    private void Event(StockEvent e, string path)
    {
        Identifiers.WarehouseId.Check(e.WarehouseId, $"{path}.warehouse_id");
        Identifiers.Sku.Check(e.Sku, $"{path}.sku");
        SourceTime(e.SourceTime, $"{path}.source_time");
        switch (e.KindCase)
        {
            case StockEvent.KindOneofCase.Snapshot:
                if (e.Snapshot.Quantities is null)
                {
                    throw new InvalidFieldException($"{path}.snapshot.quantities", "required");
                }
                Quantities(e.Snapshot.Quantities, $"{path}.snapshot.quantities", allowNegative: false);
                if (e.Snapshot.SourceVersion is < 1 or > MaxSourceVersion)
                {
                    throw new InvalidFieldException($"{path}.snapshot.source_version", $"must be between 1 and {MaxSourceVersion}");
                }
                break;
            case StockEvent.KindOneofCase.Delta:
                Identifiers.EventId.Check(e.Delta.EventId, $"{path}.delta.event_id");
                if (e.Delta.Change is null)
                {
                    throw new InvalidFieldException($"{path}.delta.change", "required");
                }
                Quantities(e.Delta.Change, $"{path}.delta.change", allowNegative: true);
                if (e.Delta.SourceVersion is < 0 or > MaxSourceVersion)
                {
                    throw new InvalidFieldException($"{path}.delta.source_version", $"must be between 0 and {MaxSourceVersion}");
                }
                break;
            default:
                throw new InvalidFieldException($"{path}.kind", "set either snapshot or delta");
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
            throw new InvalidFieldException(field, $"must not be negative (got {value})");
        }
        if (Math.Abs(value) > options.MaxQuantity)
        {
            throw new InvalidFieldException(field, $"{value} is beyond the plausible limit of {options.MaxQuantity}");
        }
    }

    private void SourceTime(Timestamp? time, string field)
    {
        if (time is null)
        {
            throw new InvalidFieldException(field, "required");
        }
        if (time.Nanos is < 0 or > 999_999_999)
        {
            throw new InvalidFieldException(field, "is not a valid timestamp");
        }
        var at = time.ToDateTimeOffset();
        var latest = clock.GetUtcNow().AddSeconds(options.MaxClockSkewSeconds);
        if (at < EarliestSourceTime || at > latest)
        {
            throw new InvalidFieldException(field, $"{at:O} is outside {EarliestSourceTime:yyyy-MM-dd} .. now + {options.MaxClockSkewSeconds}s");
        }
    }
}
