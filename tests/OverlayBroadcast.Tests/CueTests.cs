using System.Net;
using System.Net.Http.Json;
using Grpc.Core;
using Stockcast.Overlay.V1;
using Stockcast.Testing;

namespace Stockcast.Overlay.Tests;

/// <summary>
/// The host's cues: what to say now, derived from what the room's viewers are shown, in the language the
/// host listens in, rate-limited, muted per type. Real gRPC streams and SSE against the real ledger and Redis.
/// </summary>
public sealed class CueTests(RedisServerFixture redis) : LedgerPerTest(redis, r => OverlayHost.StartLedgerAsync(r))
{
    /// <summary>A German room (its market's language) hosted in Chinese, its two products named in both.</summary>
    private static Room TwoLanguageRoom(string id, params string[] skus)
    {
        var room = OverlayHost.LiveRoom(id, "DE", skus);
        room.Display.Language = "";
        room.HostLanguage = "zh";
        room.Featured[0].Names.Add(new Dictionary<string, string> { ["de"] = "Weißes Shirt", ["zh-Hans"] = "白色T恤" });
        return room;
    }

    /// <summary>Waits until the room's viewers are shown <paramref name="sku"/> at <paramref name="atp"/>: cues compare with what was shown.</summary>
    private static Task ShownAsync(IAsyncStreamReader<RoomUpdate> viewer, string sku, long atp)
        => viewer.ReadUntilAsync(u => u.Skus.Any(s => s.Sku == sku && !s.Stale && s.Colour != StockColour.Unspecified && s.AvailableToPromise == atp));

    [Fact]
    public async Task AHostHearsLowStockPreSaleSoldOutBackInStockAndSpotlightInEitherLanguageOfTheRoom()
    {
        using var host = new OverlayHost(Redis.Configuration, Ledger);
        await host.ApplyAsync([("eu-central", "CUE-TEE", 30, 1), ("eu-central", "CUE-HOOD", 8, 1)]);
        var room = TwoLanguageRoom("cues-two", "CUE-TEE", "CUE-HOOD");
        await host.Client().UpsertRoomAsync(room);
        using var viewer = host.Client(OverlayHost.ReaderKey).WatchRoom(new WatchRoomRequest { RoomId = room.Id });
        await ShownAsync(viewer.ResponseStream, "CUE-TEE", 30);
        using var chinese = host.Client(OverlayHost.ReaderKey).WatchCues(new WatchCuesRequest { RoomId = room.Id });
        using var german = host.Client(OverlayHost.ReaderKey).WatchCues(new WatchCuesRequest { RoomId = room.Id, Language = "de-DE" });

        await host.SetStockAsync("eu-central", "CUE-TEE", 4, 2);
        var lowZh = (await chinese.ResponseStream.ReadUntilAsync(c => c.Type == CueType.LowStock))[^1];
        var lowDe = (await german.ResponseStream.ReadUntilAsync(c => c.Type == CueType.LowStock))[^1];
        await host.SetFiguresAsync(new StockFigure("eu-central", "CUE-TEE", 0, 3, Inbound: 50));
        var preSale = (await german.ResponseStream.ReadUntilAsync(c => c.Type == CueType.PreSale))[^1];
        await host.SetStockAsync("eu-central", "CUE-HOOD", 0, 2);
        var soldOut = (await german.ResponseStream.ReadUntilAsync(c => c.Type == CueType.SoldOut))[^1];
        await host.SetStockAsync("eu-central", "CUE-TEE", 25, 4);
        var back = (await chinese.ResponseStream.ReadUntilAsync(c => c.Type == CueType.BackInStock))[^1];
        await host.Client(OverlayHost.WriterKey).SpotlightAsync(new SpotlightRequest { RoomId = room.Id, Query = "CUE-TEE" });
        var spotlight = (await german.ResponseStream.ReadUntilAsync(c => c.Type == CueType.Spotlight))[^1];

        Assert.Equal(("zh-Hans", "白色T恤在德国仅剩 4 件，抓紧下单！"), (lowZh.Language, lowZh.Text));
        Assert.Equal(("de", "Weißes Shirt: nur noch 4 übrig (Deutschland)!"), (lowDe.Language, lowDe.Text));
        // The facts, for an AI host to phrase its own.
        Assert.Equal(("CUE-TEE", "DE", 4L, 30L, "Weißes Shirt"), (lowDe.Sku, lowDe.Market, lowDe.AvailableToPromise, lowDe.PreviousAvailable, lowDe.Name));
        Assert.Equal(lowZh.Id, lowDe.Id);
        Assert.Equal((7L, "Weißes Shirt ist ausverkauft – jetzt vorbestellen, Versand in 7 Tagen!"), (preSale.ShipsInDays, preSale.Text));
        // A product without a German name is called by its display name.
        Assert.Equal(("CUE-HOOD", "CUE-HOOD ist ausverkauft (Deutschland). Danke euch!"), (soldOut.Sku, soldOut.Text));
        Assert.Equal("白色T恤在德国补货啦，现货 25 件！", back.Text);
        Assert.Equal("Schaut euch Weißes Shirt an!", spotlight.Text);
    }

