using System.ComponentModel.DataAnnotations;

namespace Stockcast.Ledger;

public sealed class LedgerOptions : IValidatableObject
{
    public const string Section = "Ledger";

    /// <summary>Most events accepted in one ApplyStockEvents batch (one atomic Redis script).</summary>
    [Range(1, 10_000)]
    public int MaxBatchEvents { get; set; } = 1000;

    /// <summary>Largest quantity a warehouse may report; anything above is treated as a data error.</summary>
    [Range(1, 1_000_000_000_000)]
    public long MaxQuantity { get; set; } = 1_000_000_000;

    /// <summary>How far in the future a source_time may be (warehouse clock skew) before it is rejected.</summary>
    [Range(0, 86_400)]
    public int MaxClockSkewSeconds { get; set; } = 600;

    /// <summary>How long a live-room reservation is held when the caller does not say.</summary>
    [Range(1, 86_400)]
    public int DefaultHoldSeconds { get; set; } = 900;

    [Range(1, 7 * 86_400)]
    public int MaxHoldSeconds { get; set; } = 86_400;

    /// <summary>How long applied delta event ids are remembered for idempotency.</summary>
    [Range(1, 24 * 90)]
    public int IdempotencyRetentionHours { get; set; } = 168;

    /// <summary>
    /// How long released, expired and settled reservations are kept (then Redis expires them);
    /// a committed one from when it is due to settle. Within it a retried call gets the same answer.
    /// </summary>
    [Range(1, 24 * 90)]
    public int ReservationRetentionHours { get; set; } = 168;

    /// <summary>
    /// The allocation delay of a warehouse registered without one (0): how long after hand-over its
    /// reports may still count a committed order as available.
    /// </summary>
    [Range(1, WarehouseRules.MaxAllocationDelayMs)]
    public long DefaultAllocationDelayMs { get; set; } = 120_000;

    /// <summary>Approximate number of changes kept in the change log; older revisions answer "compacted".</summary>
    [Range(1_000, 100_000_000)]
    public int ChangeLogMaxLength { get; set; } = 500_000;

    /// <summary>Recent changes kept in memory for watchers (a power of two); older ones are read from Redis.</summary>
    [Range(1_024, 1 << 22)]
    public int WatchBufferSize { get; set; } = 65_536;

    /// <summary>
    /// Most records the availability view holds in memory (each about 200 bytes with its SKU); a
    /// ledger with more answers GetAvailability from Redis. 0 turns the view off.
    /// </summary>
    [Range(0, 50_000_000)]
    public int ReadViewMaxRecords { get; set; } = 2_000_000;

    /// <summary>How long GetAvailability waits for the view to reach a revision it must hold before asking Redis.</summary>
    [Range(0, 5_000)]
    public int ReadViewWaitMs { get; set; } = 20;

    /// <summary>Seconds between progress notifications on a quiet Watch stream.</summary>
    [Range(1, 300)]
    public int WatchProgressIntervalSeconds { get; set; } = 5;

    /// <summary>How often held reservations past their time are expired.</summary>
    [Range(50, 60_000)]
    public int ExpirySweepIntervalMs { get; set; } = 500;

    /// <summary>Warehouses registered at start-up (idempotent); more can be added over gRPC.</summary>
    public List<WarehouseOptions> Warehouses { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if ((WatchBufferSize & (WatchBufferSize - 1)) != 0)
        {
            yield return new ValidationResult("Ledger:WatchBufferSize must be a power of two.", [nameof(WatchBufferSize)]);
        }
        if (DefaultHoldSeconds > MaxHoldSeconds)
        {
            yield return new ValidationResult("Ledger:DefaultHoldSeconds must not exceed Ledger:MaxHoldSeconds.", [nameof(DefaultHoldSeconds)]);
        }
        for (var i = 0; i < Warehouses.Count; i++)
        {
            if (WarehouseRules.Problem(Warehouses[i].Id, Warehouses[i].Region, Warehouses[i].Markets, Warehouses[i].AllocationDelayMs) is (var field, var problem))
            {
                yield return new ValidationResult($"Ledger:Warehouses:{i}: {field}: {problem}", [nameof(Warehouses)]);
            }
        }
    }
}

public sealed class WarehouseOptions
{
    public string Id { get; set; } = "";
    public string Region { get; set; } = "";
    public List<string> Markets { get; set; } = [];
    public long AllocationDelayMs { get; set; }
}
