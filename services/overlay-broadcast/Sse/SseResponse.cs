using System.Text;
using Google.Protobuf;
using Microsoft.AspNetCore.Http.Features;

namespace Stockcast.Overlay.Sse;

/// <summary>
/// The response side of the service's Server-Sent Events streams (viewers and boards): unbuffered,
/// uncached, each event written and flushed in one go; events carry protobuf JSON.
/// </summary>
public static class SseResponse
{
    /// <summary>The JSON the pages read: protobuf's, with default values written (a 0 is shown as 0, not left out).</summary>
    public static readonly JsonFormatter Json = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));

    /// <summary>The stream's last event when its token was revoked.</summary>
    public static readonly byte[] Revoked = "event: revoked\ndata: {}\n\n"u8.ToArray();

    private static readonly byte[] Retry = "retry: 1000\n\n"u8.ToArray();

    public static async Task StartAsync(HttpContext http, CancellationToken cancellationToken)
    {
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no"; // proxies (nginx) must not hold events back
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await WriteAsync(http.Response, Retry, cancellationToken);
    }

    /// <summary>One event: its id (a reconnect's Last-Event-ID), its kind and its JSON.</summary>
    public static byte[] Event(string kind, long id, string json) => Encoding.UTF8.GetBytes($"id: {id}\nevent: {kind}\ndata: {json}\n\n");

    /// <summary>One write, flushed at once.</summary>
    public static async ValueTask WriteAsync(HttpResponse response, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
        => await response.BodyWriter.WriteAsync(bytes, cancellationToken);
}
