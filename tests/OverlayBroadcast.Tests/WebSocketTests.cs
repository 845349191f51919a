using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Hosting;
using Stockcast.Overlay.V1;
using Stockcast.Testing;

namespace Stockcast.Overlay.Tests;

/// <summary>The WebSocket transport: the same updates as the event stream, the same refusals, closed on revocation.</summary>
public sealed class WebSocketTests(RedisServerFixture redis) : LedgerPerTest(redis, r => OverlayHost.StartLedgerAsync(r))
{
    private static Func<RoomUpdate, bool> Shows(string sku, long atp)
        => u => u.Skus.Any(s => s.Sku == sku && s.AvailableToPromise == atp && s.Colour != StockColour.Unspecified);

    /// <summary>Creates the room and opens its WebSocket with a fresh viewer token.</summary>
    private static async Task<WsReader> OpenAsync(OverlayHost host, Room room)
    {
        await host.Client().UpsertRoomAsync(room);
        var token = await host.Client().IssueTokenAsync(new IssueTokenRequest { RoomId = room.Id });
        return await WsReader.OpenAsync(host, room.Id, token.Token);
    }

    [Fact]
    public async Task AWebSocketViewerSeesTheCountDownInOrderAsTheLedgerChanges()
    {
        using var host = new OverlayHost(Redis.Configuration, Ledger);
        await host.SetStockAsync("us-east", "TEE-WS-CD", 10, 1);
        using var viewer = await OpenAsync(host, OverlayHost.LiveRoom("ws-count-down", "US", "TEE-WS-CD"));
        var seen = await viewer.ReadUntilAsync(Shows("TEE-WS-CD", 10));

        for (var left = 9; left >= 0; left--)
        {
            await host.SetStockAsync("us-east", "TEE-WS-CD", left, 11 - left);
            seen.AddRange(await viewer.ReadUntilAsync(Shows("TEE-WS-CD", left)));
        }

        var shown = seen.Select(u => u.Skus[0]).Where(s => s.Colour != StockColour.Unspecified).ToList();
        Assert.Equal([10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0], shown.Select(s => s.AvailableToPromise).Distinct());
        Assert.True(seen.Zip(seen.Skip(1)).All(p => p.Second.Sequence > p.First.Sequence), "sequences increase");
        Assert.Equal(("Sold out", StockColour.SoldOut), (shown[^1].Label, shown[^1].Colour));
        var metrics = await host.MetricsAsync();
        Assert.Matches(@"stockcast_overlay_viewers\{transport=""ws""\} 1\n", metrics);
    }

    [Fact]
    public async Task AWebSocketWithAMissingWrongOrOtherRoomsTokenIsRefusedBeforeTheUpgradeWithNoData()
    {
        using var host = new OverlayHost(Redis.Configuration, Ledger);
        await host.Client().UpsertRoomAsync(OverlayHost.LiveRoom("ws-room-a", "US", "TEE-1"));
        await host.Client().UpsertRoomAsync(OverlayHost.LiveRoom("ws-room-b", "US", "TEE-1"));
        var token = await host.Client().IssueTokenAsync(new IssueTokenRequest { RoomId = "ws-room-a" });
        var http = host.CreateClient();

        var wrong = await Assert.ThrowsAsync<InvalidOperationException>(() => WsReader.OpenAsync(host, "ws-room-a", token.Token[..^2] + "xx"));
        var otherRoom = await Assert.ThrowsAsync<InvalidOperationException>(() => WsReader.OpenAsync(host, "ws-room-b", token.Token));
        var missing = await Assert.ThrowsAsync<InvalidOperationException>(() => WsReader.OpenAsync(host, "ws-room-a", ""));
        var noRoom = await Assert.ThrowsAsync<InvalidOperationException>(() => WsReader.OpenAsync(host, "ws-no-such-room", token.Token));
        var plainWrong = await http.GetAsync($"/overlay/ws-room-a/ws?token=not-the-token");
        using var allowed = await WsReader.OpenAsync(host, "ws-room-a", token.Token);

        Assert.Contains("403", wrong.Message);
        Assert.Contains("403", otherRoom.Message);
        Assert.Contains("401", missing.Message);
        Assert.Contains("403", noRoom.Message); // a token belongs to one room: it opens no other, existing or not
        Assert.Equal(HttpStatusCode.Forbidden, plainWrong.StatusCode);
        Assert.Empty(await plainWrong.Content.ReadAsStringAsync());
        Assert.Equal("ws-room-a", (await allowed.ReadUntilAsync(_ => true)).Single().RoomId);
    }

