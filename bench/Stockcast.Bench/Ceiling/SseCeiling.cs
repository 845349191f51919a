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
            await room.JoinAsync(http.Response.BodyWriter);
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
            await rooms.GetOrAdd(roomId, _ => new Room()).PublishAsync(body.ToArray());
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
        try
        {
            await WaitUntilReadyAsync(process, endPoint, cancel);
            return (process, endPoint);
        }
        catch
        {
            // Never left running behind a failed start (it would hold its port and its viewers' sockets).
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    private static async Task WaitUntilReadyAsync(Process process, IPEndPoint endPoint, CancellationToken cancel)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                if ((await http.GetAsync($"http://{endPoint}/healthz", cancel)).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !cancel.IsCancellationRequested))
            {
                // Not listening yet, or too busy starting to answer within the client's timeout.
            }
            if (Clock.Seconds(started) > 60 || process.HasExited)
            {
                throw new TimeoutException("the SSE ceiling did not answer /healthz within 60 s");
            }
            await Task.Delay(Readiness.PollInterval, cancel);
        }
    }

    private sealed class Room
    {
        private readonly SemaphoreSlim _publishing = new(1, 1);

        private byte[]? _last;

        public ConcurrentDictionary<PipeWriter, byte> Viewers { get; } = new();

        /// <summary>A new viewer gets the room's last frame at once, as the overlay sends a new viewer the room's state.</summary>
        public async Task JoinAsync(PipeWriter viewer)
        {
            await _publishing.WaitAsync();
            try
            {
                Viewers[viewer] = 0;
                if (_last is not null)
                {
                    await viewer.WriteAsync(_last);
                }
            }
            finally
            {
                _publishing.Release();
            }
        }

        /// <summary>One publish at a time per room: a PipeWriter takes one writer at a time.</summary>
        public async Task PublishAsync(byte[] frame)
        {
            await _publishing.WaitAsync();
            try
            {
                _last = frame;
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
