using System.Text.Json;
using Stockcast.Overlay.Broadcast;
using Stockcast.Overlay.Cues;
using Stockcast.Overlay.Rooms;
using Stockcast.Overlay.Sse;
using Stockcast.Overlay.V1;
using Stockcast.ServiceDefaults.Identifiers;
using Stockcast.ServiceDefaults.Limits;

namespace Stockcast.Overlay.Board;

/// <summary>
/// The operator board's endpoints, opened with a room's operator token (the page itself: Pages/RoomPages):
/// its state as Server-Sent Events (/board/{room}/events, a BoardUpdate per event) and the spotlight control
/// (POST /board/{room}/spotlight {"query": "..."}, a body of at most 4 KB). A viewer token gets 403
/// here. The host's cues: /board/{room}/cues (SSE, a Cue per "cue" event; ?lang=de for another language than
/// the room's host language) and POST /board/{room}/cues/mute {"type": "LOW_STOCK", "muted": true}. All are
/// rate-limited; the streams count against the room's and token's caps.
/// </summary>
public static class BoardEndpoints
{
    public static readonly PublicEndpoint Events = new("board_events", PerAddress: 240, PerToken: 120);

    /// <summary>An operator types a query now and then: a second's worth of clicks is plenty.</summary>
    public static readonly PublicEndpoint Spotlight = new("spotlight", PerAddress: 120, PerToken: 60);

    private const int MaxSpotlightBodyBytes = 4096;

    public sealed record SpotlightBody(string? Query);

    public sealed record MuteBody(string? Type, bool Muted);

    public static IEndpointRouteBuilder MapBoard(this IEndpointRouteBuilder app)
    {
        app.MapGet("/board/{roomId}/events", StreamAsync).AllowAnonymous().WithPublicLimits(Events);
        app.MapPost("/board/{roomId}/spotlight", SpotlightAsync).AllowAnonymous().WithPublicLimits(Spotlight);
        app.MapGet("/board/{roomId}/cues", CuesAsync).AllowAnonymous().WithPublicLimits(Events);
        app.MapPost("/board/{roomId}/cues/mute", MuteAsync).AllowAnonymous().WithPublicLimits(Spotlight);
        return app;
    }

    private static async Task<IResult> SpotlightAsync(string roomId, HttpContext http, ViewerTokens tokens, SpotlightControl spotlight, PublicRefusals refusals)
    {
        var (body, refused) = await OperatorBodyAsync<SpotlightBody>(roomId, http, tokens, refusals, "{\"query\": \"white tee\"}");
        if (refused is not null)
        {
            return refused;
        }
        // A room or SKU it cannot find, or a bad query, is answered by the HTTP error handler (404, 400 naming the field).
        var shown = await spotlight.SetAsync(roomId, body?.Query ?? "");
        return Results.Ok(new { sku = shown.Sku, name = shown.Name });
    }

    private static async Task<IResult> MuteAsync(string roomId, HttpContext http, ViewerTokens tokens, RoomStore store, RoomCatalog catalog, PublicRefusals refusals)
    {
        var (body, refused) = await OperatorBodyAsync<MuteBody>(roomId, http, tokens, refusals, "{\"type\": \"LOW_STOCK\", \"muted\": true}");
        if (refused is not null)
        {
            return refused;
        }
        // "LOW_STOCK" or the enum's full name "CUE_TYPE_LOW_STOCK", as the board's JSON shows it.
        var name = (body?.Type ?? "").Trim().ToUpperInvariant();
        var values = Cue.Descriptor.Fields[Cue.TypeFieldNumber].EnumType;
        var type = (CueType)((values.FindValueByName(name) ?? values.FindValueByName("CUE_TYPE_" + name))?.Number ?? 0);
        if (type == CueType.Unspecified)
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "type: one of LOW_STOCK, SOLD_OUT, BACK_IN_STOCK, SPOTLIGHT, PRE_SALE");
        }
        if (await store.SetCueMutedAsync(roomId, type, body!.Muted) is not { } room)
        {
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"no room '{roomId}'");
        }
        await catalog.RefreshAsync();
        return Results.Ok(new { muted = room.MutedCues.Select(t => t.ToString()) });
    }

    /// <summary>
    /// An operator's POST: the token checked (401/403), the body read within its limit (413) and parsed as
    /// JSON (400 showing <paramref name="example"/>). A refusal to answer with, or the body.
    /// </summary>
    private static async Task<(T? Body, IResult? Refused)> OperatorBodyAsync<T>(string roomId, HttpContext http, ViewerTokens tokens, PublicRefusals refusals, string example)
    {
        if (await tokens.RefusalAsync(roomId, PublicTokens.From(http.Request), TokenScope.Operator) is { } status)
        {
            return (default, Results.StatusCode(status));
        }
        if (await BoundedBody.ReadAsync(http.Request, MaxSpotlightBodyBytes, http.RequestAborted) is not { } bytes)
        {
            return (default, BoundedBody.TooLarge(refusals, http, Spotlight.Kind, MaxSpotlightBodyBytes));
        }
        try
        {
            return (JsonSerializer.Deserialize<T>(bytes, JsonSerializerOptions.Web), null);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return (default, Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: $"the body must be JSON like {example}", detail: ex.Message));
        }
    }

    private static async Task CuesAsync(string roomId, HttpContext http, RoomViewers viewers, ViewerSlots slots, CueStream stream, TimeProvider clock)
    {
        var language = http.Request.Query["lang"].ToString();
        if (language.Length > 0 && Languages.Resolve(language) is null)
        {
            await Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: $"lang: one of {string.Join(", ", Languages.Supported)}").ExecuteAsync(http);
            return;
        }
        await ServeAsync(roomId, http, viewers, slots, async (channel, token) =>
        {
            long sequence = 0;
            return await stream.RunAsync(channel, token, language, (cue, cancellationToken) =>
            {
                sequence = Math.Max(sequence + 1, clock.GetUtcNow().ToUnixTimeMilliseconds());
                return SseResponse.WriteAsync(http.Response, SseResponse.Event("cue", sequence, SseResponse.Json.Format(cue)), cancellationToken).AsTask();
            }, cancellationToken => SseResponse.WriteAsync(http.Response, Heartbeat, cancellationToken).AsTask(), http.RequestAborted);
        });
    }

    private static readonly byte[] Heartbeat = ": quiet\n\n"u8.ToArray();

    private static Task StreamAsync(string roomId, HttpContext http, RoomViewers viewers, ViewerSlots slots, BoardStream stream, TimeProvider clock)
        => ServeAsync(roomId, http, viewers, slots, (channel, token) =>
        {
            long sequence = 0;
            return stream.RunAsync(channel, token, (board, cancellationToken) =>
            {
                sequence = Math.Max(sequence + 1, clock.GetUtcNow().ToUnixTimeMilliseconds());
                return SseResponse.WriteAsync(http.Response, SseResponse.Event("board", sequence, SseResponse.Json.Format(board)), cancellationToken).AsTask();
            }, http.RequestAborted);
        });

    /// <summary>An operator's SSE stream: the token and the room's caps checked, then <paramref name="run"/> until it ends ("revoked" sent when that is why).</summary>
    private static async Task ServeAsync(string roomId, HttpContext http, RoomViewers viewers, ViewerSlots slots, Func<RoomChannel, string, Task<ViewerEnd>> run)
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
        try
        {
            await SseResponse.StartAsync(http, http.RequestAborted);
            var end = await run(channel, token!);
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
