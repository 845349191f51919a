using System.Text;
using Stockcast.Overlay.Rooms;
using Stockcast.Overlay.V1;
using Stockcast.ServiceDefaults.Errors;
using Stockcast.ServiceDefaults.Limits;

namespace Stockcast.Overlay.Pages;

/// <summary>
/// The room pages, embedded in the assembly (no files to ship or mount): the viewer overlay
/// (GET /overlay/{room}?token=…, a browser source) and the operator board (GET /board/{room}?token=…,
/// operator tokens only). The token is checked here too, so a wrong link shows nothing; each page
/// reads it from its own URL for its stream.
/// </summary>
public static class RoomPages
{
    /// <summary>Page loads: OBS loads a browser source once per scene change, a person reloads by hand.</summary>
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
                refusal = await tokens.RefusalAsync(roomId, PublicTokens.From(http.Request), needed);
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
    }

    /// <summary>The page, with the stream-following script both pages share inlined where its marker stands (one file to serve, no second request).</summary>
    private static byte[] Load(string file)
        => Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Resource(file)).Replace("/*follow.js*/", Encoding.UTF8.GetString(Resource("follow.js")), StringComparison.Ordinal));

    private static byte[] Resource(string file)
    {
        using var resource = typeof(RoomPages).Assembly.GetManifestResourceStream("Stockcast.Overlay.Pages." + file)
            ?? throw new InvalidOperationException($"the page {file} is not embedded");
        using var copy = new MemoryStream();
        resource.CopyTo(copy);
        return copy.ToArray();
    }
}
