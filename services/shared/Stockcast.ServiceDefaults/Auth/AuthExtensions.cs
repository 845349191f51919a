using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Stockcast.ServiceDefaults.Auth;

/// <summary>The two policies every service uses on its gRPC methods.</summary>
public static class Policies
{
    /// <summary>Reads: open when Auth:AllowAnonymousReads is true, otherwise any valid key.</summary>
    public const string Read = "stockcast-read";

    /// <summary>Writes: a key with Access=Write.</summary>
    public const string Write = "stockcast-write";
}

public static class AuthExtensions
{
    public static IHostApplicationBuilder AddApiKeyAuth(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<ApiKeyOptions>(builder.Configuration, ApiKeyOptions.Section);
        // No default scheme: a key is checked only where a policy asks for it, so open reads cost nothing.
        builder.Services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorization();
        // Authentication pulls in data protection, which API keys never use: keep its keys in
        // memory so nothing is written to a (read-only) root filesystem.
        builder.Services.AddDataProtection().UseEphemeralDataProtectionProvider();
        builder.Services.AddOptions<AuthorizationOptions>().Configure<IOptions<ApiKeyOptions>>((authz, keys) =>
        {
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
                    p.AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName).RequireAuthenticatedUser();
                }
            });
        });
        return builder;
    }
}
