namespace Stockcast.Overlay.Pages;

/// <summary>The service's pages, embedded in its assembly (no files to ship or mount).</summary>
public static class EmbeddedPages
{
    public static byte[] Load(string name)
    {
        using var resource = typeof(EmbeddedPages).Assembly.GetManifestResourceStream("Stockcast.Overlay.Pages." + name)
            ?? throw new InvalidOperationException($"the page {name} is not embedded");
        using var copy = new MemoryStream();
        resource.CopyTo(copy);
        return copy.ToArray();
    }

    public static async Task WriteAsync(HttpContext http, byte[] page)
    {
        http.Response.ContentType = "text/html; charset=utf-8";
        http.Response.Headers.CacheControl = "no-store";
        await http.Response.Body.WriteAsync(page);
    }
}
