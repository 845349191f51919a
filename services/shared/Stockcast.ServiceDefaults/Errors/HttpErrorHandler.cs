using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;

namespace Stockcast.ServiceDefaults.Errors;

/// <summary>
/// The HTTP edge's mapping (<see cref="ErrorMapping"/>): domain failures become problem details with
/// the right status and the field that was wrong; an unavailable store or peer is 503 with
/// Retry-After, never 500. Anything else is left to the default handler (500).
/// </summary>
public sealed class HttpErrorHandler(IProblemDetailsService problems, ILogger<HttpErrorHandler> log) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken cancellationToken)
    {
        if (ErrorMapping.ToHttp(exception) is not { } answer || http.Response.HasStarted)
        {
            return false;
        }
        if (exception is not DomainException)
        {
            // Handled exceptions are not logged by the middleware: the cause of a 502/503 would be lost.
            log.LogWarning("{Path} answered {Status}: {Cause}", http.Request.Path, answer.Status, exception.Message);
        }
        http.Response.StatusCode = answer.Status;
        if (answer.Status == StatusCodes.Status503ServiceUnavailable)
        {
            http.Response.Headers.RetryAfter = ErrorMapping.RetryAfterSeconds;
        }
        // The human sentence goes in both, as the endpoints answered before this handler: the board page shows "title", pushers read "detail".
        var problem = new ProblemDetails { Status = answer.Status, Title = answer.Detail, Detail = answer.Detail };
        if (answer.Field is { } field)
        {
            problem.Extensions["field"] = field;
        }
        // The status is the answer; a client that accepts no JSON still gets it, without a body.
        await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem, Exception = exception });
        return true;
    }
}
