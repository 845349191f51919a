using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Stockcast.Overlay.V1;
using Stockcast.Testing;

namespace Stockcast.Overlay.Tests;

/// <summary>
/// Rooms over gRPC, the credentials they need, and viewer tokens on the event stream: open streams
/// trust a checked token for Overlay:TokenCacheSeconds, so revocation lands within it and a Redis outage ends nothing.
/// </summary>
public sealed class RoomTests(RedisServerFixture redis) : LedgerPerTest(redis, r => OverlayHost.StartLedgerAsync(r))
{
    private static readonly Dictionary<string, string?> Quick = new() { ["Overlay:HeartbeatSeconds"] = "1", ["Overlay:TokenCacheSeconds"] = "2" };

    [Fact]
    public async Task ARoomIsStoredWithItsDefaultsAndCanBeReadListedAndDeleted()
    {
        using var host = new OverlayHost(Redis.Configuration, Ledger);
        var room = OverlayHost.LiveRoom("spring-drop", "US", "TEE-1", "HOOD-1");
        room.MaxUpdatesPerSecond = 0;
        room.StaleAfterSeconds = 0;

        var stored = await host.Client().UpsertRoomAsync(room);
        var read = await host.Client(OverlayHost.ReaderKey).GetRoomAsync(new GetRoomRequest { RoomId = "spring-drop" });
        var listed = await host.Client(OverlayHost.ReaderKey).ListRoomsAsync(new ListRoomsRequest());
        var deleted = await host.Client().DeleteRoomAsync(new DeleteRoomRequest { RoomId = "spring-drop" });
        var gone = await Assert.ThrowsAsync<RpcException>(async () => await host.Client().GetRoomAsync(new GetRoomRequest { RoomId = "spring-drop" }));

        Assert.Equal((10, 10, "en"), (stored.StaleAfterSeconds, stored.MaxUpdatesPerSecond, stored.Display.Language));
        Assert.Equal(stored, read);
        Assert.Equal(["spring-drop"], listed.Rooms.Select(r => r.Id));
        Assert.True(deleted.Deleted);
        Assert.Equal(StatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task ChangingRoomsNeedsAnAdminKeyAndABadFieldIsNamedWithNothingStored()
    {
        using var host = new OverlayHost(Redis.Configuration, Ledger);
        var anonymous = await Assert.ThrowsAsync<RpcException>(async () => await host.Client(key: null).UpsertRoomAsync(OverlayHost.LiveRoom("r1", "US", "TEE-1")));
        var writer = await Assert.ThrowsAsync<RpcException>(async () => await host.Client(OverlayHost.WriterKey).UpsertRoomAsync(OverlayHost.LiveRoom("r1", "US", "TEE-1")));
        var badThresholds = OverlayHost.LiveRoom("r1", "US", "TEE-1", "TEE-2");
        badThresholds.Featured[1].YellowAtOrAbove = 50;
        var bad = await Assert.ThrowsAsync<RpcException>(async () => await host.Client().UpsertRoomAsync(badThresholds));
        var twice = await Assert.ThrowsAsync<RpcException>(async () => await host.Client().UpsertRoomAsync(OverlayHost.LiveRoom("r1", "US", "TEE-1", "TEE-1")));
        var language = OverlayHost.LiveRoom("r1", "US", "TEE-1");
        language.Display.Language = "klingon";
        var badLanguage = await Assert.ThrowsAsync<RpcException>(async () => await host.Client().UpsertRoomAsync(language));
        // The ledger's identifier rules: a room it would refuse a Watch for is refused here.
        var badSku = await Assert.ThrowsAsync<RpcException>(async () => await host.Client().UpsertRoomAsync(OverlayHost.LiveRoom("r1", "US", "TEE-1", "BAD\nSKU")));
        var badMarket = await Assert.ThrowsAsync<RpcException>(async () => await host.Client().UpsertRoomAsync(OverlayHost.LiveRoom("r1", "U S", "TEE-1")));
        var badId = await Assert.ThrowsAsync<RpcException>(async () => await host.Client().UpsertRoomAsync(OverlayHost.LiveRoom("r1/x", "US", "TEE-1")));

        Assert.Equal(StatusCode.Unauthenticated, anonymous.StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, writer.StatusCode);
        Assert.Equal((StatusCode.InvalidArgument, "featured[1].yellow_at_or_above"), (bad.StatusCode, bad.Trailers.GetValue("stockcast-field")));
        Assert.Equal("featured[1].sku", twice.Trailers.GetValue("stockcast-field"));
        Assert.Equal("display.language", badLanguage.Trailers.GetValue("stockcast-field"));
        Assert.Equal(["featured[1].sku", "market", "id"], new[] { badSku, badMarket, badId }.Select(e => e.Trailers.GetValue("stockcast-field")));
        Assert.Empty((await host.Client().ListRoomsAsync(new ListRoomsRequest())).Rooms);
    }

    [Fact]
    public async Task AViewerTokenOpensOnlyItsRoomAndAMissingWrongOrRevokedTokenGetsNoData()
    {
        using var host = new OverlayHost(Redis.Configuration, Ledger);
        await host.Client().UpsertRoomAsync(OverlayHost.LiveRoom("room-a", "US", "TEE-1"));
        await host.Client().UpsertRoomAsync(OverlayHost.LiveRoom("room-b", "US", "TEE-1"));
        var token = await host.Client().IssueTokenAsync(new IssueTokenRequest { RoomId = "room-a" });
        var http = host.CreateClient();

        using (var viewer = await SseReader.OpenAsync(http, token.Get()))
        {
            Assert.Equal("text/event-stream", viewer.Response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("room-a", (await viewer.ReadUntilAsync(_ => true)).Single().Update.RoomId);
        }
        var missing = await http.GetAsync("/overlay/room-a/events");
        var wrong = await http.GetAsync("/overlay/room-a/events?token=" + token.Token[..^2] + "xx");
        var otherRoom = await http.GetAsync($"/overlay/room-b/events?token={token.Token}");
        var readOnly = await Assert.ThrowsAsync<RpcException>(async () => await host.Client(key: token.Token).DeleteRoomAsync(new DeleteRoomRequest { RoomId = "room-a" }));
        var revoked = await host.Client().RevokeTokenAsync(new RevokeTokenRequest { RoomId = "room-a", TokenId = token.TokenId });
        var afterRevoke = await http.SendAsync(token.Get());

        Assert.Equal(43, token.Token.Length);
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, otherRoom.StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, readOnly.StatusCode);
        Assert.True(revoked.Revoked);
        Assert.Equal(HttpStatusCode.Forbidden, afterRevoke.StatusCode);
        Assert.Empty(await afterRevoke.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AnyReplicaServesARoomItsTokenAndItsSpotlightMadeThroughAnother()
    {
        using var made = new OverlayHost(Redis.Configuration, Ledger);
        // The other replica trusts a token it checked for its cache time: the revocation reaches it within that.
        using var other = new OverlayHost(Redis.Configuration, Ledger, made.Namespace, new Dictionary<string, string?> { ["Overlay:TokenCacheSeconds"] = "1" });
        var room = OverlayHost.LiveRoom("two-replicas", "US", "TEE-R1", "HOOD-R1");
        room.Featured[1].Aliases.Add("grey hoodie");
        await made.Client().UpsertRoomAsync(room);
        var token = await made.Client().IssueTokenAsync(new IssueTokenRequest { RoomId = "two-replicas" });

        using var viewer = await SseReader.OpenAsync(other.CreateClient(), token.Get());
        await viewer.ReadUntilAsync(u => u.RoomId == "two-replicas");
        await made.Client().SpotlightAsync(new SpotlightRequest { RoomId = "two-replicas", Query = "grey hoodie pls" });
        var shown = (await viewer.ReadUntilAsync(u => u.Spotlight is not null)).Last().Update;
        await made.Client().RevokeTokenAsync(new RevokeTokenRequest { RoomId = "two-replicas", TokenId = token.TokenId });

        await Eventually.TrueAsync(async () =>
        {
            using var answer = await other.CreateClient().SendAsync(token.Get(), HttpCompletionOption.ResponseHeadersRead);
            return answer.StatusCode == HttpStatusCode.Forbidden;
        }, "the other replica refuses the revoked token");

        Assert.Equal(("HOOD-R1", "grey hoodie pls"), (shown.Spotlight.Stock.Sku, shown.Spotlight.Query));
    }

    [Fact]
    public async Task ThePageShellNeedsNoTokenWhileAnOldLinksWrongTokenGetsABlankPage()
    {
        using var host = new OverlayHost(Redis.Configuration, Ledger);
        await host.Client().UpsertRoomAsync(OverlayHost.LiveRoom("page-room", "US", "TEE-1"));
        var token = await host.Client().IssueTokenAsync(new IssueTokenRequest { RoomId = "page-room" });
        var http = host.CreateClient();

        var shell = await http.GetAsync("/overlay/page-room");
        var html = await shell.Content.ReadAsStringAsync();
        var oldLink = await http.GetAsync($"/overlay/page-room?token={token.Token}");
        var wrong = await http.GetAsync("/overlay/page-room?token=not-the-token");

        Assert.Equal($"/overlay/page-room#token={token.Token}", token.OverlayPath);
        Assert.Equal("/overlay/page-room/events", token.EventsPath);
        Assert.Equal(HttpStatusCode.OK, shell.StatusCode);
        Assert.Equal("text/html", shell.Content.Headers.ContentType?.MediaType);
        Assert.Contains("new URLSearchParams(location.hash.slice(1)).get(\"token\")", html);
        Assert.Contains("new EventSource(url)", html);
        Assert.Contains("background: transparent", html);
        Assert.Equal(HttpStatusCode.OK, oldLink.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        Assert.DoesNotContain("EventSource", await wrong.Content.ReadAsStringAsync()); // a blank page: no script, no data
    }

    [Fact]
    public async Task APagesTokenIsExchangedForAStrictHttpOnlyCookieOfItsRoomThatOpensItsStreams()
    {
        using var host = new OverlayHost(Redis.Configuration, Ledger);
        await host.Client().UpsertRoomAsync(OverlayHost.LiveRoom("cookie-room", "US", "TEE-1"));
        var token = await host.Client().IssueTokenAsync(new IssueTokenRequest { RoomId = "cookie-room" });
        // Each client keeps its own cookies, as a browser does: this one is the page.
        var page = host.CreateClient();
        var http = host.CreateClient();

        var exchanged = await page.SendAsync(TokenRequests.Exchange("/overlay/cookie-room", token.Token));
        var cookie = Assert.Single(exchanged.Headers.GetValues("Set-Cookie"));
        var pair = cookie[..cookie.IndexOf(';', StringComparison.Ordinal)];
        using (var viewer = await SseReader.OpenAsync(page, "/overlay/cookie-room/events"))
        {
            Assert.Equal("cookie-room", (await viewer.ReadUntilAsync(_ => true)).Single().Update.RoomId);
        }
        var withoutCookie = await http.GetAsync("/overlay/cookie-room/events");
        var missing = await http.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/overlay/cookie-room/session"));
        var wrong = await http.SendAsync(TokenRequests.Exchange("/overlay/cookie-room", "not-the-token"));
        await host.Client().RevokeTokenAsync(new RevokeTokenRequest { RoomId = "cookie-room", TokenId = token.TokenId });
        var revoked = await http.SendAsync(TokenRequests.Exchange("/overlay/cookie-room", token.Token));

        Assert.Equal(HttpStatusCode.NoContent, exchanged.StatusCode);
        Assert.Equal($"stockcast-token={token.Token}", pair);
        Assert.Contains("path=/overlay/cookie-room", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("max-age=3600", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", cookie.Replace("samesite", "", StringComparison.OrdinalIgnoreCase), StringComparison.OrdinalIgnoreCase); // plain HTTP, not configured Secure
        Assert.Equal(HttpStatusCode.Unauthorized, withoutCookie.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, revoked.StatusCode);
        Assert.False(wrong.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task BehindAnIngressThatEndsTlsTheRoomCookieIsSecure()
    {
        using var host = new OverlayHost(Redis.Configuration, Ledger, settings: new Dictionary<string, string?> { ["Overlay:SecureCookies"] = "true" });
        await host.Client().UpsertRoomAsync(OverlayHost.LiveRoom("secure-room", "US", "TEE-1"));
        var token = await host.Client().IssueTokenAsync(new IssueTokenRequest { RoomId = "secure-room", Scope = TokenScope.Operator });

        var exchanged = await host.CreateClient().SendAsync(TokenRequests.Exchange("/board/secure-room", token.Token));

        var cookie = Assert.Single(exchanged.Headers.GetValues("Set-Cookie"));
        Assert.Contains("; secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/board/secure-room", cookie, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ATokenRevokedThroughAnotherReplicaEndsItsStreamWithinTheCacheTime()
    {
        using var made = new OverlayHost(Redis.Configuration, Ledger, settings: Quick);
        using var other = new OverlayHost(Redis.Configuration, Ledger, made.Namespace, Quick);
        await made.Client().UpsertRoomAsync(OverlayHost.LiveRoom("cache-revoke", "US", "TEE-1"));
        var token = await made.Client().IssueTokenAsync(new IssueTokenRequest { RoomId = "cache-revoke" });
        using var viewer = await SseReader.OpenAsync(other.CreateClient(), token.Get());
        await viewer.ReadUntilAsync(_ => true);

        await made.Client().RevokeTokenAsync(new RevokeTokenRequest { RoomId = "cache-revoke", TokenId = token.TokenId });
        var ending = System.Diagnostics.Stopwatch.StartNew();
        await viewer.ReadUntilAsync<Empty>("revoked", _ => true);

        // The cache time, plus a heartbeat until the next check, plus slack for a shared CPU.
        Assert.InRange(ending.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(2 + 1 + 3));
    }

    [Fact]
    [Trait(Lane.Name, Lane.Slow)]
    public async Task ARedisOutageEndsNoOpenStreamAndANewViewerIsAnswered503WithRetryAfter()
    {
        using var own = new RedisProcess();
        own.Start();
        using var host = new OverlayHost($"{own.EndPoint},connectTimeout=500,asyncTimeout=1000,syncTimeout=1000", Ledger, settings: Quick);
        await host.Client().UpsertRoomAsync(OverlayHost.LiveRoom("cache-outage", "US", "TEE-1"));
        var seen = await host.Client().IssueTokenAsync(new IssueTokenRequest { RoomId = "cache-outage" });
        var unseen = await host.Client().IssueTokenAsync(new IssueTokenRequest { RoomId = "cache-outage" });
        var http = host.CreateClient();
        using var viewer = await SseReader.OpenAsync(http, seen.Get());
        await viewer.ReadUntilAsync(_ => true);

        own.Stop();
        var newViewer = await http.SendAsync(unseen.Get(), HttpCompletionOption.ResponseHeadersRead);
        var socket = await http.SendAsync(unseen.Get("/overlay/cache-outage/ws"), HttpCompletionOption.ResponseHeadersRead);

        // Several cache times and heartbeats with Redis gone: each check finds Redis down and keeps the last answer.
        Assert.True(await viewer.StaysOpenAsync(TimeSpan.FromSeconds(6)));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, newViewer.StatusCode);
        Assert.NotNull(newViewer.Headers.RetryAfter);
        Assert.Equal(503, (await newViewer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetInt32());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, socket.StatusCode);
    }

    [Fact]
    public async Task ARoomsLanguagesNamesAndCueSettingsAreCheckedFieldByFieldAndStoredResolved()
    {
        using var host = new OverlayHost(Redis.Configuration, Ledger);
        Task<RpcException> RefusedAsync(Action<Room> spoil)
        {
            var room = OverlayHost.LiveRoom("langs", "TW", "TEE-1");
            spoil(room);
            return Assert.ThrowsAsync<RpcException>(async () => await host.Client().UpsertRoomAsync(room));
        }
        var refusals = new[]
        {
            await RefusedAsync(r => r.HostLanguage = "xx"),
            await RefusedAsync(r => r.MutedCues.Add((CueType)99)),
            await RefusedAsync(r => r.CueIntervalSeconds = 3601),
            await RefusedAsync(r => r.Featured[0].Names.Add("xx", "Tee")),
            await RefusedAsync(r => r.Featured[0].ImageUrl = "http://cdn.example/tee.jpg"),
        };
        var nothingStored = (await host.Client().ListRoomsAsync(new ListRoomsRequest())).Rooms;
        var room = OverlayHost.LiveRoom("langs", "TW", "TEE-1");
        room.Display.Language = "";
        room.HostLanguage = "zh-CN";
        room.MutedCues.Add([CueType.Spotlight, CueType.LowStock, CueType.Spotlight]);
        room.Featured[0].Names.Add(new Dictionary<string, string> { ["zh-TW"] = "白色T恤", ["en"] = "White tee" });

        var stored = await host.Client().UpsertRoomAsync(room);

        Assert.Equal(["host_language", "muted_cues[0]", "cue_interval_seconds", "featured[0].names", "featured[0].image_url"],
            refusals.Select(e => e.Trailers.GetValue("stockcast-field")));
        Assert.Empty(nothingStored);
        // Taiwan's viewers read Traditional Chinese; the host (Mainland) Simplified; names under the resolved tags.
        Assert.Equal(("zh-Hant", "zh-Hans", 30), (stored.Display.Language, stored.HostLanguage, stored.CueIntervalSeconds));
        Assert.Equal([CueType.LowStock, CueType.Spotlight], stored.MutedCues);
        Assert.Equal(new Dictionary<string, string> { ["zh-Hant"] = "白色T恤", ["en"] = "White tee" }, stored.Featured[0].Names);
    }
}
