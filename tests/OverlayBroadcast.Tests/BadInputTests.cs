using System.Net;
using System.Text;
using CsCheck;
using Google.Protobuf;
using Stockcast.Overlay.V1;
using Stockcast.Testing;
using Stockcast.Testing.BadInput;

namespace Stockcast.Overlay.Tests;

/// <summary>
/// Generated bad input to the overlay: every gRPC request (rooms, tokens, spotlight, watches) with one
/// field spoiled or random, and the page, event-stream, socket and spotlight URLs with mangled rooms,
/// tokens and query strings. Never a 5xx, never a page that shows internals; a refusal names the field
/// and changes no room; the service still answers a good request afterwards.
/// </summary>
public sealed class BadInputTests(RedisServerFixture redis) : LedgerPerTest(redis, r => OverlayHost.StartLedgerAsync(r))
{
    private const int PerMethod = 200;
    private const int Urls = 1500;

    [Fact]
    public async Task GeneratedBadRequestsAreRefusedNamingTheFieldAndChangeNoRoom()
    {
        using var host = new OverlayHost(Redis.Configuration, Ledger);
        var client = host.Client();
        await client.UpsertRoomAsync(OverlayHost.LiveRoom("kept", "US", "TEE-1"));
        var fuzz = new GrpcFuzz(host.Channel(OverlayHost.AdminKey).CreateCallInvoker(), V1.Overlay.Descriptor,
            async () => (await client.ListRoomsAsync(new ListRoomsRequest())).ToString());
        var room = OverlayHost.LiveRoom("spring-drop", "US", "TEE-1", "HOOD-1");
        room.Featured[0].Aliases.Add("white tee");
        var seeds = new Dictionary<string, IMessage[]>
        {
            ["UpsertRoom"] = [room],
            ["GetRoom"] = [new GetRoomRequest { RoomId = "spring-drop" }],
            ["ListRooms"] = [new ListRoomsRequest()],
            ["DeleteRoom"] = [new DeleteRoomRequest { RoomId = "spring-drop" }],
            ["IssueToken"] = [new IssueTokenRequest { RoomId = "kept", Scope = TokenScope.Operator }],
            ["RevokeToken"] = [new RevokeTokenRequest { RoomId = "kept", TokenId = "t-1" }],
            ["Spotlight"] = [new SpotlightRequest { RoomId = "kept", Query = "TEE-1" }],
            ["WatchRoom"] = [new WatchRoomRequest { RoomId = "kept" }],
            ["WatchBoard"] = [new WatchRoomRequest { RoomId = "kept" }],
            ["WatchCues"] = [new WatchCuesRequest { RoomId = "kept", Language = "de" }],
            ["MuteCue"] = [new MuteCueRequest { RoomId = "kept", Type = CueType.LowStock, Muted = true }],
        };

        await fuzz.RunAsync(seeds, PerMethod, async () => Assert.Equal("kept", (await client.GetRoomAsync(new GetRoomRequest { RoomId = "kept" })).Id));

        ReliabilityReport.WriteSection("bad-input-overlay-grpc", fuzz.Tally.Markdown("overlay gRPC (room configuration, tokens, spotlight)",
            $"Every method of `stockcast.overlay.v1.Overlay`, {PerMethod} generated requests each (OverlayBroadcast.Tests BadInputTests)."));
        fuzz.Tally.AssertNoViolations();
    }

