namespace Stockcast.ServiceDefaults.Errors;

/// <summary>
/// A request the domain refuses, or cannot serve now. Domain and store code throw these; one gRPC
/// interceptor and one HTTP handler turn them into the status a client acts on (see <see cref="ErrorMapping"/>).
/// </summary>
public abstract class DomainException(string message, string reason, IReadOnlyDictionary<string, string>? details) : Exception(message)
{
    /// <summary>UPPER_SNAKE_CASE cause (google.rpc.ErrorInfo reason), stable for clients to switch on.</summary>
    public string Reason { get; } = reason;

    /// <summary>Facts a client can act on (e.g. the oldest revision still kept), sent as ErrorInfo metadata and as trailers.</summary>
    public IReadOnlyDictionary<string, string> Details { get; } = details ?? new Dictionary<string, string>();
}

/// <summary>A request field is missing or malformed: INVALID_ARGUMENT / HTTP 400, naming the field.</summary>
public sealed class InvalidFieldException(string field, string problem)
    : DomainException($"{field}: {problem}", "INVALID_FIELD", null)
{
    /// <summary>The field path, as the request spells it ("events[3].sku").</summary>
    public string Field { get; } = field;

    /// <summary>What is wrong with it.</summary>
    public string Problem { get; } = problem;
}

/// <summary>What the request names does not exist: NOT_FOUND / HTTP 404.</summary>
public sealed class NotFoundException(string message) : DomainException(message, "NOT_FOUND", null);

/// <summary>What the request would create exists already, differently: ALREADY_EXISTS / HTTP 409.</summary>
public sealed class AlreadyExistsException(string message) : DomainException(message, "ALREADY_EXISTS", null);

/// <summary>
/// The request is valid but the system is not in a state to do it, and retrying the same request
/// will not help until something changes (e.g. "compacted: list again"): FAILED_PRECONDITION / HTTP 409.
/// </summary>
public sealed class PreconditionFailedException(string message, string reason = "FAILED_PRECONDITION", IReadOnlyDictionary<string, string>? details = null)
    : DomainException(message, reason, details);

/// <summary>
/// Cannot be served now, but may be shortly (a dependency is down, this replica is stopping):
/// UNAVAILABLE / HTTP 503 with Retry-After. Always safe to retry.
/// </summary>
public sealed class UnavailableException(string message, string reason = "UNAVAILABLE", IReadOnlyDictionary<string, string>? details = null)
    : DomainException(message, reason, details);
