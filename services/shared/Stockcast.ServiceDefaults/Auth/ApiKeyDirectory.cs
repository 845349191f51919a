using System.Security.Claims;
using Microsoft.Extensions.Options;

namespace Stockcast.ServiceDefaults.Auth;

/// <summary>
/// The configured API keys as the handler checks them on every call: each key's SHA-256 digest and
/// the claims it grants, worked out once per configuration (rebuilt when the options change), so a
/// call costs one digest of the presented key and a fixed-time comparison per configured key.
/// </summary>
public sealed class ApiKeyDirectory(IOptionsMonitor<ApiKeyOptions> apiKeys)
{
    private Snapshot? _current;

    /// <summary>The caller a presented key belongs to, or null for an unknown key.</summary>
    public ClaimsPrincipal? Authenticate(ReadOnlySpan<char> presented)
    {
        var entries = Current().Entries;
        Span<byte> digest = stackalloc byte[SecretComparison.DigestBytes];
        SecretComparison.Digest(presented, digest);
        foreach (var entry in entries)
        {
            if (SecretComparison.Same(digest, entry.Digest))
            {
                return entry.Principal();
            }
        }
        return null;
    }

    private Snapshot Current()
    {
        var options = apiKeys.CurrentValue;
        var snapshot = _current;
        if (snapshot?.Options != options)
        {
            // Two threads may build the same snapshot at a change; either is right.
            snapshot = new Snapshot(options, [.. options.ApiKeys.Where(k => k.Key.Length > 0).Select(k => new Entry(k))]);
            _current = snapshot;
        }
        return snapshot;
    }

    private sealed record Snapshot(ApiKeyOptions Options, Entry[] Entries);

    private sealed class Entry(ApiKey key)
    {
        private readonly string _name = key.Name;
        private readonly string[] _roles = [.. Enum.GetValues<ApiKeyAccess>().Where(role => key.Access.Grants(role)).Select(role => role.ToString())];

        public byte[] Digest { get; } = SecretComparison.Digest(key.Key);

        /// <summary>A principal of its own per call: the request may add to it, and must not change another's.</summary>
        public ClaimsPrincipal Principal()
        {
            var claims = new Claim[_roles.Length + 1];
            claims[0] = new Claim(ClaimTypes.Name, _name);
            for (var i = 0; i < _roles.Length; i++)
            {
                claims[i + 1] = new Claim(ApiKeyAuthenticationHandler.AccessClaim, _roles[i]);
            }
            return new ClaimsPrincipal(new ClaimsIdentity(claims, ApiKeyAuthenticationHandler.SchemeName));
        }
    }
}
