using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Stockcast.Ledger.V1;
using Stockcast.Overlay.V1;

namespace Stockcast.Bench;

/// <summary>
/// Live stock fanned out to many overlay viewers. Sets up --featured SKUs in each of the largest
/// step's rooms (the first SKU changes, the others stay put), then for each step of --steps
/// ("transport:clients:rooms", transport sse, ws or grpc: gRPC WatchRoom callers on the bench's channel):
///
///  - opens the clients (--connect-concurrency at a time), spread evenly over the step's rooms, on
///    raw loopback sockets: the request is written by hand and the stream is only scanned for the
///    first SKU's "availableToPromise" (no JSON parsing, no thread per client);
///  - a paced writer applies one change per room --rate times a second through the ledger's
///    ApplyStockEvents: change k of a room sets its first SKU to the step's top value - k, so the
///    value itself says which change a message carries. The rooms' changes are spread evenly over
///    each interval (independent rooms do not change in step), one event per batch;
///  - delivery latency = arrival of a value at a client - arrival of the ledger's acknowledgement
///    of the change (both in this process), for the changes after --warmup seconds; then waits
///    (--drain-seconds at most) for every client to show the last value.
///
/// First, --warmup-steps run the same way with "warmup_" results: a fresh overlay process runs its
/// first seconds of this load on unoptimised code (tiered compilation), which is not what a replica
/// that has been up for a while gives. Also measured per step: connect time (TCP connect to response head), the overlay's VmRSS before
/// and with the clients connected, and CPU (overlay, ledger, redis, this load generator) over the
/// measured window. Clients are closed with a reset (no TIME_WAIT on either side), and the next
/// step starts once the overlay's viewers gauge is back to zero.
///
/// A step of transport "ceiling" measures the same SSE viewers on a bare Kestrel writer
/// (Ceiling/SseCeiling, a process this scenario starts and stops) instead of the overlay: the frame
/// the overlay sent for a room at set-up, with each change's value put in, is posted to it for each
/// change, and latency counts from the moment the ceiling answered the post (it answers once the
/// frame is handed to every connection). Its CPU per delivery is the ceiling the overlay's is read against.
/// </summary>
public static class FanoutScenario
{
    internal const long FirstValue = 100_000_000;

    public sealed record Step(string Transport, int Clients, int Rooms)
    {
        public bool WebSocket => Transport == "ws";

        public bool Ceiling => Transport == "ceiling";

        /// <summary>gRPC WatchRoom callers instead of sockets.</summary>
        public bool Grpc => Transport == "grpc";

        /// <summary>Result key prefix, e.g. sse_10000_r10.</summary>
        public string Key => $"{Transport}_{Clients}_r{Rooms}";

