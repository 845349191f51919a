using System.Collections.Concurrent;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;

namespace Stockcast.Testing;

/// <summary>
/// Which of the authorization matrix's probes (a request carrying <see cref="Header"/>) the host's
/// authorization let through. The matrix waits for a call's answer or for this, so a stream that
/// stays open is known to be past authorization however slow the machine is, instead of guessed
/// from a call that has not answered yet.
/// </summary>
public sealed class AuthorizationProbes
{
    public const string Header = "stockcast-matrix-probe";

    private readonly ConcurrentDictionary<string, TaskCompletionSource> _passed = new(StringComparer.Ordinal);

    /// <summary>Completes once authorization has let the probe <paramref name="id"/> through to its endpoint.</summary>
    public Task Passed(string id) => Entry(id).Task;

    private void Record(HttpContext context, PolicyAuthorizationResult result)
    {
        if (result.Succeeded && context.Request.Headers[Header] is [{ } id])
        {
            Entry(id).TrySetResult();
        }
    }

    private TaskCompletionSource Entry(string id) => _passed.GetOrAdd(id, _ => new(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>ASP.NET Core's own result handler, telling the probes first what it was given.</summary>
    internal sealed class RecordingResultHandler(AuthorizationProbes probes) : IAuthorizationMiddlewareResultHandler
    {
        private readonly AuthorizationMiddlewareResultHandler _default = new();

        public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
        {
            probes.Record(context, authorizeResult);
            return _default.HandleAsync(next, context, policy, authorizeResult);
        }
    }
}
