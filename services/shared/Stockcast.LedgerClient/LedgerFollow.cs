using Stockcast.Ledger.V1;

namespace Stockcast.LedgerClient;

/// <summary>What to follow of the ledger called <paramref name="Name"/> (a client registered under that name) and how.</summary>
public sealed record LedgerFollow(string Name)
{
    /// <summary>Null: every record (ListStock, then the whole Watch). Otherwise only these SKUs (BatchGetStock, then a Watch filtered to them).</summary>
    public IFollowedSkus? Skus { get; init; }

    /// <summary>Seconds between the ledger's progress notifications on a quiet Watch; 0 = the ledger's own default.</summary>
    public int ProgressIntervalSeconds { get; init; }
}

/// <summary>A changing set of SKUs to follow (the SKUs of a service's rooms, say).</summary>
public interface IFollowedSkus
{
    /// <summary>The SKUs to follow now.</summary>
    IReadOnlySet<string> Current();

    /// <summary>Cancelled when <see cref="Current"/> may have changed: the follower then reads the new set, if it differs, and watches it.</summary>
    CancellationToken NextChange { get; }
}

/// <summary>A record taken into a mirror, the one it replaced, and why it changed (Unspecified when read rather than watched).</summary>
public readonly record struct TakenRecord(StockRecord Record, StockRecord? Previous, ChangeCause Cause);
