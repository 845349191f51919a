using Stockcast.Overlay.Rooms;

namespace Stockcast.Overlay.Pages;

/// <summary>
/// GET /overlay/{room}?token=…: the viewer overlay page (a browser source). The token is checked
/// here too, so a wrong link shows nothing; the page itself reads it from its own URL.
/// </summary>
public static class OverlayPage
{
    private static readonly Lazy<byte[]> Html = new(() => EmbeddedPages.Load("overlay.html"));

    public static IEndpointRouteBuilder MapOverlayPage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/overlay/{roomId}", async (string roomId, string? token, HttpContext http, ViewerTokens tokens) =>
        {
            if (await tokens.RefusalAsync(roomId, token) is { } status)
            {
                http.Response.StatusCode = status;
                return;
            }
            await EmbeddedPages.WriteAsync(http, Html.Value);
        }).AllowAnonymous();
        return app;
    }
}
