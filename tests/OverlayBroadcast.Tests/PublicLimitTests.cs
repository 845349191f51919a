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
}
