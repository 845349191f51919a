using Google.Protobuf;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Prometheus;
using Stockcast.Overlay.Broadcast;
using Stockcast.Overlay.Rooms;

namespace Stockcast.Overlay.Sse;

/// <summary>
/// GET /overlay/{room}/events?token=…: the room's updates as Server-Sent Events for the overlay
/// page. Each event is the room's full state (JSON of RoomUpdate) with id = its sequence, so a
/// reconnect just gets the current state first; nothing needs replaying. Quiet connections get a
/// heartbeat comment, which is also when a revoked token is noticed and the stream closed.
/// </summary>
public static class OverlayEvents
{
    private static readonly JsonFormatter Json = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));

    public static IEndpointRouteBuilder MapOverlayEvents(this IEndpointRouteBuilder app)
    {
        app.MapGet("/overlay/{roomId}/events", StreamAsync).AllowAnonymous();
        return app;
    }

    private static async Task StreamAsync(string roomId, string? token, HttpContext http, ViewerTokens tokens, RoomCatalog catalog, RoomHub hub, IOptions<OverlayOptions> options, IHostApplicationLifetime lifetime)
    {
        if (await tokens.RefusalAsync(roomId, token) is { } status)
        {
            http.Response.StatusCode = status;
            return;
        }
        if (hub.Find(roomId) is null)
        {
            await catalog.RefreshAsync(); // created through another replica a moment ago
        }
        if (hub.Find(roomId) is not { } channel)
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        // Stopping ends the stream at once: Kestrel would otherwise wait out its shutdown timeout for
        // these never-ending requests, and the browser reconnects (to another replica) by itself.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, channel.Closed, lifetime.ApplicationStopping);
        using var subscription = channel.Subscribe();
        using var viewer = OverlayMetrics.Viewers.WithLabels("sse").TrackInProgress();
        var heartbeat = TimeSpan.FromSeconds(options.Value.HeartbeatSeconds);
        long sent = 0;
        try
        {
            await WriteAsync(http, "retry: 1000\n\n", stop.Token);
            while (true)
            {
                var update = await subscription.NextAsync(heartbeat, stop.Token);
                if (update is null)
                {
                    if (!await tokens.IsValidAsync(roomId, token!))
                    {
                        await WriteAsync(http, "event: revoked\ndata: {}\n\n", stop.Token);
                        return;
                    }
                    await WriteAsync(http, ": heartbeat\n\n", stop.Token);
                }
                else if (update.Sequence > sent)
                {
                    await WriteAsync(http, $"id: {update.Sequence}\nevent: update\ndata: {Json.Format(update)}\n\n", stop.Token);
                    sent = update.Sequence;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The viewer left, the room was deleted, or the service is stopping.
        }
    }

    private static async Task WriteAsync(HttpContext http, string text, CancellationToken cancellationToken)
    {
        await http.Response.WriteAsync(text, cancellationToken);
        await http.Response.Body.FlushAsync(cancellationToken);
    }
}
