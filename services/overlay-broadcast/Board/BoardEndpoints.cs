using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Prometheus;
using Stockcast.Overlay.Broadcast;
using Stockcast.Overlay.Pages;
using Stockcast.Overlay.Rooms;
using Stockcast.Overlay.Sse;
using Stockcast.Overlay.V1;
using Stockcast.ServiceDefaults.Grpc;

namespace Stockcast.Overlay.Board;

/// <summary>
/// The operator board, opened with a room's operator token: the page (/board/{room}), its state as
/// Server-Sent Events (/board/{room}/events, a BoardUpdate per event) and the spotlight control
/// (POST /board/{room}/spotlight {"query": "..."}). A viewer token gets 403 here.
/// </summary>
public static class BoardEndpoints
{
    private static readonly Lazy<byte[]> Html = new(() => EmbeddedPages.Load("board.html"));
    private static readonly JsonFormatter Json = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));

    public sealed record SpotlightBody(string? Query);

    public static IEndpointRouteBuilder MapBoard(this IEndpointRouteBuilder app)
    {
        app.MapGet("/board/{roomId}", async (string roomId, string? token, HttpContext http, ViewerTokens tokens) =>
        {
            if (await tokens.RefusalAsync(roomId, token, TokenScope.Operator) is { } status)
            {
                http.Response.StatusCode = status;
                return;
            }
            await EmbeddedPages.WriteAsync(http, Html.Value);
        }).AllowAnonymous();
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
        try
        {
            var shown = await spotlight.SetAsync(roomId, body?.Query ?? "");
            return Results.Ok(new { sku = shown.Sku, name = shown.Name });
        }
        catch (RpcException ex)
        {
            var field = ex.Trailers.GetValue(RpcErrors.FieldTrailer);
            return Results.Problem(
                statusCode: ex.StatusCode == StatusCode.NotFound ? StatusCodes.Status404NotFound : StatusCodes.Status400BadRequest,
                title: ex.Status.Detail,
                extensions: field is null ? null : new Dictionary<string, object?> { ["field"] = field });
        }
    }

    private static async Task StreamAsync(string roomId, string? token, HttpContext http, RoomViewers viewers, ViewerTokens tokens, BoardStream stream, TimeProvider clock, IHostApplicationLifetime lifetime)
    {
        var (channel, refusal) = await viewers.AdmitAsync(roomId, token, TokenScope.Operator);
        if (channel is null)
        {
            http.Response.StatusCode = refusal;
            return;
        }
        // Stopping ends the stream at once (the page reconnects, to another replica) instead of holding the shutdown.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, channel.Closed, lifetime.ApplicationStopping);
        using var viewer = OverlayMetrics.Viewers.WithLabels("board").TrackInProgress();
        long sequence = 0;
        try
        {
            await SseResponse.StartAsync(http, stop.Token);
            var allowed = await stream.RunAsync(channel, board =>
            {
                sequence = Math.Max(sequence + 1, clock.GetUtcNow().ToUnixTimeMilliseconds());
                return SseResponse.WriteAsync(http, $"id: {sequence}\nevent: board\ndata: {Json.Format(board)}\n\n", stop.Token);
            }, () => tokens.IsValidAsync(roomId, token!, TokenScope.Operator), stop.Token);
            if (!allowed)
            {
                await SseResponse.WriteAsync(http, "event: revoked\ndata: {}\n\n", stop.Token);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The operator left, the room was deleted, or the service is stopping.
        }
    }
}
