using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Stockcast.Alerting.V1;
using Stockcast.Overlay.V1;
using Stockcast.Testing;

namespace Stockcast.Overlay.Tests;

/// <summary>The operator board: operator tokens, the split by warehouse and market, pace and ETA, the spotlight control, alerts, freshness.</summary>
public sealed class BoardTests(RedisServerFixture redis) : LedgerPerTest(redis, r => OverlayHost.StartLedgerAsync(r))
{
    private static Func<BoardUpdate, bool> Board(string sku, Func<BoardSku, SkuStock, bool> matches)
        => b => b.Room.Skus.Zip(b.Skus).Any(p => p.First.Sku == sku && p.First.Colour != StockColour.Unspecified && matches(p.Second, p.First));

    [Fact]
    public async Task OnlyOperatorTokensOpenTheBoardAndViewerTokensAreRefusedWithoutData()
    {
        using var host = new OverlayHost(Redis.Configuration, Ledger);
        await host.Client().UpsertRoomAsync(OverlayHost.LiveRoom("board-auth", "US", "TEE-AUTH"));
        var viewer = await host.Client().IssueTokenAsync(new IssueTokenRequest { RoomId = "board-auth" });
        var operatorToken = await host.Client().IssueTokenAsync(new IssueTokenRequest { RoomId = "board-auth", Scope = TokenScope.Operator });
        var http = host.CreateClient();

        Assert.Equal("", viewer.BoardPath);
        Assert.Equal($"/board/board-auth#token={operatorToken.Token}", operatorToken.BoardPath);
        Assert.Equal(HttpStatusCode.NoContent, (await host.CreateClient().SendAsync(TokenRequests.Exchange("/board/board-auth", operatorToken.Token))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await host.CreateClient().SendAsync(TokenRequests.Exchange("/overlay/board-auth", operatorToken.Token))).StatusCode); // an operator may preview the overlay
        Assert.Equal(HttpStatusCode.Forbidden, (await host.CreateClient().SendAsync(TokenRequests.Exchange("/board/board-auth", viewer.Token))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync($"/board/board-auth?token={viewer.Token}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync($"/board/board-auth/events?token={viewer.Token}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/board/board-auth/events")).StatusCode);
        var spotlight = await http.PostAsJsonAsync($"/board/board-auth/spotlight?token={viewer.Token}", new { query = "TEE-AUTH" });
        Assert.Equal(HttpStatusCode.Forbidden, spotlight.StatusCode);
        Assert.Empty(await spotlight.Content.ReadAsStringAsync());

        var badScope = await Assert.ThrowsAsync<RpcException>(async () => await host.Client().IssueTokenAsync(new IssueTokenRequest { RoomId = "board-auth", Scope = (TokenScope)9 }));
        Assert.Equal(StatusCode.InvalidArgument, badScope.StatusCode);
        Assert.Equal("scope", badScope.Trailers.GetValue("stockcast-field"));

        await host.Client().RevokeTokenAsync(new RevokeTokenRequest { RoomId = "board-auth", TokenId = operatorToken.TokenId });
        Assert.Equal(HttpStatusCode.Forbidden, (await host.CreateClient().SendAsync(TokenRequests.Exchange("/board/board-auth", operatorToken.Token))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync($"/board/board-auth?token={operatorToken.Token}")).StatusCode);
    }

    [Fact]
    public async Task TheBoardSplitsStockByWarehouseAndMarketAndShowsPaceEtaAndSalesSinceTheStart()
    {
        using var host = new OverlayHost(Redis.Configuration, Ledger);
        await host.ApplyAsync([("us-east", "TEE-SPLIT", 60, 1), ("us-west", "TEE-SPLIT", 40, 1), ("eu-central", "TEE-SPLIT", 30, 1)]);
        var (board, _) = await host.OpenBoardAsync(OverlayHost.LiveRoom("board-split", "US", "TEE-SPLIT"));
        using var _ = board;

        // The room is live: the first figure its viewers saw is its start.
        var first = (await board.ReadUntilAsync<BoardUpdate>("board", Board("TEE-SPLIT", (b, _) => b.StartAvailable == 100)))[^1].Update;
        var sku = first.Skus[0];
        Assert.Equal(["US:100", "DE:30", "FR:30"], sku.Markets.Select(m => $"{m.Market}:{m.AvailableToPromise}"));
        Assert.Equal(["eu-central:30:False", "us-east:60:True", "us-west:40:True"], sku.Warehouses.Select(w => $"{w.WarehouseId}:{w.AvailableToPromise}:{w.ServesRoom}"));
        Assert.Equal(["DE", "FR"], sku.Warehouses[0].Markets);
        Assert.Equal(("Spring drop", "US", 600L), (first.Title, first.Market, first.VelocityWindowSeconds));

        // 30 units leave the US warehouses; Europe's restock does not count as pace in the US.
        await host.ApplyAsync([("us-east", "TEE-SPLIT", 45, 2), ("us-west", "TEE-SPLIT", 25, 2), ("eu-central", "TEE-SPLIT", 10, 2), ("eu-central", "TEE-SPLIT", 50, 3)]);
        var sold = (await board.ReadUntilAsync<BoardUpdate>("board", Board("TEE-SPLIT", (b, s) => s.AvailableToPromise == 70 && b.Markets[1].AvailableToPromise == 50)))[^1].Update;

        var paced = sold.Skus[0];
        Assert.Equal((100L, 30L), (paced.StartAvailable, paced.SoldSinceStart));
        // 30 units over the time since the SKU was first seen, at least a minute and at most the
        // 10-minute window: 1,800/h on a quick run (70 left last 140 s), never less than 180/h.
        Assert.InRange(paced.VelocityPerHour, 180, 1800);
        Assert.Equal((long)(70 / paced.VelocityPerHour * 3600), paced.SellOutEtaSeconds);
        Assert.Equal("70 in stock", sold.Room.Skus[0].Label);
    }

    [Fact]
    public async Task TheBoardSpotlightControlPutsTheCardOnTheViewersOverlayAndRefusesBadQueriesWithAReason()
    {
        using var host = new OverlayHost(Redis.Configuration, Ledger);
        await host.SetStockAsync("us-east", "TEE-WHITE", 12, 1);
        var room = OverlayHost.LiveRoom("board-spot", "US", "TEE-WHITE", "MUG-BLUE");
        room.Featured[0].Aliases.Add("white tee");
        using var viewer = await host.OpenOverlayAsync(room);
        var operatorToken = await host.Client().IssueTokenAsync(new IssueTokenRequest { RoomId = room.Id, Scope = TokenScope.Operator });
        var http = host.CreateClient();
        var control = $"/board/{room.Id}/spotlight?token={operatorToken.Token}";

        var shown = await http.PostAsJsonAsync(control, new { query = "anyone got the WHITE TEE?" });

        Assert.Equal(HttpStatusCode.OK, shown.StatusCode);
        Assert.Equal("TEE-WHITE", (await shown.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("sku").GetString());
        await viewer.ReadUntilAsync(u => u.Spotlight?.Stock.Sku == "TEE-WHITE" && u.Spotlight.Stock.AvailableToPromise == 12);

        var unknown = await http.PostAsJsonAsync(control, new { query = "a red hat" });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("a red hat", (await unknown.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());
        var tooLong = await http.PostAsJsonAsync(control, new { query = new string('x', 501) });
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Equal("query", (await tooLong.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("field").GetString());
        var notJson = await http.PostAsync(control, new StringContent("white tee", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);

        // Refused requests changed nothing; clearing takes the card off.
        Assert.Equal("TEE-WHITE", (await host.Client().GetRoomAsync(new GetRoomRequest { RoomId = room.Id })).Featured[0].Sku);
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsJsonAsync(control, new { query = "" })).StatusCode);
        await viewer.ReadUntilAsync(u => u.Spotlight is null);
    }

    [Fact]
    [Trait(Lane.Name, Lane.Slow)]
    public async Task FiringAlertsAboutTheRoomAppearOnTheBoardAndLeaveWhenResolved()
    {
        using var alerting = new AlertingProcess(Redis.Configuration, Ledger.GrpcAddress, new Dictionary<string, string> { ["Alerting:ConnectorAddress"] = "" });
        await alerting.StartAsync();
        using var channel = GrpcChannel.ForAddress(alerting.GrpcAddress);
        var console = new Alerting.V1.Alerting.AlertingClient(channel);
        var write = new Metadata { { "Authorization", "Bearer " + AlertingProcess.AdminKey } };
        using var host = new OverlayHost(Redis.Configuration, Ledger, settings: new Dictionary<string, string?> { ["Overlay:AlertingAddress"] = alerting.GrpcAddress.ToString() });
        await host.SetStockAsync("us-east", "TEE-ALERT", 50, 1);
        var room = OverlayHost.LiveRoom("board-alerts", "US", "TEE-ALERT");
        await console.SetRuleAsync(new Rule { RoomId = room.Id, LowStockUnits = 10, LowStockPercent = 0, CoolDown = Duration.FromTimeSpan(TimeSpan.Zero) }, write);
        await console.UpsertStreamAsync(new LiveStream { Id = room.Id, Market = "US", Skus = { "TEE-ALERT" }, StartsAt = room.StartsAt, EndsAt = room.EndsAt }, write);
        var (board, _) = await host.OpenBoardAsync(room);
        using var _ = board;
        await board.ReadUntilAsync<BoardUpdate>("board", b => b.AlertsStatus == "" && b.Room.Skus[0].AvailableToPromise == 50);

        await host.SetStockAsync("us-east", "TEE-ALERT", 4, 2);
        var low = (await board.ReadUntilAsync<BoardUpdate>("board", b => b.Alerts.Any(a => a.Kind == AlertKind.LowStock)))[^1].Update;
        var alert = low.Alerts.First(a => a.Kind == AlertKind.LowStock);
        Assert.Equal(("TEE-ALERT", room.Id, AlertState.Firing), (alert.Sku, alert.RoomId, alert.State));
        Assert.NotEmpty(alert.SuggestedAction);
        // An internal client (an AI host) gets the same over gRPC.
        using var watch = host.Client().WatchBoard(new WatchRoomRequest { RoomId = room.Id });
        var viaGrpc = (await watch.ResponseStream.ReadUntilAsync(b => b.Alerts.Any(a => a.Id == alert.Id)))[^1];
        Assert.Equal(4, viaGrpc.Room.Skus[0].AvailableToPromise);
        // Beside the alert, the figure it is about as it is now (its text keeps the one it was raised at).
        Assert.Equal(("US", 4L), low.AlertFigures.Where(f => f.AlertId == alert.Id).Select(f => (f.Scope, f.AvailableToPromise)).Single());
        await host.SetStockAsync("us-east", "TEE-ALERT", 6, 3);
        var later = (await board.ReadUntilAsync<BoardUpdate>("board", b => b.Room.Skus[0].AvailableToPromise == 6 && b.Alerts.Any(a => a.Id == alert.Id)))[^1].Update;
        Assert.Equal(6L, later.AlertFigures.Single(f => f.AlertId == alert.Id).AvailableToPromise);

        await host.SetStockAsync("us-east", "TEE-ALERT", 60, 4);
        await board.ReadUntilAsync<BoardUpdate>("board", b => b.Room.Skus[0].AvailableToPromise == 60 && b.Alerts.All(a => a.Kind != AlertKind.LowStock));
    }

    [Fact]
    [Trait(Lane.Name, Lane.Slow)]
    public async Task AQuietSkuStaysLiveWhileItsWarehouseFeedKeepsSyncingAndGoesUpdatingWhenTheFeedStops()
    {
        using var connector = new ConnectorProcess(Redis.Configuration, Ledger.GrpcAddress, LedgerProcess.WriterKey, new Dictionary<string, string>
        {
            ["Connector:Feeds:0:WarehouseId"] = "us-west",
        });
        await connector.StartAsync();
        using var host = new OverlayHost(Redis.Configuration, Ledger, settings: new Dictionary<string, string?> { ["Overlay:ConnectorAddress"] = connector.GrpcAddress.ToString() });
        // The figure itself is a minute old: by its own time it would be stale.
        await host.SetStockAsync("us-west", "TEE-QUIET", 25, 1, DateTimeOffset.UtcNow.AddMinutes(-1));
        var room = OverlayHost.LiveRoom("board-quiet", "US", "TEE-QUIET");
        room.StaleAfterSeconds = 5;
        using var viewer = await host.OpenOverlayAsync(room);
        await viewer.ReadUntilAsync(u => u.Skus[0].AvailableToPromise == 25 && u.Skus[0].Stale);

        // The warehouse's feed syncs (another SKU changed): every figure it did not change is confirmed.
        using var erp = new HttpClient { BaseAddress = connector.HttpAddress };
        erp.DefaultRequestHeaders.Authorization = new("Bearer", ConnectorProcess.WriterKey);
        var push = await erp.PostAsync("/v1/warehouses/us-west/stock", JsonContent.Create(new
        {
            records = new[] { new { sku = "MUG-OTHER", type = "snapshot", onHand = 3, available = 3, sourceTime = DateTimeOffset.UtcNow } },
        }));
        Assert.True(push.IsSuccessStatusCode, await push.Content.ReadAsStringAsync());

        var live = (await viewer.ReadUntilAsync(u => u.Skus[0].AvailableToPromise == 25 && !u.Skus[0].Stale))[^1].Update;
        Assert.Equal("25 in stock", live.Skus[0].Label);
        Assert.InRange(live.Skus[0].AgeMs, 0, 5000);

        // Nothing more from the feed: after the room's bound the quiet SKU says "updating…" again.
        await viewer.ReadUntilAsync(u => u.Skus[0].Stale && u.Skus[0].Label == "Updating…", TimeSpan.FromSeconds(30));
    }

    [Fact]
    [Trait(Lane.Name, Lane.Slow)]
    public async Task AWarehouseWhoseFeedIsMostlyDeadLetteredShowsDegradedInTheSplitWithTheReasonAndADeadLetter()
    {
        using var connector = new ConnectorProcess(Redis.Configuration, Ledger.GrpcAddress, LedgerProcess.WriterKey, new Dictionary<string, string>
        {
            ["Connector:Feeds:0:WarehouseId"] = "us-west",
        });
        await connector.StartAsync();
        using var host = new OverlayHost(Redis.Configuration, Ledger, settings: new Dictionary<string, string?> { ["Overlay:ConnectorAddress"] = connector.GrpcAddress.ToString() });
        using var erp = new HttpClient { BaseAddress = connector.HttpAddress };
        erp.DefaultRequestHeaders.Authorization = new("Bearer", ConnectorProcess.WriterKey);
        var bad = Enumerable.Range(0, 6).Select(i => (object)new { sku = $"TEE-BAD-{i}", available = -1, sourceTime = DateTimeOffset.UtcNow });
        var push = await erp.PostAsync("/v1/warehouses/us-west/stock", JsonContent.Create(new
        {
            records = bad.Append(new { sku = "TEE-DEGRADED", available = 9, sourceTime = DateTimeOffset.UtcNow }).ToArray(),
        }));
        Assert.True(push.IsSuccessStatusCode, await push.Content.ReadAsStringAsync());

        var (board, _) = await host.OpenBoardAsync(OverlayHost.LiveRoom("board-degraded", "US", "TEE-DEGRADED"));
        using var _ = board;

        var shown = (await board.ReadUntilAsync<BoardUpdate>("board", Board("TEE-DEGRADED", (b, _) => b.Warehouses.Any(w => w.FeedDegraded))))[^1].Update;
        var west = shown.Skus[0].Warehouses.Single(w => w.WarehouseId == "us-west");
        Assert.Equal(9, west.AvailableToPromise);
        Assert.Contains("available: must not be negative", west.FeedProblem);
        Assert.NotEmpty(west.FeedExampleDeadLetterId);
    }
}