    [Fact]
    public async Task MangledPageAndStreamAddressesAreAnsweredBelow500AndNeverShowInternals()
    {
        // Every generated address comes from one client with one token: the rate limits (PublicLimitTests) stay out of the way.
        using var host = new OverlayHost(Redis.Configuration, Ledger, settings: new[] { "page", "overlay_events", "overlay_ws", "board_events", "spotlight" }
            .SelectMany(kind => new[] { $"PublicLimits:Endpoints:{kind}:PerAddress", $"PublicLimits:Endpoints:{kind}:PerToken" })
            .ToDictionary(key => key, _ => (string?)"100000"));
        var room = OverlayHost.LiveRoom("spring-drop", "US", "TEE-1");
        await host.Client().UpsertRoomAsync(room);
        var token = (await host.Client().IssueTokenAsync(new IssueTokenRequest { RoomId = room.Id, Scope = TokenScope.Operator })).Token;
        using var http = host.CreateClient();
        var tally = new Tally();
        string[] paths = ["/overlay/{0}", "/overlay/{0}/events", "/overlay/{0}/ws", "/board/{0}", "/board/{0}/events", "/board/{0}/spotlight", "/board/{0}/cues", "/board/{0}/cues/mute"];
        var bodies = new Dictionary<string, string> { ["/spotlight"] = """{"query":"TEE-1"}""", ["/mute"] = """{"type":"LOW_STOCK","muted":false}""" };
        var rooms = Gen.OneOf(Gen.Const(room.Id), Mangled(room.Id));
        var tokens = Gen.OneOf(Gen.Const<string?>(token), Gen.Const((string?)null), Mangled(token).Select(t => (string?)t));
        var extras = Gen.Select(Gen.OneOf("lang", "language", "display", "count_down", "heat_map", "room", "token", "market", "theme", ""), Mangled("zh")).Array[0, 3];
        var addresses = Gen.Select(Gen.Int[0, paths.Length - 1], rooms, tokens, extras);
        var pcg = new PCG(1, 15);

        for (var i = 0; i < Urls; i++)
        {
            var (path, roomId, tokenValue, extra) = addresses.Generate(pcg, null, out _);
            var query = string.Join("&", (tokenValue is null ? [] : new[] { "token=" + tokenValue }).Concat(extra.Select(e => $"{e.Item1}={e.Item2}")));
            var url = string.Format(System.Globalization.CultureInfo.InvariantCulture, paths[path], roomId) + (query.Length > 0 ? "?" + query : "");
            var template = paths[path].Replace("{0}", "{room}", StringComparison.Ordinal);
            string? problem;
            try
            {
                var body = bodies.FirstOrDefault(b => template.EndsWith(b.Key, StringComparison.Ordinal)).Value;
                using var request = new HttpRequestMessage(body is null ? HttpMethod.Get : HttpMethod.Post, url)
                {
                    Content = body is null ? null : new StringContent(body, Encoding.UTF8, "application/json"),
                };
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                tally.Count(template, response.IsSuccessStatusCode ? Tally.Accepted : ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
                problem = await HttpAnswers.ProblemAsync(response);
            }
            catch (Exception e) when (e is UriFormatException or InvalidOperationException)
            {
                // The client itself will not send it (not a URL): nothing reached the service.
                tally.Count(template, "not sendable");
                continue;
            }
            if (problem is not null)
            {
                tally.Violation($"{problem} <- {url}");
            }
        }

        using var good = await http.GetAsync($"/overlay/{room.Id}?token={token}");
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        ReliabilityReport.WriteSection("bad-input-overlay-urls", tally.Markdown("overlay URLs (pages, SSE, WebSocket, spotlight, cues)",
            $"{Urls} generated addresses (OverlayBroadcast.Tests BadInputTests): the room id, token and query string mangled (empty, long, control and percent-encoded characters, unicode, path segments)."));
        tally.AssertNoViolations();
    }

    /// <summary>A URL part spoiled the ways an address gets mangled, escaped as a browser would or not at all.</summary>
    private static Gen<string> Mangled(string valid) => Gen.OneOf(
        Gen.OneOf("", "%", "%ZZ", "%00", "%0A", "..", "%2e%2e", "%2F", "a%2Fb", new string('x', 5000), valid + "%0A", valid.ToUpperInvariant(), valid + "%F0%9F%A7%B8", "%C0%AF", "%FF%FE", valid + "#x", valid + "%20"),
        Gen.String.Select(Uri.EscapeDataString),
        Gen.String[Gen.Char.AlphaNumeric, 1, 60]);
}
