using Google.Protobuf.WellKnownTypes;
using Stockcast.Ledger.V1;
using Stockcast.ServiceDefaults.Errors;
using Stockcast.ServiceDefaults.Identifiers;

namespace Stockcast.LedgerClient;

/// <summary>A field of a request that breaks a rule, with its path ("events[3].sku") and what is wrong.</summary>
public readonly record struct FieldProblem(string Field, string Problem)
{
    public override string ToString() => $"{Field}: {Problem}";
}

/// <summary>
/// What makes one StockEvent acceptable to the ledger: identifiers, source time range, quantity
/// limits, source_version range, a delta's event id. The ledger checks every event of a batch with
/// it; the connector checks each record with it before sending, so a batch it sends is valid by
/// construction and a bad record is a dead letter of its own. The limits default to the ledger's defaults.
/// </summary>
public sealed class StockEventRules(TimeProvider clock, long maxQuantity = StockEventRules.DefaultMaxQuantity, int maxClockSkewSeconds = StockEventRules.DefaultMaxClockSkewSeconds)
{
    public const long DefaultMaxQuantity = 1_000_000_000;
    public const int DefaultMaxClockSkewSeconds = 600;

    /// <summary>Largest source_version accepted: exact in the ledger scripts' double arithmetic.</summary>
    public const long MaxSourceVersion = (1L << 53) - 1;

    /// <summary>Source times before this are refused (an unset warehouse clock, not stock news).</summary>
    public static readonly DateTimeOffset EarliestSourceTime = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public long MaxQuantity => maxQuantity;

    public int MaxClockSkewSeconds => maxClockSkewSeconds;

    /// <summary>Throws <see cref="InvalidFieldException"/> for the first problem of the event, fields under <paramref name="path"/>.</summary>
    public void Check(StockEvent e, string path)
    {
        if (Find(e, path) is { } problem)
        {
            throw new InvalidFieldException(problem.Field, problem.Problem);
        }
    }

    /// <summary>The first problem of the event, or null when the ledger takes it. <paramref name="path"/> "" names fields from the event.</summary>
    public FieldProblem? Find(StockEvent e, string path = "")
    {
        string At(string field) => path.Length == 0 ? field : $"{path}.{field}";
        if (Identifiers.WarehouseId.Problem(e.WarehouseId) is { } badWarehouse)
        {
            return new(At("warehouse_id"), badWarehouse);
        }
        if (Identifiers.Sku.Problem(e.Sku) is { } badSku)
        {
            return new(At("sku"), badSku);
        }
        if (SourceTime(e.SourceTime) is { } badTime)
        {
            return new(At("source_time"), badTime);
        }
        return e.KindCase switch
        {
            StockEvent.KindOneofCase.Snapshot => e.Snapshot.Quantities is null ? new(At("snapshot.quantities"), "required")
                : Quantities(e.Snapshot.Quantities, At("snapshot.quantities"), allowNegative: false)
                    ?? (e.Snapshot.SourceVersion is < 1 or > MaxSourceVersion ? new(At("snapshot.source_version"), $"must be between 1 and {MaxSourceVersion}") : null),
            StockEvent.KindOneofCase.Delta => Identifiers.EventId.Problem(e.Delta.EventId) is { } badEventId ? new(At("delta.event_id"), badEventId)
                : e.Delta.Change is null ? new(At("delta.change"), "required")
                : Quantities(e.Delta.Change, At("delta.change"), allowNegative: true)
                    ?? (e.Delta.SourceVersion is < 0 or > MaxSourceVersion ? new(At("delta.source_version"), $"must be between 0 and {MaxSourceVersion}") : null),
            _ => new(At("kind"), "set either snapshot or delta"),
        };
    }

    /// <summary>Why a quantity is refused (negative where absolute, beyond the plausible limit), or null.</summary>
    public string? QuantityProblem(long value, bool allowNegative)
        => !allowNegative && value < 0 ? $"must not be negative (got {value})"
            : value > maxQuantity || value < -maxQuantity ? $"{value} is beyond the plausible limit of {maxQuantity}"
            : null;

    private FieldProblem? Quantities(Quantities q, string path, bool allowNegative)
    {
        (string Name, long Value)[] fields = [("on_hand", q.OnHand), ("available", q.Available), ("reserved", q.Reserved), ("inbound", q.Inbound), ("unsellable", q.Unsellable)];
        foreach (var (name, value) in fields)
        {
            if (QuantityProblem(value, allowNegative) is { } problem)
            {
                return new($"{path}.{name}", problem);
            }
        }
        return null;
    }

    private string? SourceTime(Timestamp? time)
    {
        if (time is null)
        {
            return "required";
        }
        if (RequestTimes.Problem(time) is { } problem)
        {
            return problem;
        }
        var at = time.ToDateTimeOffset();
        var latest = clock.GetUtcNow().AddSeconds(maxClockSkewSeconds);
        return at < EarliestSourceTime || at > latest ? $"{at:O} is outside {EarliestSourceTime:yyyy-MM-dd} .. now + {maxClockSkewSeconds}s" : null;
    }
}