    [Fact]
    public async Task CuesAreLimitedToOnePerSkuAndTypePerIntervalAndAFewAMinutePerRoom()
    {
        using var host = new OverlayHost(Redis.Configuration, Ledger, settings: new Dictionary<string, string?> { ["Overlay:CuesPerMinute"] = "3" });
        await host.ApplyAsync([("us-east", "RATE-A", 30, 1), ("us-east", "RATE-B", 30, 1), ("us-east", "RATE-C", 30, 1), ("us-east", "RATE-D", 30, 1)]);
        var room = OverlayHost.LiveRoom("cues-rate", "US", "RATE-A", "RATE-B", "RATE-C", "RATE-D");
        room.CueIntervalSeconds = 3600;
        await host.Client().UpsertRoomAsync(room);
        using var viewer = host.Client(OverlayHost.ReaderKey).WatchRoom(new WatchRoomRequest { RoomId = room.Id });
        await ShownAsync(viewer.ResponseStream, "RATE-D", 30);
        using var cues = host.Client(OverlayHost.ReaderKey).WatchCues(new WatchCuesRequest { RoomId = room.Id });

        // RATE-A goes low twice within its interval: one cue. Then RATE-B sells out.
        await host.SetStockAsync("us-east", "RATE-A", 4, 2);
        await ShownAsync(viewer.ResponseStream, "RATE-A", 4);
        await host.SetStockAsync("us-east", "RATE-A", 30, 3);
        await ShownAsync(viewer.ResponseStream, "RATE-A", 30);
        await host.SetStockAsync("us-east", "RATE-A", 3, 4);
        await ShownAsync(viewer.ResponseStream, "RATE-A", 3);
        await host.SetStockAsync("us-east", "RATE-B", 0, 2);
        var heard = await cues.ResponseStream.ReadUntilAsync(c => c.Sku == "RATE-B");
        // The third cue of the minute is said; the fourth is not. The board, handed the update that showed
        // RATE-D low, already holds every cue that update raised.
        using var board = host.Client(OverlayHost.ReaderKey).WatchBoard(new WatchRoomRequest { RoomId = room.Id });
        await host.SetStockAsync("us-east", "RATE-C", 4, 2);
        await ShownAsync(viewer.ResponseStream, "RATE-C", 4);
        await host.SetStockAsync("us-east", "RATE-D", 4, 2);
        var last = (await board.ResponseStream.ReadUntilAsync(b => b.Room.Skus.Any(s => s.Sku == "RATE-D" && s.AvailableToPromise == 4)))[^1];

        Assert.Equal([(CueType.LowStock, "RATE-A", 4L), (CueType.SoldOut, "RATE-B", 0L)], heard.Select(c => (c.Type, c.Sku, c.AvailableToPromise)));
        Assert.Equal(["RATE-A", "RATE-B", "RATE-C"], last.Cues.Select(c => c.Sku));
    }

