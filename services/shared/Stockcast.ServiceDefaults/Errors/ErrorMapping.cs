using System.Globalization;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using StackExchange.Redis;

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

    /// <summary>How long a client should wait before retrying an UNAVAILABLE answer.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);

    /// <summary>The status for a domain or Redis failure, or null when the exception is not one we map (a bug: UNKNOWN/500).</summary>
    public static RpcException? ToRpcException(Exception exception)
    {
        var mapped = exception switch
        {
            DomainException e => new Mapped(CodeOf(e), e.Message, e.Reason, e.Details),
            _ when IsRedisFailure(exception) => new Mapped(Code.Unavailable, $"the store is unavailable: {exception.Message}", "STORE_UNAVAILABLE", NoDetails),
            _ => (Mapped?)null,
        };
        if (mapped is not var (status, message, reason, details))
        {
            return null;
        }
        var rich = new Google.Rpc.Status { Code = (int)status, Message = message };
        var trailers = new Metadata();
        if (exception is InvalidFieldException invalid)
        {
            rich.Details.Add(Any.Pack(new BadRequest { FieldViolations = { new BadRequest.Types.FieldViolation { Field = invalid.Field, Description = invalid.Problem } } }));
            trailers.Add(FieldTrailer, invalid.Field);
        }
        var info = new ErrorInfo { Reason = reason, Domain = Domain };
        foreach (var (key, value) in details)
        {
            info.Metadata[key] = value;
            trailers.Add("stockcast-" + key, value);
        }
        rich.Details.Add(Any.Pack(info));
        if (status == Code.Unavailable)
        {
            rich.Details.Add(Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(RetryAfter) }));
        }
        trailers.Add("grpc-status-details-bin", rich.ToByteArray());
        return new RpcException(new global::Grpc.Core.Status((StatusCode)status, message), trailers);
    }

    private static readonly IReadOnlyDictionary<string, string> NoDetails = new Dictionary<string, string>();

    private readonly record struct Mapped(Code Code, string Message, string Reason, IReadOnlyDictionary<string, string> Details);

    private static Code CodeOf(DomainException exception) => exception switch
    {
        InvalidFieldException => Code.InvalidArgument,
        NotFoundException => Code.NotFound,
        AlreadyExistsException => Code.AlreadyExists,
        PreconditionFailedException => Code.FailedPrecondition,
        UnavailableException => Code.Unavailable,
        _ => Code.Internal,
    };

    /// <summary>
    /// The HTTP answer (status, detail, field) for a domain failure, a Redis failure, or a gRPC
    /// error from a service this endpoint called; null when it is none of those (a bug: 500).
    /// </summary>
    public static (int Status, string Detail, string? Field)? ToHttp(Exception exception) => exception switch
    {
        InvalidFieldException e => (StatusCodes.Status400BadRequest, e.Message, e.Field),
        NotFoundException e => (StatusCodes.Status404NotFound, e.Message, null),
        AlreadyExistsException or PreconditionFailedException => (StatusCodes.Status409Conflict, exception.Message, null),
        UnavailableException e => (StatusCodes.Status503ServiceUnavailable, e.Message, null),
        _ when IsRedisFailure(exception) => (StatusCodes.Status503ServiceUnavailable, "the store is unavailable; retry shortly", null),
        RpcException { StatusCode: StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted or StatusCode.Aborted } e
            => (StatusCodes.Status503ServiceUnavailable, $"a service this call needs is unavailable ({e.StatusCode}); retry shortly", null),
        RpcException { StatusCode: StatusCode.NotFound } e => (StatusCodes.Status404NotFound, e.Status.Detail, null),
        RpcException { StatusCode: StatusCode.InvalidArgument } e => (StatusCodes.Status400BadRequest, e.Status.Detail, e.Trailers.GetValue(FieldTrailer)),
        _ => null,
    };

    /// <summary>Connection loss, timeouts and server errors (LOADING, READONLY, BUSY, TRYAGAIN…) of the Redis client.</summary>
    public static bool IsRedisFailure(Exception exception)
        => exception is RedisException or RedisTimeoutException
            || exception is AggregateException { InnerExceptions: [var inner] } && IsRedisFailure(inner);

    /// <summary>Seconds for a Retry-After header.</summary>
    public static string RetryAfterSeconds => ((int)Math.Ceiling(RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
}
