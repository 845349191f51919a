using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Google.Rpc;
using Grpc.Core;
using Stockcast.Overlay.V1;
using Stockcast.ServiceDefaults.Errors;
using Stockcast.Testing;

namespace Stockcast.Overlay.Tests;

/// <summary>The overlay's error answers: google.rpc.Status over gRPC, problem details over HTTP, 503 while Redis is down.</summary>
public sealed class ErrorAnswerTests(RedisServerFixture redis) : LedgerPerTest(redis, r => OverlayHost.StartLedgerAsync(r))
{
    [Fact]
    public async Task ABadRoomNamesTheFieldInABadRequestViolationAndKeepsItsMessage()
    {
        using var host = new OverlayHost(Redis.Configuration, Ledger);
        var room = OverlayHost.LiveRoom("err-room", "US", "TEE-1");
        room.Featured[0].Sku = "TEE\n1";

        var error = await Assert.ThrowsAsync<RpcException>(async () => await host.Client().UpsertRoomAsync(room));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("featured[0].sku: must not contain a line break (U+000A at character 4)", error.Status.Detail);
        Assert.Equal("featured[0].sku", Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }

    [Fact]
    public async Task TheBoardsSpotlightControlAnswersProblemDetailsForWhatItCannotShow()
    {
        using var host = new OverlayHost(Redis.Configuration, Ledger);
        await host.Client().UpsertRoomAsync(OverlayHost.LiveRoom("err-spot", "US", "TEE-SPOT"));
        var token = (await host.Client().IssueTokenAsync(new IssueTokenRequest { RoomId = "err-spot", Scope = TokenScope.Operator })).Token;
        var http = host.CreateClient();

        var unmatched = await http.PostAsJsonAsync($"/board/err-spot/spotlight?token={token}", new { query = "a red hat" });
        var tooLong = await http.PostAsJsonAsync($"/board/err-spot/spotlight?token={token}", new { query = new string('q', 501) });

        Assert.Equal(HttpStatusCode.NotFound, unmatched.StatusCode);
        Assert.Equal("no featured SKU of room 'err-spot' matches 'a red hat'", (await unmatched.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Equal("query", (await tooLong.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("field").GetString());
    }

    [Fact]
    public async Task WhileRedisIsDownACallIsUnavailableAndAPageIsABlank503WithRetryAfter()
    {
        using var own = new RedisProcess();
        own.Start();
        using var host = new OverlayHost($"{own.EndPoint},connectTimeout=500,asyncTimeout=1000,syncTimeout=1000", Ledger);
        await host.Client().UpsertRoomAsync(OverlayHost.LiveRoom("err-down", "US", "TEE-1"));
        var token = (await host.Client().IssueTokenAsync(new IssueTokenRequest { RoomId = "err-down" })).Token;

        own.Stop();
        var call = await Assert.ThrowsAsync<RpcException>(async () => await host.Client().GetRoomAsync(new GetRoomRequest { RoomId = "err-down" }));
        var page = await host.CreateClient().GetAsync($"/overlay/err-down?token={token}");

        Assert.Equal(StatusCode.Unavailable, call.StatusCode);
        Assert.Equal(ErrorMapping.StoreUnavailable, call.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, page.StatusCode);
        Assert.NotNull(page.Headers.RetryAfter);
        Assert.StartsWith("<!doctype html>", await page.Content.ReadAsStringAsync()); // blank, not JSON over the video
    }
}
