using Stockcast.Ledger.V1;
using Stockcast.LedgerClient;
using Stockcast.ServiceDefaults.Errors;
using Stockcast.ServiceDefaults.Identifiers;

namespace Stockcast.Ledger.Grpc;

/// <summary>
/// Checks requests before anything reaches Redis; the first problem found is thrown with its field
/// path. Each event is checked with the shared <see cref="StockEventRules"/> (the connector checks
/// its records with the same rules); what concerns the batch as a whole is checked here.
/// </summary>
public sealed class RequestValidation(LedgerOptions options, TimeProvider clock)
{
    private readonly StockEventRules _events = new(clock, options.MaxQuantity, options.MaxClockSkewSeconds);

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
            _events.Check(request.Events[i], $"events[{i}]");
            if (request.Events[i].KindCase == StockEvent.KindOneofCase.Delta && !deltaIds.Add(request.Events[i].Delta.EventId))
            {
                throw new InvalidFieldException($"events[{i}].delta.event_id", "appears twice in the batch");
            }
        }
    }
}