    [Fact]
    public async Task RevokingATokenClosesItsOpenWebSocketWithAReason()
    {
        using var host = new OverlayHost(Redis.Configuration, Ledger);
        // Revocation is noticed within a heartbeat: a short one keeps the test short.
        using var quick = host.WithWebHostBuilder(b => b.UseSetting("Overlay:HeartbeatSeconds", "1"));
        var client = new V1.Overlay.OverlayClient(TestChannels.WithApiKey(quick.Server.BaseAddress, quick.Server.CreateHandler(), OverlayHost.AdminKey));
        await host.SetStockAsync("us-east", "TEE-WS-REV", 5, 1);
        await client.UpsertRoomAsync(OverlayHost.LiveRoom("ws-revoked", "US", "TEE-WS-REV"));
        var token = await client.IssueTokenAsync(new IssueTokenRequest { RoomId = "ws-revoked" });
        using var viewer = await WsReader.OpenAsync(quick, "ws-revoked", token.Token);
        await viewer.ReadUntilAsync(Shows("TEE-WS-REV", 5));

        await client.RevokeTokenAsync(new RevokeTokenRequest { RoomId = "ws-revoked", TokenId = token.TokenId });
        var (status, reason) = await viewer.ReadUntilClosedAsync();

        Assert.Equal((WebSocketCloseStatus.PolicyViolation, "viewer token revoked"), (status, reason));
    }

    [Fact]
    public async Task TheOverlayPageUsesTheWebSocketOnlyWhenAskedAndReconnectsItWithBackoff()
    {
        using var host = new OverlayHost(Redis.Configuration, Ledger);
        await host.Client().UpsertRoomAsync(OverlayHost.LiveRoom("ws-page", "US", "TEE-1"));
        var html = await host.CreateClient().GetStringAsync("/overlay/ws-page?transport=ws");

        Assert.Contains("if (params.get(\"transport\") === \"ws\")", html);
        Assert.Contains("const path = `${base}/ws${token.query}`;", html);
        Assert.Contains("Math.min(30000, 1000 * 2 ** attempt)", html);
        Assert.Contains("const url = `${base}/events${token.query}`;", html);
        Assert.Contains("new EventSource(url)", html);
    }

    [Fact]
    public async Task TheLastValueOfABurstArrivesOverTheWebSocketWithNothingOlderAfterIt()
    {
        using var host = new OverlayHost(Redis.Configuration, Ledger);
        await host.SetStockAsync("us-east", "TEE-WS-BURST", 1000, 1);
        var room = OverlayHost.LiveRoom("ws-burst", "US", "TEE-WS-BURST");
        room.MaxUpdatesPerSecond = 10;
        using var viewer = await OpenAsync(host, room);
        await viewer.ReadUntilAsync(Shows("TEE-WS-BURST", 1000));

        await host.ApplyAsync([.. Enumerable.Range(1, 200).Select(i => ("us-east", "TEE-WS-BURST", 1000L - i, 1L + i))]);
        var values = (await viewer.ReadUntilAsync(Shows("TEE-WS-BURST", 800))).Select(u => u.Skus[0].AvailableToPromise).ToList();

        Assert.Equal(800, values[^1]);
        Assert.True(values.Zip(values.Skip(1)).All(p => p.Second < p.First), "never an older value after a newer one: " + string.Join(",", values));
        Assert.True(values.Count < 50, $"{values.Count} updates for 200 changes");
    }
}
