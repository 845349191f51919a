using Grpc.Core;
using Stockcast.ServiceDefaults.Grpc;

namespace Stockcast.Ledger.Grpc;

/// <summary>The ledger's error answers: the status code a client can act on, and the field or figure behind it.</summary>
public static class Errors
{
    public const string FieldTrailer = RpcErrors.FieldTrailer;
    public const string OldestRevisionTrailer = "stockcast-oldest-revision";
    public const string ResumeRevisionTrailer = "stockcast-resume-revision";

    public static RpcException InvalidArgument(string field, string reason) => RpcErrors.InvalidArgument(field, reason);

    public static RpcException NotFound(string what) => new(new Status(StatusCode.NotFound, what));

    public static RpcException FailedPrecondition(string reason) => new(new Status(StatusCode.FailedPrecondition, reason));

    public static RpcException Compacted(long requested, long oldest)
        => new(new Status(StatusCode.FailedPrecondition, $"compacted: revision {requested} is no longer in the change log (oldest is {oldest}); list again and watch from the list's revision"),
            new Metadata { { OldestRevisionTrailer, oldest.ToString(System.Globalization.CultureInfo.InvariantCulture) } });

    public static RpcException ShuttingDown(long resumeFrom)
        => new(new Status(StatusCode.Unavailable, $"stock-ledger is shutting down; reconnect and watch from revision {resumeFrom}"),
            new Metadata { { ResumeRevisionTrailer, resumeFrom.ToString(System.Globalization.CultureInfo.InvariantCulture) } });
}
