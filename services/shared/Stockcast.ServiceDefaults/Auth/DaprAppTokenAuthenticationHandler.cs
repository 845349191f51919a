using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Stockcast.ServiceDefaults.Auth;

public sealed class DaprAppTokenOptions : AuthenticationSchemeOptions
{
    /// <summary>The app API token the sidecar sends; an empty one lets nobody in.</summary>
    public string Token { get; set; } = "";
}

/// <summary>
/// Authenticates the Dapr sidecar by the app API token it sends in the dapr-api-token header
/// (<see cref="SecretComparison"/>).
/// </summary>
public sealed class DaprAppTokenAuthenticationHandler(IOptionsMonitor<DaprAppTokenOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<DaprAppTokenOptions>(options, logger, encoder)
{
    public const string SchemeName = "DaprAppToken";

    /// <summary>The header Dapr sends the app API token in.</summary>
    public const string Header = "dapr-api-token";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? presented = Request.Headers[Header];
        if (string.IsNullOrEmpty(presented))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }
        if (!SecretComparison.Same(presented, Options.Token))
        {
            return Task.FromResult(AuthenticateResult.Fail("Wrong Dapr app API token."));
        }
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "dapr-sidecar")], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }
}
