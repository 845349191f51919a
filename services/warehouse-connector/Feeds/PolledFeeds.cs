using Stockcast.Ledger.V1;

namespace Stockcast.Connector.Feeds;

/// <summary>What one read of a feed did; a reconciling read also says what drift it found.</summary>
public sealed record SyncResult(int Received = 0, int Applied = 0, int DeadLettered = 0)
{
    public int SkusDrifted { get; init; }
    public long DriftUnits { get; init; }
    public int SkusMissing { get; init; }

    public SyncResult Add(IntakeResult r) => this with { Received = Received + r.Received, Applied = Applied + r.Applied, DeadLettered = DeadLettered + r.DeadLettered.Count };
}

/// <summary>
/// One read of a polled feed. A reconciling read (a full read of a feed that gives its whole
/// picture) also collects, batch by batch, the SKUs it saw and where the ledger differed.
/// </summary>
public sealed class FeedRead(FeedOptions feed, bool full, bool reconciles)
{
    public FeedOptions Feed => feed;

    /// <summary>The whole picture rather than what changed since the feed's cursor.</summary>
    public bool Full => full;

    public bool Reconciles => reconciles;

    /// <summary>The feed lease's fence this read's ledger batches carry (null: not read under a lease).</summary>
    public WriterFence? Fence { get; init; }

    public HashSet<string> SeenSkus { get; } = new(StringComparer.Ordinal);

    /// <summary>SKUs whose ledger on-hand or available differed from the warehouse's figures.</summary>
    public List<(string Sku, long LedgerOnHand, long WarehouseOnHand)> Drifted { get; } = [];
}

/// <summary>The one named HTTP client the polled feeds call warehouses' APIs with (ShipBob, Amazon FBA, CK1).</summary>
public static class WarehouseApiClient
{
    public const string Name = "warehouse-apis";
}

/// <summary>A feed read by polling the warehouse's API, one read at a time.</summary>
public interface IPolledFeed
{
    string Source { get; }

    /// <summary>True when a full read returns every SKU the warehouse holds (so it can be reconciled against the ledger).</summary>
    bool GivesWholePicture { get; }

    /// <param name="read">The feed, and whether to read the whole picture (reconciliation, on demand) or only what
    /// changed since the feed's durable cursor, where the API can say so.</param>
    Task<SyncResult> ReadAsync(FeedRead read, CancellationToken cancellationToken);
}

/// <summary>The warehouse's API answered in a way that stops this read (it is retried with backoff).</summary>
public sealed class FeedException(string message) : Exception(message);
