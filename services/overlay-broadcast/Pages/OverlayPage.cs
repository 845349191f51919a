using Stockcast.Overlay.Rooms;

namespace Stockcast.Overlay.Pages;

/// <summary>
/// GET /overlay/{room}?token=…: the viewer overlay page (a browser source). The token is checked
/// here too, so a wrong link shows nothing; the page itself reads it from its own URL.
/// </summary>
public static class OverlayPage
{
    private static readonly Lazy<byte[]> Html = new(() => EmbeddedPages.Load("overlay.html"));

    /// <summary>
    /// The body of a refusal: an empty transparent page. With no body at all Chromium (and so OBS's
    /// browser source) paints its own grey "HTTP ERROR 403" page over the live video.
    /// </summary>
    private static readonly byte[] Refused = "<!doctype html><meta charset=\"utf-8\"><title>Stockcast overlay</title><style>html { background: transparent; }</style>\n"u8.ToArray();

    public static IEndpointRouteBuilder MapOverlayPage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/overlay/{roomId}", async (string roomId, string? token, HttpContext http, ViewerTokens tokens) =>
        {
            if (await tokens.RefusalAsync(roomId, token) is { } status)
            {
                http.Response.StatusCode = status;
                http.Response.ContentType = "text/html; charset=utf-8";
                await http.Response.Body.WriteAsync(Refused);
                return;
            }
            await EmbeddedPages.WriteAsync(http, Html.Value);
        }).AllowAnonymous();
        return app;
    }
}
