using Stockcast.Overlay.V1;
using Stockcast.ServiceDefaults.Limits;

namespace Stockcast.Overlay.Tests;

/// <summary>Requests with a token as programs and the pages send it: in the X-Stockcast-Token header, never in the URL.</summary>
public static class TokenRequests
{
    /// <summary>A GET of <paramref name="path"/> (the token's event stream when null) with the token in its header.</summary>
    public static HttpRequestMessage Get(this IssueTokenResponse token, string? path = null)
        => new(HttpMethod.Get, path ?? token.EventsPath) { Headers = { { PublicTokens.Header, token.Token } } };

    /// <summary>The page's exchange of its fragment token for the room's cookie: POST {page}/session.</summary>
    public static HttpRequestMessage Exchange(string page, string token)
        => new(HttpMethod.Post, page + "/session") { Headers = { { PublicTokens.Header, token } } };
}
