using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Stockcast.ServiceDefaults.Auth;

/// <summary>
/// Authenticates "Authorization: Bearer &lt;key&gt;" against the configured keys (<see cref="ApiKeyDirectory"/>,
/// compared by <see cref="SecretComparison"/>). The caller's name becomes a claim, and so does every role its key's role includes
/// (an Admin key carries Read, Write and Admin); the key itself is never logged.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ApiKeyDirectory directory,
    ILoggerFactory logger,
    UrlEncoder encoder) : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string AccessClaim = "stockcast:access";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(AuthenticateResult.Fail("Authorization header must be 'Bearer <api key>'."));
        }
        var principal = directory.Authenticate(header.AsSpan("Bearer ".Length).Trim());
        return Task.FromResult(principal is null
            ? AuthenticateResult.Fail("Unknown API key.")
            : AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }
}
