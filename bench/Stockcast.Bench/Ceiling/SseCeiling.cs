using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Stockcast.Bench.Ceiling;

/// <summary>
/// The fan-out's ceiling: a bare Kestrel Server-Sent Events writer, the least a .NET server can do to
/// send the overlay's frames to the same connections. GET /overlay/{room}/events (the viewers' request,
/// token ignored) answers like the overlay (text/event-stream, unbuffered, "retry") and parks the
/// response; POST /publish/{room} writes its body, as it is, to every parked response of the room
/// (one write and flush each, all started before any is awaited) and answers when all are handed to
/// Kestrel. No auth, no rooms, no metrics, no per-viewer loop: what is left is Kestrel, the pipes and
/// the kernel's loopback TCP. Run by the fan-out scenario as a process of its own (its CPU measured
/// apart), never inside a service.
/// </summary>
public static class SseCeiling
{
    private static readonly byte[] Retry = "retry: 1000\n\n"u8.ToArray();

    public static async Task<int> RunAsync(int port)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        builder.Services.AddRoutingCore();
        var app = builder.Build();
        var rooms = new ConcurrentDictionary<string, Room>();
        app.UseRouting();
        app.MapGet("/healthz", () => "ok");
        app.MapGet("/overlay/{roomId}/events", async (string roomId, HttpContext http) =>
        {
            http.Response.ContentType = "text/event-stream";
            http.Response.Headers.CacheControl = "no-cache";
            http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            await http.Response.BodyWriter.WriteAsync(Retry, http.RequestAborted);
            var room = rooms.GetOrAdd(roomId, _ => new Room());
            room.Viewers[http.Response.BodyWriter] = 0;
            try
            {
                await Task.Delay(Timeout.Infinite, http.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // The viewer left.
            }
            finally
            {
                room.Viewers.TryRemove(http.Response.BodyWriter, out _);
            }
        });
        app.MapPost("/publish/{roomId}", async (string roomId, HttpContext http) =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body, http.RequestAborted);
            var frame = body.ToArray();
            if (rooms.TryGetValue(roomId, out var room))
            {
                await room.PublishAsync(frame);
            }
        });
        await app.RunAsync();
        return 0;
    }

    /// <summary>Starts the ceiling as a child process (this program, "sse-ceiling") on a free loopback port; ready when /healthz answers.</summary>
    public static async Task<(Process Process, IPEndPoint EndPoint)> StartAsync(CancellationToken cancel)
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var endPoint = (IPEndPoint)probe.LocalEndpoint;
        probe.Stop();
        var start = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(typeof(SseCeiling).Assembly.Location);
        start.ArgumentList.Add("sse-ceiling");
        start.ArgumentList.Add("--port");
        start.ArgumentList.Add(endPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // The overlay's garbage collector (workstation, concurrent), not this load generator's.
        start.Environment["DOTNET_gcServer"] = "0";
        start.Environment["DOTNET_gcConcurrent"] = "1";
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the SSE ceiling");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { Length: > 0 }) Console.Error.WriteLine($"sse-ceiling: {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                if ((await http.GetAsync($"http://{endPoint}/healthz", cancel)).IsSuccessStatusCode)
                {
                    return (process, endPoint);
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            if (Clock.Seconds(started) > 30 || process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException("the SSE ceiling did not answer /healthz within 30 s");
            }
            await Task.Delay(Readiness.PollInterval, cancel);
        }
    }

    private sealed class Room
    {
        private readonly SemaphoreSlim _publishing = new(1, 1);

        public ConcurrentDictionary<PipeWriter, byte> Viewers { get; } = new();

        /// <summary>One publish at a time per room: a PipeWriter takes one writer at a time.</summary>
        public async Task PublishAsync(byte[] frame)
        {
            await _publishing.WaitAsync();
            try
            {
                List<Task>? pending = null;
                foreach (var writer in Viewers.Keys)
                {
                    var flush = writer.WriteAsync(frame);
                    if (!flush.IsCompleted)
                    {
                        (pending ??= []).Add(flush.AsTask());
                    }
                }
                if (pending is not null)
                {
                    await Task.WhenAll(pending);
                }
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException or OperationCanceledException)
            {
                // A viewer went away mid-write; the others got the frame.
            }
            finally
            {
                _publishing.Release();
            }
        }
    }
}
