using System.Text;
using Microsoft.Extensions.Options;
using Stockcast.Overlay.Broadcast;
using Stockcast.Overlay.Rooms;
using Stockcast.Overlay.V1;
using Stockcast.ServiceDefaults.Errors;
using Stockcast.ServiceDefaults.Limits;

namespace Stockcast.Overlay.Pages;

/// <summary>
/// The room pages, embedded in the assembly (no files to ship or mount): the viewer overlay
/// (GET /overlay/{room}#token=…, a browser source) and the operator board (GET /board/{room}#token=…,
/// operator tokens only). A token in the fragment never reaches a server: the page shell is served
/// without one, and the page exchanges it (POST …/session, the token in X-Stockcast-Token) for the
/// room's HttpOnly, SameSite=Strict cookie its streams then carry. Old links' ?token= still work and
/// are checked here, so a wrong one shows nothing.
/// </summary>
public static class RoomPages
{
    /// <summary>How long the room's cookie lasts; the page exchanges its token again long before (and before every stream it opens).</summary>
    private static readonly TimeSpan SessionLifetime = TimeSpan.FromHours(1);

    /// <summary>Page loads and token exchanges: OBS loads a browser source once per scene change, a person reloads by hand.</summary>
    public static readonly PublicEndpoint Public = new("page", PerAddress: 120, PerToken: 60);

    /// <summary>
    /// The body of a refusal: an empty transparent page. With no body at all Chromium (and so OBS's
    /// browser source) paints its own grey "HTTP ERROR 403" page over the live video.
    /// </summary>
    private static readonly byte[] Refused = "<!doctype html><meta charset=\"utf-8\"><title>Stockcast</title><style>html { background: transparent; }</style>\n"u8.ToArray();

    public static IEndpointRouteBuilder MapRoomPages(this IEndpointRouteBuilder app)
    {
        MapPage(app, "/overlay/{roomId}", "overlay.html", TokenScope.Viewer);
        MapPage(app, "/board/{roomId}", "board.html", TokenScope.Operator);
        return app;
    }

    private static void MapPage(IEndpointRouteBuilder app, string pattern, string file, TokenScope needed)
    {
        var page = Load(file);
        app.MapGet(pattern, async (string roomId, HttpContext http, ViewerTokens tokens) =>
        {
            int? refusal;
            try
            {
                // Only an old link's query token is checked: a fragment's never arrives (the shell is on
                // the allow-list), and a cookie left from a revoked token must not keep the page from
                // exchanging its new one.
                var linkToken = http.Request.Query[PublicTokens.Query].ToString();
                refusal = linkToken.Length == 0 ? null : await tokens.RefusalAsync(roomId, linkToken, needed);
            }
            catch (Exception ex) when (ErrorMapping.ToHttp(ex) is { Status: StatusCodes.Status503ServiceUnavailable })
            {
                // Redis is down: 503 and Retry-After as everywhere, but with the blank page, not a
                // problem's JSON, which a browser source would paint over the live video.
                http.Response.Headers.RetryAfter = ErrorMapping.RetryAfterSeconds;
                refusal = StatusCodes.Status503ServiceUnavailable;
            }
            http.Response.StatusCode = refusal ?? StatusCodes.Status200OK;
            http.Response.ContentType = "text/html; charset=utf-8";
            http.Response.Headers.CacheControl = "no-store";
            await http.Response.Body.WriteAsync(refusal is null ? page : Refused);
        }).AllowAnonymous().WithPublicLimits(Public).WithMetadata(new RefusalPage(Refused));
        app.MapPost(pattern + "/session", async (string roomId, HttpContext http, ViewerTokens tokens, IOptions<OverlayOptions> options) =>
        {
            var token = http.Request.Headers[PublicTokens.Header].ToString();
            if (await tokens.RefusalAsync(roomId, token, needed) is { } refusal)
            {
                return Results.StatusCode(refusal);
            }
            // Scoped to this room's page and streams (the path as the browser sent it, still encoded).
            var path = http.Request.PathBase + http.Request.Path.Value![..^"/session".Length];
            http.Response.Cookies.Append(PublicTokens.Cookie, token, new CookieOptions
            {
                HttpOnly = true,
                Secure = http.Request.IsHttps || options.Value.SecureCookies,
                SameSite = SameSiteMode.Strict,
                Path = path,
                MaxAge = SessionLifetime,
            });
            http.Response.Headers.CacheControl = "no-store";
            return Results.NoContent();
        }).AllowAnonymous().WithPublicLimits(Public);
    }

    /// <summary>
    /// The page, with the stream-following script both pages share and the message catalogs (all of them, about
    /// 22 KiB: the room's language is known only from its first update) inlined where their markers stand: one
    /// file to serve, no second request.
    /// </summary>
    private static byte[] Load(string file)
        => Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Resource(file))
            .Replace("/*follow.js*/", Encoding.UTF8.GetString(Resource("follow.js")), StringComparison.Ordinal)
            .Replace("/*catalogs*/", $"const catalogs = {Catalogs.Embedded.Json};", StringComparison.Ordinal));

    private static byte[] Resource(string file)
    {
        using var resource = typeof(RoomPages).Assembly.GetManifestResourceStream("Stockcast.Overlay.Pages." + file)
            ?? throw new InvalidOperationException($"the page {file} is not embedded");
        using var copy = new MemoryStream();
        resource.CopyTo(copy);
        return copy.ToArray();
    }
}
