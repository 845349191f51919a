using Microsoft.AspNetCore.Http;

namespace Stockcast.ServiceDefaults.Limits;

/// <summary>
/// A request body read with a limit checked while reading: a declared Content-Length over it is
/// refused before a byte is read, and a chunked body as soon as the limit is passed, so no more than
/// the limit (plus one read) is ever buffered. Kestrel's own 30 MB limit is far above any of ours.
/// </summary>
public static class BoundedBody
{
    private const int Chunk = 16 * 1024;

    /// <summary>The whole body, or null when it is larger than <paramref name="limit"/> bytes.</summary>
    public static async Task<byte[]?> ReadAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }
        using var buffer = new MemoryStream(Math.Min(limit, (int?)request.ContentLength ?? Chunk));
        var chunk = new byte[Math.Min(Chunk, limit + 1)];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// Answers a body over the limit: 413 naming it, counted, and the connection closed after the
    /// answer rather than kept for another request. Kestrel still reads and discards whatever the
    /// sender goes on sending for at most 5 s (a reset at once could lose the answer), never buffering it.
    /// </summary>
    public static IResult TooLarge(PublicRefusals refusals, HttpContext http, string endpoint, int limit)
    {
        http.Response.Headers.Connection = "close";
        return refusals.Refuse(http, endpoint, PublicRefusals.BodyTooLarge, StatusCodes.Status413PayloadTooLarge, $"the body is larger than the {limit} bytes accepted here");
    }
}