        public static Step Parse(string text)
        {
            var parts = text.Split(':');
            if (parts.Length != 3 || parts[0] is not ("sse" or "ws" or "grpc" or "ceiling")
                || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var clients) || clients is < 1 or > 15_000
                || !int.TryParse(parts[2], CultureInfo.InvariantCulture, out var rooms) || rooms is < 1 or > 100)
            {
                throw new ArgumentException($"--steps: '{text}' is not transport:clients:rooms (sse|ws|grpc|ceiling, 1-15000 clients, 1-100 rooms)");
            }
            return new Step(parts[0], clients, rooms);
        }
    }

    public sealed record Settings(IReadOnlyList<Step> WarmupSteps, IReadOnlyList<Step> Steps, double Rate, double Seconds, double Warmup, int ConnectConcurrency, double ConnectSeconds,
        double DrainSeconds, int Featured, int OverlayPid, string Warehouse, string Prefix)
    {
        public static Settings From(BenchArgs a) => new(
            ParseSteps(a.Str("warmup-steps", "sse:2000:10,ws:2000:10")),
            ParseSteps(a.Str("steps", "sse:1000:10,sse:5000:10,sse:10000:10,ceiling:10000:10,ws:10000:10,grpc:10000:10,sse:10000:1,ws:10000:1")),
            a.Double("rate", 5), a.Double("seconds", 10), a.Double("warmup", 2), a.Int("connect-concurrency", 200), a.Double("connect-seconds", 120),
            a.Double("drain-seconds", 15), a.Int("featured", 3), a.Int("overlay-pid", 0), a.Str("warehouse", "us-east"), a.Str("sku-prefix", "FAN"));

        private static Step[] ParseSteps(string list) => [.. list.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Step.Parse)];

        public int Changes => (int)Math.Round(Rate * (Warmup + Seconds));

        public int WarmupChanges => (int)Math.Round(Rate * Warmup);
    }

    public static async Task RunAsync(Settings s, Ledger ledger, OverlayUnderTest overlay, Results results, CpuMeter cpu)
    {
        if (s.Steps.Count == 0 || s.Rate is <= 0 or > 100 || s.Featured is < 1 or > 20 || s.Seconds <= 0 || s.ConnectConcurrency < 1)
        {
            throw new ArgumentException("--steps: at least one; --rate: 0-100 changes/s per room; --featured: 1-20; --seconds > 0; --connect-concurrency >= 1");
        }
        var perStep = s.ConnectSeconds + s.Warmup + s.Seconds + 2 * s.DrainSeconds + 60;
        using var hardStop = new CancellationTokenSource(TimeSpan.FromSeconds(120 + perStep * (s.WarmupSteps.Count + s.Steps.Count)));
        var cancel = hardStop.Token;
        var tag = (DateTimeOffset.UtcNow.ToUnixTimeSeconds() % 1_000_000).ToString("D6", CultureInfo.InvariantCulture);
        var roomCount = s.Steps.Concat(s.WarmupSteps).Max(x => x.Rooms);
        var rooms = Enumerable.Range(0, roomCount).Select(r => $"fan-{tag}-{r:D2}").ToArray();
        var skus = rooms.Select((_, r) => Enumerable.Range(0, s.Featured).Select(f => $"{s.Prefix}{tag}-{r:D2}-{f}").ToArray()).ToArray();
        var endPoint = new IPEndPoint(IPAddress.Parse(overlay.HttpBase.Host), overlay.HttpBase.Port);
        Console.WriteLine($"fanout: {roomCount} rooms x {s.Featured} SKUs (the first changes {s.Rate}/s), steps {string.Join(", ", s.Steps.Select(x => $"{x.Clients} {x.Transport} clients on {x.Rooms} room(s)"))}; "
            + $"{s.Warmup} s warm-up + {s.Seconds} s measured each");

        // Set-up: figures in the ledger first (the overlay reads them when the rooms go live), then rooms and one token each.
        var versions = new long[roomCount];
        Array.Fill(versions, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000);
        await SeedAsync(s, ledger, skus, versions, cancel);
        var tokens = new string[roomCount];
        for (var r = 0; r < roomCount; r++)
        {
            await overlay.Client.UpsertRoomAsync(NewRoom(rooms[r], skus[r]), overlay.AuthHeaders, cancellationToken: cancel);
            tokens[r] = (await overlay.Client.IssueTokenAsync(new IssueTokenRequest { RoomId = rooms[r] }, overlay.AuthHeaders, cancellationToken: cancel)).Token;
        }
        var setupStarted = Stopwatch.GetTimestamp();
        await WaitForRoomsAsync(endPoint, rooms, tokens, cancel);
        results.Add("rooms_live_s", Clock.Seconds(setupStarted), "F1");
        var idleRss = RssMib(s.OverlayPid);
        results.Add("overlay_idle_rss_mib", idleRss);

        var ceiling = s.Steps.Concat(s.WarmupSteps).Any(x => x.Ceiling) ? await Ceiling.StartAsync(await CaptureFrameAsync(endPoint, rooms[0], tokens[0], cancel), rooms, cancel) : null;
        try
        {
            if (ceiling is not null)
            {
                cpu.Watch("ceiling", ceiling.Process.Id);
            }
            var top = FirstValue - 1;
            foreach (var (step, key) in s.WarmupSteps.Select(x => (x, "warmup_" + x.Key)).Concat(s.Steps.Select(x => (x, x.Key))))
            {
                await RunStepAsync(s, step, key + "_", top, ledger, overlay, step.Ceiling ? ceiling! : null, endPoint, rooms, tokens, skus, versions, idleRss, results, cpu, cancel);
                top -= s.Changes;
            }
        }
        finally
        {
            ceiling?.Dispose();
        }
        foreach (var room in rooms)
        {
            await overlay.Client.DeleteRoomAsync(new DeleteRoomRequest { RoomId = room }, overlay.AuthHeaders, cancellationToken: cancel);
        }
    }

    private static async Task RunStepAsync(Settings s, Step step, string key, long top, Ledger ledger, OverlayUnderTest overlay, Ceiling? ceiling, IPEndPoint overlayEndPoint,
        string[] rooms, string[] tokens, string[][] skus, long[] versions, double idleRss, Results results, CpuMeter cpu, CancellationToken cancel)
    {
        var endPoint = ceiling?.EndPoint ?? overlayEndPoint;
        var pid = ceiling?.Process.Id ?? s.OverlayPid;
        Console.WriteLine($"fanout: --- {step.Clients} {step.Transport} clients on {step.Rooms} room(s), load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        var requests = rooms.Select((room, r) => Request(endPoint, room, tokens[r], step.WebSocket)).ToArray();
        var viewers = Enumerable.Range(0, step.Clients).Select(i => new OverlayViewer(i % step.Rooms, top, s.Changes)).ToArray();
        var rssBefore = RssMib(pid);
        using var stopReceiving = new CancellationTokenSource();
        var receiving = new Task[viewers.Length];
        Array.Fill(receiving, Task.CompletedTask);
        var connectStarted = Stopwatch.GetTimestamp();
        try
        {
            using var connectDeadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            connectDeadline.CancelAfter(TimeSpan.FromSeconds(s.ConnectSeconds));
            await Parallel.ForEachAsync(Enumerable.Range(0, viewers.Length), new ParallelOptions { MaxDegreeOfParallelism = s.ConnectConcurrency, CancellationToken = connectDeadline.Token }, async (i, ct) =>
            {
                var room = viewers[i].Room;
                if (step.Grpc
                    ? await viewers[i].OpenGrpcAsync(overlay.Client, rooms[room], overlay.AuthHeaders, ct)
                    : await viewers[i].OpenAsync(endPoint, requests[room], step.WebSocket, ct))
                {
                    receiving[i] = viewers[i].ReceiveAsync(stopReceiving.Token);
                }
            });
            var connectSeconds = Clock.Seconds(connectStarted);
            var open = viewers.Where(v => v.Failure.Length == 0).ToArray();
            var showing = await WaitForAsync(() => open.All(v => v.FirstUpdateAt != 0), s.ConnectSeconds, cancel);
            var initialSeconds = Clock.Seconds(connectStarted);
            var rssConnected = RssMib(pid);
            var connect = Latencies.Summarize([Collect(open.Select(v => v.ConnectTicks))]);
            results.Add(key + "clients", step.Clients);
            results.Add(key + "connected", open.Length);
            results.Add(key + "refused", viewers.Length - open.Length);
            results.Add(key + "first_refusal", viewers.FirstOrDefault(v => v.Failure.Length > 0)?.Failure ?? "none");
            results.Add(key + "connect_s", connectSeconds, "F1");
            results.Add(key + "connect_p50_ms", connect.Ms(50), "F1");
            results.Add(key + "connect_p99_ms", connect.Ms(99), "F1");
            results.Add(key + "connect_max_ms", connect.MaxMs, "F1");
            results.Add(key + "all_showing_s", initialSeconds, "F1");
            results.Add(key + "all_showing", showing ? "yes" : "no");
            results.Add(key + "rss_before_mib", rssBefore);
            results.Add(key + "rss_connected_mib", rssConnected);
            results.Add(key + "kib_per_client", (rssConnected - rssBefore) * 1024 / Math.Max(1, open.Length), "F1");
            results.Add(key + "kib_per_client_from_idle", (rssConnected - idleRss) * 1024 / Math.Max(1, open.Length), "F1");

            var updatesBefore = ceiling is null ? (await overlay.ScrapeAsync(cancel)).Sum("stockcast_overlay_room_updates_total") : 0;
            var writer = await WriteAsync(s, step, top, ledger, ceiling, rooms, skus, versions, cpu, results, key, cancel);
            var updates = ceiling is null ? (await overlay.ScrapeAsync(cancel)).Sum("stockcast_overlay_room_updates_total") - updatesBefore : s.Changes * step.Rooms;
            var drained = await WaitForAsync(() => open.All(v => Volatile.Read(ref v.Received[s.Changes - 1]) != 0), s.DrainSeconds, cancel);
            var finalArrivals = open.Where(v => v.Received[s.Changes - 1] != 0).Select(v => v.Received[s.Changes - 1] - writer.Acked[writer.Index(s.Changes - 1, v.Room)]).ToArray();
            var rssEnd = RssMib(pid);

            var fromAck = new Latencies(open.Length * (s.Changes - s.WarmupChanges));
            var fromSend = new Latencies(open.Length * (s.Changes - s.WarmupChanges));
            long beforeAck = 0;
            foreach (var v in open)
            {
                for (var k = s.WarmupChanges; k < s.Changes; k++)
                {
                    var at = v.Received[k];
                    var change = writer.Index(k, v.Room);
                    if (at == 0 || writer.Acked[change] == 0)
                    {
                        continue;
                    }
                    beforeAck += at < writer.Acked[change] ? 1 : 0;
                    fromAck.Add(Math.Max(0, at - writer.Acked[change]));
                    fromSend.Add(at - writer.Sent[change]);
                }
            }
            var ack = Latencies.Summarize([fromAck]);
            var send = Latencies.Summarize([fromSend]);
            var expected = (long)open.Length * (s.Changes - s.WarmupChanges);
            results.Add(key + "p50_ms", ack.Ms(50), "F1");
            results.Add(key + "p90_ms", ack.Ms(90), "F1");
            results.Add(key + "p99_ms", ack.Ms(99), "F1");
            results.Add(key + "p999_ms", ack.Ms(99.9), "F1");
            results.Add(key + "max_ms", ack.MaxMs, "F1");
            results.Add(key + "send_p50_ms", send.Ms(50), "F1");
            results.Add(key + "send_p99_ms", send.Ms(99), "F1");
            results.Add(key + "before_ack", beforeAck);
            results.Add(key + "delivered", ack.Count);
            results.Add(key + "expected", expected);
            results.Add(key + "delivered_fraction", expected == 0 ? 0 : (double)ack.Count / expected, "F4");
            results.Add(key + "deliveries_per_s", ack.Count / s.Seconds);
            results.Add(key + "room_updates_per_s", updates / (s.Warmup + s.Seconds), "F1");
            results.Add(key + "out_of_order", open.Sum(v => v.OutOfOrder));
            results.Add(key + "final_fraction", (double)finalArrivals.Length / Math.Max(1, open.Length), "F4");
            results.Add(key + "final_last_ms", finalArrivals.Length == 0 ? double.NaN : Math.Max(0, finalArrivals.Max()) * 1000.0 / Stopwatch.Frequency, "F1");
            results.Add(key + "drained", drained ? "yes" : "no");
            results.Add(key + "rss_end_mib", rssEnd);
        }
        finally
        {
            foreach (var v in viewers)
            {
                v.Reset();
            }
            await stopReceiving.CancelAsync();
            await Task.WhenAll(receiving);
        }
        // The next step starts from an overlay with no viewers left (the ceiling forgets a viewer as it leaves).
        var closed = ceiling is not null || await WaitForAsync(async () => (await overlay.ScrapeAsync(cancel)).Sum("stockcast_overlay_viewers") == 0, 30, cancel);
        results.Add(key + "closed", closed ? "yes" : "no");
    }

    /// <summary>Send and acknowledgement times of each change, in the order written: change k of room r is number k * rooms + r.</summary>
    private sealed record Writer(long[] Sent, long[] Acked, int Rooms)
    {
        public int Index(int k, int room) => (k * Rooms) + room;
    }

    /// <summary>
    /// Change j (room j % rooms, its change k = j / rooms: first SKU to top - k) at start + j / (rate x rooms),
    /// one event per batch (or, for the ceiling, one post of the room's frame with the value); the CPU
    /// window covers the changes after the warm-up.
    /// </summary>
    private static async Task<Writer> WriteAsync(Settings s, Step step, long top, Ledger ledger, Ceiling? ceiling, string[] rooms, string[][] skus, long[] versions, CpuMeter cpu,
        Results results, string key, CancellationToken cancel)
    {
        var changes = s.Changes * step.Rooms;
        var writer = new Writer(new long[changes], new long[changes], step.Rooms);
        var notApplied = 0;
        Func<int, int, long, Task> send;
        Func<Task> complete;
        if (ceiling is not null)
        {
            var posts = new List<Task>(changes);
            // Each room's posts one after another, as the ledger orders a room's changes: never out of order.
            var previous = Enumerable.Repeat(Task.CompletedTask, step.Rooms).ToArray();
            async Task AckAsync(Task before, int j, int r, long value)
            {
                await before;
                writer.Acked[j] = await ceiling.PublishAsync(rooms[r], value, cancel);
            }
            send = (j, r, value) =>
            {
                posts.Add(previous[r] = AckAsync(previous[r], j, r, value));
                return Task.CompletedTask;
            };
            complete = () => Task.WhenAll(posts);
        }
        else
        {
            var call = ledger.DedicatedClient().ApplyStockEvents(ledger.AuthHeaders, cancellationToken: cancel);
            var reader = Task.Run(async () =>
            {
                var j = 0;
                await foreach (var response in call.ResponseStream.ReadAllAsync(cancel))
                {
                    writer.Acked[j++] = Stopwatch.GetTimestamp();
                    notApplied += response.Results.Count(r => r.Outcome != EventOutcome.Applied);
                }
            }, cancel);
            send = (_, r, value) => call.RequestStream.WriteAsync(new ApplyStockEventsRequest
            {
                BatchId = "fanout",
                Events = { Snapshot(s.Warehouse, skus[r][0], value, ++versions[r], Timestamp.FromDateTime(DateTime.UtcNow)) },
            }, cancel);
            complete = async () =>
            {
                using (call)
                {
                    await call.RequestStream.CompleteAsync();
                    await reader;
                }
            };
        }
        var late = 0;
        var started = Stopwatch.GetTimestamp();
        var perSecond = s.Rate * step.Rooms;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1 / perSecond));
        for (var j = 0; j < changes; j++)
        {
            if (j == s.WarmupChanges * step.Rooms)
            {
                cpu.Start();
            }
            var (k, r) = Math.DivRem(j, step.Rooms);
            writer.Sent[j] = Stopwatch.GetTimestamp();
            late += writer.Sent[j] - (started + Clock.Ticks(j / perSecond)) > Clock.Ticks(0.005) ? 1 : 0;
            await send(j, r, top - k);
            if (j < changes - 1)
            {
                await timer.WaitForNextTickAsync(cancel);
            }
        }
        await complete();
        results.AddCpu(cpu.Stop(), key);
        results.Add(key + "writer_late_changes", late);
        results.Add(key + "writer_not_applied", notApplied);
        return writer;
    }

    private static async Task SeedAsync(Settings s, Ledger ledger, string[][] skus, long[] versions, CancellationToken cancel)
    {
        using var call = ledger.Client().ApplyStockEvents(ledger.AuthHeaders, cancellationToken: cancel);
        var request = new ApplyStockEventsRequest { BatchId = "fanout-seed" };
        var sourceTime = Timestamp.FromDateTime(DateTime.UtcNow);
        for (var r = 0; r < skus.Length; r++)
        {
            request.Events.Add(Snapshot(s.Warehouse, skus[r][0], FirstValue, ++versions[r], sourceTime));
            // The SKUs that stay put: small figures in two US warehouses, never mistaken for the changing one's.
            for (var f = 1; f < skus[r].Length; f++)
            {
                request.Events.Add(Snapshot("us-east", skus[r][f], 100 + f, versions[r], sourceTime));
                request.Events.Add(Snapshot("us-west", skus[r][f], 50 + f, versions[r], sourceTime));
            }
        }
        await call.RequestStream.WriteAsync(request, cancel);
        await call.RequestStream.CompleteAsync();
        await foreach (var response in call.ResponseStream.ReadAllAsync(cancel))
        {
            if (response.Results.FirstOrDefault(r => r.Outcome != EventOutcome.Applied) is { } refused)
            {
                throw new InvalidOperationException($"seeding the fan-out SKUs: {refused.Outcome} {refused.Reason}");
            }
        }
    }

    /// <summary>One SSE viewer per room until each shows the seeded figure: the overlay follows the rooms' SKUs.</summary>
    internal static async Task WaitForRoomsAsync(IPEndPoint endPoint, string[] rooms, string[] tokens, CancellationToken cancel)
    {
        var probes = rooms.Select((_, r) => new OverlayViewer(r, FirstValue, 1)).ToArray();
        using var stop = new CancellationTokenSource();
        var receiving = new List<Task>();
        try
        {
            foreach (var probe in probes)
            {
                if (!await probe.OpenAsync(endPoint, Request(endPoint, rooms[probe.Room], tokens[probe.Room], webSocket: false), webSocket: false, cancel))
                {
                    throw new InvalidOperationException($"the overlay refused a viewer of {rooms[probe.Room]}: {probe.Failure}");
                }
                receiving.Add(probe.ReceiveAsync(stop.Token));
            }
            if (!await WaitForAsync(() => probes.All(p => Volatile.Read(ref p.Received[0]) != 0), 60, cancel))
            {
                throw new TimeoutException("the overlay's rooms did not show the seeded figures within 60 s");
            }
        }
        finally
        {
            foreach (var probe in probes)
            {
                probe.Reset();
            }
            await stop.CancelAsync();
            await Task.WhenAll(receiving);
        }
    }

    internal static Room NewRoom(string id, string[] skus, string market = "US") => new()
    {
        Id = id,
        Title = "Fan-out bench",
        Platforms = { Platform.Tiktok, Platform.Youtube },
        Market = market,
        Featured = { skus.Select((sku, f) => new FeaturedSku { Sku = sku, DisplayName = $"Bench item {f}", GreenAtOrAbove = 20, YellowAtOrAbove = 5 }) },
        Display = new DisplayOptions { CountDown = true, HeatMap = true, SoldOutCard = true },
        StartsAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddMinutes(-1)),
        EndsAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(3)),
        MaxUpdatesPerSecond = 10,
        // The SKUs that stay put keep their first source_time: no "updating…" flip during the run.
        StaleAfterSeconds = 3600,
    };

    private static StockEvent Snapshot(string warehouse, string sku, long units, long version, Timestamp sourceTime) => new()
    {
        WarehouseId = warehouse,
        Sku = sku,
        SourceTime = sourceTime,
        Snapshot = new StockSnapshot { SourceVersion = version, Quantities = new Quantities { OnHand = units, Available = units } },
    };

    /// <summary>The viewer's request as bytes: the event stream, or the WebSocket upgrade (a fixed key: the accept value is not checked).</summary>
    internal static byte[] Request(IPEndPoint endPoint, string room, string token, bool webSocket) => Encoding.ASCII.GetBytes(webSocket
        ? $"GET /overlay/{room}/ws?token={token} HTTP/1.1\r\nHost: {endPoint}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: c3RvY2tjYXN0LWZhbm91dA==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        : $"GET /overlay/{room}/events?token={token} HTTP/1.1\r\nHost: {endPoint}\r\nAccept: text/event-stream\r\n\r\n");

    /// <summary>The first room update event the overlay sends a viewer of <paramref name="room"/> (id line to blank line), as text: the ceiling's frame.</summary>
    private static async Task<string> CaptureFrameAsync(IPEndPoint endPoint, string room, string token, CancellationToken cancel)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        await socket.ConnectAsync(endPoint, deadline.Token);
        await socket.SendAsync(Request(endPoint, room, token, webSocket: false), SocketFlags.None, deadline.Token);
        var buffer = new byte[64 * 1024];
        var filled = 0;
        while (filled < buffer.Length)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, deadline.Token);
            if (n == 0)
            {
                break;
            }
            filled += n;
            var text = Encoding.UTF8.GetString(buffer, 0, filled);
            var update = text.IndexOf("\nevent: update\n", StringComparison.Ordinal);
            var end = update < 0 ? -1 : text.IndexOf("\n\n", update, StringComparison.Ordinal);
            if (end >= 0)
            {
                var start = text.LastIndexOf("id: ", update, StringComparison.Ordinal);
                socket.LingerState = new LingerOption(true, 0);
                return text[start..(end + 2)];
            }
        }
        throw new InvalidOperationException("the overlay sent no room update to capture for the ceiling");
    }

    /// <summary>The bare Kestrel SSE writer and the frame it sends: the overlay's, with the changed value put in.</summary>
    private sealed class Ceiling(Process process, IPEndPoint endPoint, string frame) : IDisposable
    {
        private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = new Uri($"http://{endPoint}") };

        public Process Process => process;

        public IPEndPoint EndPoint => endPoint;

        /// <summary>Starts it with every room's frame as set up (the seeded figure), which a viewer is sent as it connects.</summary>
        public static async Task<Ceiling> StartAsync(string frame, string[] rooms, CancellationToken cancel)
        {
            var (process, endPoint) = await Stockcast.Bench.Ceiling.SseCeiling.StartAsync(cancel);
            Console.WriteLine($"fanout: SSE ceiling (bare Kestrel) pid {process.Id} on {endPoint}, frame of {Encoding.UTF8.GetByteCount(frame)} bytes");
            var ceiling = new Ceiling(process, endPoint, frame);
            foreach (var room in rooms)
            {
                await ceiling.PublishAsync(room, FirstValue, cancel);
            }
            return ceiling;
        }

        /// <summary>Posts the room's frame with <paramref name="value"/>; returns when the ceiling answered (every connection has it).</summary>
        public async Task<long> PublishAsync(string room, long value, CancellationToken cancel)
        {
            var body = Encoding.UTF8.GetBytes(frame.Replace($"\"{FirstValue}\"", $"\"{value}\"", StringComparison.Ordinal));
            using var response = await _http.PostAsync($"/publish/{room}", new ByteArrayContent(body), cancel);
            response.EnsureSuccessStatusCode();
            return Stopwatch.GetTimestamp();
        }

        public void Dispose()
        {
            _http.Dispose();
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
            process.Dispose();
        }
    }

    private static Latencies Collect(IEnumerable<long> ticks)
    {
        var all = new Latencies(1024);
        foreach (var t in ticks)
        {
            all.Add(t);
        }
        return all;
    }

    private static double RssMib(int pid) => Harness.MemorySampler.StatusKb(pid, "VmRSS") is > 0 and var kb ? kb / 1024.0 : double.NaN;

    internal static Task<bool> WaitForAsync(Func<bool> condition, double seconds, CancellationToken cancel)
        => WaitForAsync(() => Task.FromResult(condition()), seconds, cancel);

    /// <summary>Polls a condition at the readiness poll interval until it holds or the deadline passes.</summary>
    private static async Task<bool> WaitForAsync(Func<Task<bool>> condition, double seconds, CancellationToken cancel)
    {
        var started = Stopwatch.GetTimestamp();
        while (!await condition())
        {
            if (Clock.Seconds(started) > seconds)
            {
                return false;
            }
            await Task.Delay(Readiness.PollInterval, cancel);
        }
        return true;
    }
}
