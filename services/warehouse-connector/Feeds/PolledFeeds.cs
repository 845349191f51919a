namespace Stockcast.Connector.Feeds;

/// <summary>What one full read of a feed did.</summary>
public sealed record SyncResult(int Received = 0, int Applied = 0, int DeadLettered = 0)
{
    public SyncResult Add(IntakeResult r) => new(Received + r.Received, Applied + r.Applied, DeadLettered + r.DeadLettered.Count);
}

/// <summary>A feed read by polling the warehouse's API, one read at a time.</summary>
public interface IPolledFeed
{
    string Source { get; }

    /// <param name="full">The whole picture (reconciliation, on demand); otherwise only what changed since the
    /// feed's durable cursor, where the API can say so.</param>
    Task<SyncResult> ReadAsync(FeedOptions feed, bool full, CancellationToken cancellationToken);
}

/// <summary>The warehouse's API answered in a way that stops this read (it is retried with backoff).</summary>
public sealed class FeedException(string message) : Exception(message);
