using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Stockcast.Overlay.V1;
using Stockcast.ServiceDefaults.Limits;
using Stockcast.Testing;

namespace Stockcast.Overlay.Tests;

/// <summary>
/// The overlay's public endpoints under load, with their limits configured small: a flood is
/// answered 429 while other rooms stream on, and the connection caps refuse cleanly and free up.
/// </summary>
public sealed class PublicLimitTests(RedisServerFixture redis) : LedgerPerTest(redis, r => OverlayHost.StartLedgerAsync(r))
{
    private static Func<RoomUpdate, bool> Shows(string sku, long atp)
        => u => u.Skus.Any(s => s.Sku == sku && s.AvailableToPromise == atp);

    private static async Task<string> TokenAsync(OverlayHost host, Room room)
    {
        await host.Client().UpsertRoomAsync(room);
        return (await host.Client().IssueTokenAsync(new IssueTokenRequest { RoomId = room.Id })).Token;
    }

    private static Task<HttpResponseMessage> OpenAsync(OverlayHost host, string roomId, string token)
        => host.CreateClient().SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/overlay/{roomId}/events?token={token}"), HttpCompletionOption.ResponseHeadersRead);

    private static double Refusals(OverlayHost host, string endpoint, string reason) => host.Services.GetRequiredService<PublicRefusals>().Count(endpoint, reason);

