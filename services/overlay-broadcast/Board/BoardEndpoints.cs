using System.Text.Json;
using Stockcast.Overlay.Broadcast;
using Stockcast.Overlay.Rooms;
using Stockcast.Overlay.Sse;
using Stockcast.Overlay.V1;
using Stockcast.ServiceDefaults.Limits;

namespace Stockcast.Overlay.Board;

/// <summary>
/// The operator board's endpoints, opened with a room's operator token (the page itself: Pages/RoomPages):
/// its state as Server-Sent Events (/board/{room}/events, a BoardUpdate per event) and the spotlight control
/// (POST /board/{room}/spotlight {"query": "..."}, a body of at most 4 KB). A viewer token gets 403
/// here. Both are rate-limited; the board's streams count against the room's and token's caps.
/// </summary>
public static class BoardEndpoints
{
    public static readonly PublicEndpoint Events = new("board_events", PerAddress: 240, PerToken: 120);

    /// <summary>An operator types a query now and then: a second's worth of clicks is plenty.</summary>
    public static readonly PublicEndpoint Spotlight = new("spotlight", PerAddress: 120, PerToken: 60);

    private const int MaxSpotlightBodyBytes = 4096;

    public sealed record SpotlightBody(string? Query);

    public static IEndpointRouteBuilder MapBoard(this IEndpointRouteBuilder app)
    {
        app.MapGet("/board/{roomId}/events", StreamAsync).AllowAnonymous().WithPublicLimits(Events);
        app.MapPost("/board/{roomId}/spotlight", SpotlightAsync).AllowAnonymous().WithPublicLimits(Spotlight);
        return app;
    }

    private static async Task<IResult> SpotlightAsync(string roomId, HttpContext http, ViewerTokens tokens, SpotlightControl spotlight, PublicRefusals refusals)
    {
        if (await tokens.RefusalAsync(roomId, PublicTokens.From(http.Request), TokenScope.Operator) is { } status)
        {
            return Results.StatusCode(status);
        }
        if (await BoundedBody.ReadAsync(http.Request, MaxSpotlightBodyBytes, http.RequestAborted) is not { } bytes)
        {
            return BoundedBody.TooLarge(refusals, http, Spotlight.Kind, MaxSpotlightBodyBytes);
        }
        SpotlightBody? body;
        try
        {
            body = JsonSerializer.Deserialize<SpotlightBody>(bytes, JsonSerializerOptions.Web);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "the body must be JSON like {\"query\": \"white tee\"}", detail: ex.Message);
        }
        // A room or SKU it cannot find, or a bad query, is answered by the HTTP error handler (404, 400 naming the field).
        var shown = await spotlight.SetAsync(roomId, body?.Query ?? "");
        return Results.Ok(new { sku = shown.Sku, name = shown.Name });
    }

    private static async Task StreamAsync(string roomId, HttpContext http, RoomViewers viewers, ViewerSlots slots, BoardStream stream, TimeProvider clock)
    {
        var token = PublicTokens.From(http.Request);
        var (channel, refusal) = await viewers.AdmitAsync(roomId, token, TokenScope.Operator);
        if (channel is null)
        {
            http.Response.StatusCode = refusal;
            return;
        }
        var (slot, full) = slots.Take(http, Events.Kind, roomId, token!);
        using var held = slot;
        if (full is not null)
        {
            await full.ExecuteAsync(http);
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
