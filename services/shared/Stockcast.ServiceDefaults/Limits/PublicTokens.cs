using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Stockcast.ServiceDefaults.Limits;

/// <summary>
/// Where a public request's token is: the X-Stockcast-Token header (the pages send it), the room's
/// cookie (what the page's token was exchanged for), a bearer credential (pushers), or the query's
/// "token" (old links, still accepted, never logged).
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
        if (request.Cookies[Cookie] is { Length: > 0 } cookie)
        {
            return cookie;
        }
        var authorization = request.Headers[HeaderNames.Authorization].ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization["Bearer ".Length..].Trim();
        }
        return request.Query[Query].ToString() is { Length: > 0 } query ? query : null;
    }

    /// <summary>What stands for a token in memory (limiter partitions, connection counts): a hash, never the token.</summary>
    public static string Key(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)))[..32];
}