    [Fact]
    public async Task AMutedCueTypeIsNotRaisedUntilTheOperatorUnmutesItFromTheBoard()
    {
        using var host = new OverlayHost(Redis.Configuration, Ledger);
        await host.ApplyAsync([("us-east", "MUTE-A", 30, 1), ("us-east", "MUTE-B", 30, 1)]);
        var room = OverlayHost.LiveRoom("cues-mute", "US", "MUTE-A", "MUTE-B");
        var (boardEvents, token) = await host.OpenBoardAsync(room);
        using var _ = boardEvents;
        using var viewer = host.Client(OverlayHost.ReaderKey).WatchRoom(new WatchRoomRequest { RoomId = room.Id });
        await ShownAsync(viewer.ResponseStream, "MUTE-B", 30);

        var muted = await host.Client(OverlayHost.WriterKey).MuteCueAsync(new MuteCueRequest { RoomId = room.Id, Type = CueType.LowStock, Muted = true });
        using var board = host.Client(OverlayHost.ReaderKey).WatchBoard(new WatchRoomRequest { RoomId = room.Id });
        await board.ResponseStream.ReadUntilAsync(b => b.MutedCues.Contains(CueType.LowStock));
        await host.SetStockAsync("us-east", "MUTE-A", 4, 2);
        var quiet = (await board.ResponseStream.ReadUntilAsync(b => b.Room.Skus.Any(s => s.Sku == "MUTE-A" && s.AvailableToPromise == 4)))[^1];
        using var http = host.CreateClient();
        var control = $"/board/{room.Id}/cues/mute?token={token.Token}";
        var unmuted = await http.PostAsJsonAsync(control, new { type = "LOW_STOCK", muted = false });
        var badType = await http.PostAsJsonAsync(control, new { type = "WHISPER", muted = true });
        await board.ResponseStream.ReadUntilAsync(b => b.MutedCues.Count == 0);
        await host.SetStockAsync("us-east", "MUTE-B", 4, 2);
        var heard = (await board.ResponseStream.ReadUntilAsync(b => b.Cues.Any(c => c.Sku == "MUTE-B")))[^1];

        Assert.Equal([CueType.LowStock], muted.MutedCues);
        Assert.Empty(quiet.Cues);
        Assert.Equal(HttpStatusCode.OK, unmuted.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badType.StatusCode);
        Assert.Empty((await host.Client().GetRoomAsync(new GetRoomRequest { RoomId = room.Id })).MutedCues);
        Assert.Equal([(CueType.LowStock, "MUTE-B")], heard.Cues.Select(c => (c.Type, c.Sku)));
    }

    [Fact]
    public async Task TheBoardsCueStreamSpeaksTheLanguageAskedForToOperatorTokensOnly()
    {
        using var host = new OverlayHost(Redis.Configuration, Ledger);
        await host.SetStockAsync("eu-central", "SSE-TEE", 30, 1);
        var room = TwoLanguageRoom("cues-sse", "SSE-TEE");
        var (boardEvents, token) = await host.OpenBoardAsync(room);
        using var _ = boardEvents;
        var viewerToken = await host.Client().IssueTokenAsync(new IssueTokenRequest { RoomId = room.Id });
        using var viewer = host.Client(OverlayHost.ReaderKey).WatchRoom(new WatchRoomRequest { RoomId = room.Id });
        await ShownAsync(viewer.ResponseStream, "SSE-TEE", 30);
        using var http = host.CreateClient();
        using var cues = await SseReader.OpenAsync(http, $"/board/{room.Id}/cues?lang=de&token={token.Token}");

        await host.SetStockAsync("eu-central", "SSE-TEE", 2, 2);
        var cue = (await cues.ReadUntilAsync<Cue>("cue", c => c.Type == CueType.LowStock))[^1].Update;
        using var wrongLanguage = await http.GetAsync($"/board/{room.Id}/cues?lang=klingon&token={token.Token}", HttpCompletionOption.ResponseHeadersRead);
        using var viewerRefused = await http.GetAsync($"/board/{room.Id}/cues?token={viewerToken.Token}", HttpCompletionOption.ResponseHeadersRead);

        Assert.Equal("Weißes Shirt: nur noch 2 übrig (Deutschland)!", cue.Text);
        Assert.Equal(HttpStatusCode.BadRequest, wrongLanguage.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, viewerRefused.StatusCode);
        var badLanguage = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = host.Client(OverlayHost.ReaderKey).WatchCues(new WatchCuesRequest { RoomId = room.Id, Language = "klingon" });
            await call.ResponseStream.MoveNext();
        });
        Assert.Equal((StatusCode.InvalidArgument, "language"), (badLanguage.StatusCode, badLanguage.Trailers.GetValue("stockcast-field")));
    }
}
