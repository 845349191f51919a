using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Stockcast.ServiceDefaults.Redis;

namespace Stockcast.ServiceDefaults.Errors;

/// <summary>
/// The one translation from what went wrong to what a client sees. gRPC answers use the standard
/// rich error model (google.rpc.Status with BadRequest field violations, ErrorInfo and RetryInfo in
/// the grpc-status-details-bin trailer), so any gRPC client can read which field was wrong; the
/// message stays the human sentence it always was. Redis trouble is UNAVAILABLE (retryable), never UNKNOWN.
/// </summary>
public static class ErrorMapping
{
    public const string Domain = "stockcast";

    /// <summary>Trailer naming the offending request field on INVALID_ARGUMENT (also in the BadRequest detail).</summary>
    public const string FieldTrailer = "stockcast-field";

    /// <summary>Each detail of a domain exception is also sent as the trailer "stockcast-&lt;key&gt;", for clients that read no status details.</summary>
    public const string DetailTrailerPrefix = "stockcast-";

    /// <summary>The ErrorInfo reason of a Redis failure.</summary>
    public const string StoreUnavailable = "STORE_UNAVAILABLE";

    /// <summary>How long a client should wait before retrying an UNAVAILABLE answer.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);

    /// <summary>Seconds for a Retry-After header.</summary>
    public static string RetryAfterSeconds => ((int)Math.Ceiling(RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    /// <summary>The status for a domain or Redis failure, or null when the exception is not one we map (a bug: UNKNOWN).</summary>
    public static RpcException? ToRpcException(Exception exception)
    {
        if (AsDomainException(exception) is not { } failure)
        {
            return null;
        }
        var code = CodeOf(failure);
        var rich = new Google.Rpc.Status { Code = (int)code, Message = failure.Message };
        var trailers = new Metadata();
        if (failure is InvalidFieldException invalid)
        {
            rich.Details.Add(Any.Pack(new BadRequest { FieldViolations = { new BadRequest.Types.FieldViolation { Field = invalid.Field, Description = invalid.Problem } } }));
            trailers.Add(FieldTrailer, invalid.Field);
        }
        var info = new ErrorInfo { Reason = failure.Reason, Domain = Domain };
        foreach (var (key, value) in failure.Details)
        {
            info.Metadata[key] = value;
            trailers.Add(DetailTrailerPrefix + key, value);
        }
        rich.Details.Add(Any.Pack(info));
        if (code == Code.Unavailable)
        {
            rich.Details.Add(Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(RetryAfter) }));
        }
        trailers.SetRpcStatus(rich);
        return new RpcException(new global::Grpc.Core.Status((StatusCode)code, failure.Message), trailers);
    }

    /// <summary>
    /// The HTTP answer (status, detail, field) for a domain failure, a Redis failure, or a gRPC error
    /// from a service this endpoint called; null when it is none of those (a bug: 500).
    /// </summary>
    public static (int Status, string Detail, string? Field)? ToHttp(Exception exception) => AsDomainException(exception) switch
    {
        InvalidFieldException e => (StatusCodes.Status400BadRequest, e.Message, e.Field),
        NotFoundException e => (StatusCodes.Status404NotFound, e.Message, null),
        AlreadyExistsException e => (StatusCodes.Status409Conflict, e.Message, null),
        PreconditionFailedException e => (StatusCodes.Status409Conflict, e.Message, null),
        UnavailableException e => (StatusCodes.Status503ServiceUnavailable, e.Message, null),
        _ => exception switch
        {
            RpcException { StatusCode: StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted or StatusCode.Aborted } e
                => (StatusCodes.Status503ServiceUnavailable, $"a service this call needs is unavailable ({e.StatusCode}); retry shortly", null),
            // The peer refused what this service sent it: not the caller's fault, and not fixed by retrying at once.
            RpcException e => (StatusCodes.Status502BadGateway, $"a service this call needs refused it ({e.StatusCode})", null),
            _ => null,
        },
    };

    /// <summary>The domain failure an exception stands for: itself, or UNAVAILABLE for a failing store.</summary>
    private static DomainException? AsDomainException(Exception exception) => exception switch
    {
        DomainException e => e,
        // The client's own message names endpoints and internals: the caller gets the plain fact.
        _ when RedisFaults.IsTransient(exception) => new UnavailableException("the store is unavailable; retry shortly", StoreUnavailable),
        _ => null,
    };

    private static Code CodeOf(DomainException exception) => exception switch
    {
        InvalidFieldException => Code.InvalidArgument,
        NotFoundException => Code.NotFound,
        AlreadyExistsException => Code.AlreadyExists,
        PreconditionFailedException => Code.FailedPrecondition,
        UnavailableException => Code.Unavailable,
        _ => Code.Internal,
    };
}