    [Fact]
    public async Task AFloodFromOneTokenIsAnswered429WithRetryAfterWhileAnotherRoomKeepsStreaming()
    {
        using var host = new OverlayHost(Redis.Configuration, Ledger, settings: new Dictionary<string, string?>
        {
            ["PublicLimits:Endpoints:overlay_events:PerToken"] = "3",
        });
        await host.SetStockAsync("us-east", "TEE-CALM", 10, 1);
        var calm = OverlayHost.LiveRoom("calm-room", "US", "TEE-CALM");
        var calmToken = await TokenAsync(host, calm);
        using var viewer = await SseReader.OpenAsync(host.CreateClient(), $"/overlay/{calm.Id}/events?token={calmToken}");
        await viewer.ReadUntilAsync(Shows("TEE-CALM", 10));
        var flooded = OverlayHost.LiveRoom("flooded-room", "US", "TEE-CALM");
        var floodToken = await TokenAsync(host, flooded);

        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 4; i++)
        {
            answers.Add(await OpenAsync(host, flooded.Id, floodToken));
        }
        await host.SetStockAsync("us-east", "TEE-CALM", 9, 2);

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], answers.Select(a => a.StatusCode));
        Assert.InRange(answers[3].Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 60);
        Assert.Equal("rate_limited", (await answers[3].Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reason").GetString());
        await viewer.ReadUntilAsync(Shows("TEE-CALM", 9));
        using var another = await OpenAsync(host, calm.Id, calmToken);
        Assert.Equal(HttpStatusCode.OK, another.StatusCode);
        Assert.Equal(1, Refusals(host, "overlay_events", PublicRefusals.RateLimited));
        answers.ForEach(a => a.Dispose());
    }

    [Fact]
    public async Task AFullTokenOrRoomRefusesTheNextStreamAsRetryLaterAndAViewerLeavingFreesItsSlot()
    {
        using var host = new OverlayHost(Redis.Configuration, Ledger, settings: new Dictionary<string, string?>
        {
            ["Overlay:MaxRoomConnections"] = "2",
            ["Overlay:MaxTokenConnections"] = "1",
            ["Overlay:ConnectionRetryAfterSeconds"] = "7",
        });
        var room = OverlayHost.LiveRoom("capped-room", "US", "TEE-CAP");
        var (first, second, third) = (await TokenAsync(host, room), await TokenAsync(host, room), await TokenAsync(host, room));

        using var one = await OpenAsync(host, room.Id, first);
        using var sameToken = await OpenAsync(host, room.Id, first);
        var two = await OpenAsync(host, room.Id, second);
        using var roomFull = await OpenAsync(host, room.Id, third);

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], new[] { one, sameToken, two, roomFull }.Select(r => r.StatusCode));
        Assert.Equal(TimeSpan.FromSeconds(7), roomFull.Headers.RetryAfter!.Delta);
        Assert.Equal("token_connections", (await sameToken.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reason").GetString());
        Assert.Equal("room_connections", (await roomFull.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reason").GetString());
        Assert.Equal((1, 1), (Refusals(host, "overlay_events", PublicRefusals.TokenConnections), Refusals(host, "overlay_events", PublicRefusals.RoomConnections)));

        // The second viewer leaves: its slot is the third's.
        two.Dispose();
        await Eventually.TrueAsync(async () =>
        {
            using var retry = await OpenAsync(host, room.Id, third);
            return retry.StatusCode == HttpStatusCode.OK;
        }, "the third viewer gets the slot the second left");
    }

    /// <summary>Every public overlay endpoint not covered above: its kind, method and path ({0}: the room).</summary>
    public static TheoryData<string, string, string> OtherEndpoints => new()
    {
        { "page", "GET", "/overlay/{0}" },
        { "page", "POST", "/overlay/{0}/session" },
        { "page", "GET", "/board/{0}" },
        { "overlay_ws", "GET", "/overlay/{0}/ws" },
        { "board_events", "GET", "/board/{0}/events" },
        { "spotlight", "POST", "/board/{0}/spotlight" },
        { "board_events", "GET", "/board/{0}/cues" },
        { "spotlight", "POST", "/board/{0}/cues/mute" },
    };

    [Theory]
    [MemberData(nameof(OtherEndpoints))]
    public async Task EveryPublicEndpointCountsItsTokensRequestsUnderItsOwnKindAndRefusesTheOneTooMany(string kind, string method, string path)
    {
        using var host = new OverlayHost(Redis.Configuration, Ledger, settings: new Dictionary<string, string?>
        {
            [$"PublicLimits:Endpoints:{kind}:PerToken"] = "2",
        });
        var room = OverlayHost.LiveRoom("limited-" + kind.Replace('_', '-'), "US", "TEE-LIM");
        await host.Client().UpsertRoomAsync(room);
        var (flooding, other) = (await OperatorTokenAsync(host, room), await OperatorTokenAsync(host, room));

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage last = null!;
        foreach (var token in new[] { flooding, flooding, flooding, other })
        {
            last?.Dispose();
            last = await SendAsync(host, method, string.Format(System.Globalization.CultureInfo.InvariantCulture, path, room.Id), token);
            statuses.Add(last.StatusCode);
        }
        last.Dispose();

        // Let in twice, whatever the endpoint then answers (a stream, a 400 for a plain GET of the socket), then 429; another token is not held back.
        Assert.All(statuses.Take(2).Append(statuses[3]), status => Assert.NotEqual(HttpStatusCode.TooManyRequests, status));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[2]);
        Assert.Equal(1, Refusals(host, kind, PublicRefusals.RateLimited));
    }

    [Fact]
    public async Task AFullTokenRefusesTheNextWebSocketBeforeTheUpgradeAndItsClosedSocketFreesTheSlot()
    {
        using var host = new OverlayHost(Redis.Configuration, Ledger, settings: new Dictionary<string, string?>
        {
            ["Overlay:MaxTokenConnections"] = "1",
            ["Overlay:ConnectionRetryAfterSeconds"] = "9",
        });
        await host.SetStockAsync("us-east", "TEE-WSCAP", 5, 1);
        var room = OverlayHost.LiveRoom("ws-capped", "US", "TEE-WSCAP");
        var token = await TokenAsync(host, room);
        var socket = await WsReader.OpenAsync(host, room.Id, token);
        await socket.ReadUntilAsync(Shows("TEE-WSCAP", 5));

        using var full = await SendAsync(host, "GET", $"/overlay/{room.Id}/ws", token);
        socket.Dispose();

        Assert.Equal(HttpStatusCode.TooManyRequests, full.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(9), full.Headers.RetryAfter!.Delta);
        Assert.Equal(1, Refusals(host, "overlay_ws", PublicRefusals.TokenConnections));
        // Once the socket is gone the token is let in again (a plain GET, not an upgrade, is then 400).
        await Eventually.TrueAsync(async () =>
        {
            using var again = await SendAsync(host, "GET", $"/overlay/{room.Id}/ws", token);
            return again.StatusCode == HttpStatusCode.BadRequest;
        }, "the closed socket's slot is free");
    }

    [Fact]
    public async Task AFloodWithoutATokenIsLimitedPerAddressWhileAnotherAddressIsLetThrough()
    {
        using var host = OverlayHost.OnSockets(Redis.Configuration, Ledger, new Dictionary<string, string?>
        {
            ["PublicLimits:Endpoints:overlay_events:PerAddress"] = "2",
        });
        await host.Client().UpsertRoomAsync(OverlayHost.LiveRoom("address-flood", "US", "TEE-ADDR"));
        using var flooder = From(IPAddress.Loopback, host.PageAddress);
        using var neighbour = From(IPAddress.Parse("127.0.0.2"), host.PageAddress);

        var flood = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var answer = await flooder.GetAsync("/overlay/address-flood/events");
            flood.Add(answer.StatusCode);
        }
        using var other = await neighbour.GetAsync("/overlay/address-flood/events");

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests], flood);
        Assert.Equal(HttpStatusCode.Unauthorized, other.StatusCode);
        Assert.Equal(1, Refusals(host, "overlay_events", PublicRefusals.RateLimited));
    }

    [Fact]
    public async Task ASpotlightBodyOverItsLimitIsRefused413AndChangesNothing()
    {
        using var host = new OverlayHost(Redis.Configuration, Ledger);
        var room = OverlayHost.LiveRoom("spotlight-body", "US", "TEE-BODY");
        await host.Client().UpsertRoomAsync(room);
        var token = await OperatorTokenAsync(host, room);
        var request = new HttpRequestMessage(HttpMethod.Post, $"/board/{room.Id}/spotlight")
        {
            Headers = { { PublicTokens.Header, token } },
            Content = JsonContent.Create(new { query = "TEE-BODY", padding = new string(' ', 5000) }),
        };

        using var refused = await host.CreateClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.StatusCode);
        Assert.Equal("body_too_large", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reason").GetString());
        Assert.Equal(1, Refusals(host, "spotlight", PublicRefusals.BodyTooLarge));
        using var viewer = await SseReader.OpenAsync(host.CreateClient(), new HttpRequestMessage(HttpMethod.Get, $"/overlay/{room.Id}/events") { Headers = { { PublicTokens.Header, token } } });
        Assert.Null((await viewer.ReadUntilAsync(_ => true)).Single().Update.Spotlight);
    }

    private static async Task<string> OperatorTokenAsync(OverlayHost host, Room room)
        => (await host.Client().IssueTokenAsync(new IssueTokenRequest { RoomId = room.Id, Scope = TokenScope.Operator })).Token;

    /// <summary>A request as the pages send it: the token in X-Stockcast-Token; a spotlight with its JSON body.</summary>
    private static Task<HttpResponseMessage> SendAsync(OverlayHost host, string method, string path, string token)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path) { Headers = { { PublicTokens.Header, token } } };
        if (path.EndsWith("/spotlight", StringComparison.Ordinal))
        {
            request.Content = JsonContent.Create(new { query = "" });
        }
        return host.CreateClient().SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    /// <summary>A client whose connections come from <paramref name="source"/> (any 127.x address is this machine's loopback).</summary>
    private static HttpClient From(IPAddress source, Uri server) => new(new SocketsHttpHandler
    {
        UseProxy = false,
        ConnectCallback = async (context, cancel) =>
        {
            var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(source, 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancel);
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    }) { BaseAddress = server };
}
