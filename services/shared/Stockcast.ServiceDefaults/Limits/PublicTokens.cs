using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Stockcast.ServiceDefaults.Limits;

/// <summary>
/// Where a public request's token is, first found: the X-Stockcast-Token header (programs, and the
/// pages' own calls), the query's "token" (old links, still accepted, never logged), the room's cookie
/// (what a page exchanged the token in its URL fragment for), or a bearer credential (pushers).
/// </summary>
public static class PublicTokens
{
    public const string Header = "X-Stockcast-Token";
    public const string Cookie = "stockcast-token";
    public const string Query = "token";

    public static string? From(HttpRequest request)
    {
        if (request.Headers[Header].ToString() is { Length: > 0 } header)
        {
            return header;
        }
        // An old link's token before the cookie: the link is what this page was opened with.
        if (request.Query[Query].ToString() is { Length: > 0 } query)
        {
            return query;
        }
        if (request.Cookies[Cookie] is { Length: > 0 } cookie)
        {
            return cookie;
        }
        var authorization = request.Headers[HeaderNames.Authorization].ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization["Bearer ".Length..].Trim() : null;
    }

    /// <summary>What stands for a token in memory (limiter partitions, connection counts): a hash, never the token.</summary>
    public static string Key(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)))[..32];
}
