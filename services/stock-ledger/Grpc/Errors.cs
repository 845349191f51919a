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
    public const string OldestRevisionTrailer = ErrorMapping.DetailTrailerPrefix + OldestRevision;
    public const string ResumeRevisionTrailer = ErrorMapping.DetailTrailerPrefix + ResumeRevision;

    public static PreconditionFailedException Compacted(long requested, long oldest)
        => new($"compacted: revision {requested} is no longer in the change log (oldest is {oldest}); list again and watch from the list's revision",
            "COMPACTED", new Dictionary<string, string> { [OldestRevision] = oldest.ToString(CultureInfo.InvariantCulture) });

    public static UnavailableException ShuttingDown(long resumeFrom)
        => new($"stock-ledger is shutting down; reconnect and watch from revision {resumeFrom}",
            "SHUTTING_DOWN", new Dictionary<string, string> { [ResumeRevision] = resumeFrom.ToString(CultureInfo.InvariantCulture) });
}
