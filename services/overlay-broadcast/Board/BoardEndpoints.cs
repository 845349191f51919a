using System.Text.Json;
using Stockcast.Overlay.Broadcast;
using Stockcast.Overlay.Rooms;
using Stockcast.Overlay.Sse;
using Stockcast.Overlay.V1;

namespace Stockcast.Overlay.Board;

/// <summary>
/// The operator board's endpoints, opened with a room's operator token (the page itself: Pages/RoomPages):
/// its state as Server-Sent Events (/board/{room}/events, a BoardUpdate per event) and the spotlight control
/// (POST /board/{room}/spotlight {"query": "..."}). A viewer token gets 403 here.
/// </summary>
public static class BoardEndpoints
{
    public sealed record SpotlightBody(string? Query);

    public static IEndpointRouteBuilder MapBoard(this IEndpointRouteBuilder app)
    {
        app.MapGet("/board/{roomId}/events", StreamAsync).AllowAnonymous();
        app.MapPost("/board/{roomId}/spotlight", SpotlightAsync).AllowAnonymous();
        return app;
    }

    private static async Task<IResult> SpotlightAsync(string roomId, string? token, HttpContext http, ViewerTokens tokens, SpotlightControl spotlight)
    {
        if (await tokens.RefusalAsync(roomId, token, TokenScope.Operator) is { } status)
        {
            return Results.StatusCode(status);
        }
        SpotlightBody? body;
        try
        {
            body = await http.Request.ReadFromJsonAsync<SpotlightBody>(http.RequestAborted);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "the body must be JSON like {\"query\": \"white tee\"}", detail: ex.Message);
        }
        // A room or SKU it cannot find, or a bad query, is answered by the HTTP error handler (404, 400 naming the field).
        var shown = await spotlight.SetAsync(roomId, body?.Query ?? "");
        return Results.Ok(new { sku = shown.Sku, name = shown.Name });
    }

    private static async Task StreamAsync(string roomId, string? token, HttpContext http, RoomViewers viewers, BoardStream stream, TimeProvider clock)
    {
        var (channel, refusal) = await viewers.AdmitAsync(roomId, token, TokenScope.Operator);
        if (channel is null)
        {
            http.Response.StatusCode = refusal;
            return;
        }
        long sequence = 0;
        try
        {
            await SseResponse.StartAsync(http, http.RequestAborted);
            var end = await stream.RunAsync(channel, token, (board, cancellationToken) =>
            {
                sequence = Math.Max(sequence + 1, clock.GetUtcNow().ToUnixTimeMilliseconds());
                return SseResponse.WriteAsync(http.Response, SseResponse.Event("board", sequence, SseResponse.Json.Format(board)), cancellationToken).AsTask();
            }, http.RequestAborted);
            if (end == ViewerEnd.Revoked)
            {
                await SseResponse.WriteAsync(http.Response, SseResponse.Revoked, http.RequestAborted);
            }
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The operator left.
        }
    }
}
