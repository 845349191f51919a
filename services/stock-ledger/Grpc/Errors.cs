using System.Globalization;
using Stockcast.ServiceDefaults.Errors;

namespace Stockcast.Ledger.Grpc;

/// <summary>
/// The ledger's own refusals that carry the figure a client acts on. The edge sends each figure as
/// ErrorInfo metadata and as a "stockcast-…" trailer (<see cref="ErrorMapping"/>).
/// </summary>
public static class Errors
{
    public const string OldestRevision = "oldest-revision";
    public const string ResumeRevision = "resume-revision";
    public const string CurrentRevision = "current-revision";
    public const string Field = "field";
    public const string OldestRevisionTrailer = ErrorMapping.DetailTrailerPrefix + OldestRevision;
    public const string ResumeRevisionTrailer = ErrorMapping.DetailTrailerPrefix + ResumeRevision;
    public const string CurrentRevisionTrailer = ErrorMapping.DetailTrailerPrefix + CurrentRevision;

    public static PreconditionFailedException Compacted(long requested, long oldest)
        => new($"compacted: revision {requested} is no longer in the change log (oldest is {oldest}); list again and watch from the list's revision",
            "COMPACTED", new Dictionary<string, string> { [OldestRevision] = oldest.ToString(CultureInfo.InvariantCulture) });

    /// <summary>The change log went back (Redis lost its latest writes): revisions the watcher holds may now name other changes.</summary>
    public static PreconditionFailedException Regressed(long held, long current)
        => new($"regressed: the ledger's revision went back from {held} to {current} (its store lost its latest writes); list again and watch from the list's revision",
            "REVISION_REGRESSED", new Dictionary<string, string> { [CurrentRevision] = current.ToString(CultureInfo.InvariantCulture) });

    /// <summary>The hold passed before the order was committed: its units count again, and a retry cannot revive it.</summary>
    public static PreconditionFailedException ReservationExpired(string orderId)
        => new($"reservation expired: order '{orderId}' was not committed within its hold time and its units count again; reserve under a new order id",
            "RESERVATION_EXPIRED", new Dictionary<string, string> { [Field] = "order_id" });

    public static UnavailableException ShuttingDown(long resumeFrom)
        => new($"stock-ledger is shutting down; reconnect and watch from revision {resumeFrom}",
            "SHUTTING_DOWN", new Dictionary<string, string> { [ResumeRevision] = resumeFrom.ToString(CultureInfo.InvariantCulture) });
}
