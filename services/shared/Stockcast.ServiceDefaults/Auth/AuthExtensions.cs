using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Stockcast.ServiceDefaults.Auth;

/// <summary>The policies every service puts on its gRPC methods and HTTP endpoints (docs/security.md, "Who may call what").</summary>
public static class Policies
{
    /// <summary>Reads: any valid key (every role reads); open to anyone only when Auth:AllowAnonymousReads is true.</summary>
    public const string Read = "stockcast-read";

    /// <summary>Writes: a key with Access=Write or Admin.</summary>
    public const string Write = "stockcast-write";

    /// <summary>Configuration (rooms and their tokens, alert rules, dead-letter replay and purge): a key with Access=Admin.</summary>
    public const string Admin = "stockcast-admin";

    /// <summary>Endpoints only the Dapr sidecar calls: the app API token in the dapr-api-token header.</summary>
    public const string DaprApp = "stockcast-dapr-app";
}

public static class AuthExtensions
{
    public static IHostApplicationBuilder AddApiKeyAuth(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<ApiKeyOptions>(builder.Configuration, ApiKeyOptions.Section);
        builder.Services.AddSingleton<ApiKeyDirectory>();
        // No default scheme: a key is checked only where a policy asks for it.
        builder.Services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorization();
        // Authentication pulls in data protection, which API keys never use: keep its keys in
        // memory so nothing is written to a (read-only) root filesystem.
        builder.Services.AddDataProtection().UseEphemeralDataProtectionProvider();
        builder.Services.AddOptions<AuthorizationOptions>().Configure<IOptions<ApiKeyOptions>>((authz, keys) =>
        {
            authz.AddPolicy(Policies.Admin, p => p
                .AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
                .RequireClaim(ApiKeyAuthenticationHandler.AccessClaim, nameof(ApiKeyAccess.Admin)));
            authz.AddPolicy(Policies.Write, p => p
                .AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
                .RequireClaim(ApiKeyAuthenticationHandler.AccessClaim, nameof(ApiKeyAccess.Write)));
            authz.AddPolicy(Policies.Read, p =>
            {
                if (keys.Value.AllowAnonymousReads)
                {
                    p.RequireAssertion(_ => true);
                }
                else
                {
                    p.AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
                        .RequireClaim(ApiKeyAuthenticationHandler.AccessClaim, nameof(ApiKeyAccess.Read));
                }
            });
            authz.AddPolicy(Policies.DaprApp, p => p
                .AddAuthenticationSchemes(DaprAppTokenAuthenticationHandler.SchemeName)
                .RequireAuthenticatedUser());
        });
        return builder;
    }

    /// <summary>
    /// Lets the Dapr sidecar in where <see cref="Policies.DaprApp"/> is required: the app API token
    /// (the sidecar's APP_API_TOKEN, from a Secret) is what it must send; empty is refused at start-up
    /// by the caller's options, never taken to mean "open".
    /// </summary>
    public static IHostApplicationBuilder AddDaprAppToken(this IHostApplicationBuilder builder, string appApiToken)
    {
        builder.Services.AddAuthentication()
            .AddScheme<DaprAppTokenOptions, DaprAppTokenAuthenticationHandler>(DaprAppTokenAuthenticationHandler.SchemeName, o => o.Token = appApiToken);
        return builder;
    }
}
