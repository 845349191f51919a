using Microsoft.AspNetCore.Http.Features;

namespace Stockcast.Overlay.Sse;

/// <summary>The response side of a Server-Sent Events stream: unbuffered, uncached, each event flushed.</summary>
public static class SseResponse
{
    public static async Task StartAsync(HttpContext http, CancellationToken cancellationToken)
    {
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no"; // proxies (nginx) must not hold events back
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await WriteAsync(http, "retry: 1000\n\n", cancellationToken);
    }

    public static async Task WriteAsync(HttpContext http, string text, CancellationToken cancellationToken)
    {
        await http.Response.WriteAsync(text, cancellationToken);
        await http.Response.Body.FlushAsync(cancellationToken);
    }
}
