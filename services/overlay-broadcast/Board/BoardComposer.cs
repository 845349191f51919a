using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Stockcast.Alerting.V1;
using Stockcast.LedgerClient;
using Stockcast.Overlay.Broadcast;
using Stockcast.Overlay.Cues;
using Stockcast.Overlay.Feed;
using Stockcast.Overlay.V1;

namespace Stockcast.Overlay.Board;

/// <summary>
/// The operator board's state: exactly what the viewers see, plus per SKU the split by warehouse
/// and market, the start-of-room figure, the pace and the sell-out ETA, and the firing alerts that
/// concern the room. A warehouse whose feed the connector reports DEGRADED says so in the split, with
/// its dead-letter ratio, last reason and a dead letter to look at. Also the room's stock over the last
/// 30 minutes per SKU (the chart), its latest host cues in the host's language, and which cue types are muted.
/// </summary>
public sealed class BoardComposer(StockMirror ledger, RoomComposer rooms, SalesPace pace, StartStock start, AlertFeed alerts, FeedConfirmations feeds, StockHistory history, CueDesk cues)
{
    public BoardUpdate Compose(Room room, RoomUpdate shown, DateTimeOffset now)
    {
        bool ServesRoom(string warehouseId) => ledger.Serves(warehouseId, room.Market);
        var board = new BoardUpdate
        {
            Room = shown,
            Title = room.Title,
            Market = room.Market,
            AlertsStatus = alerts.Status,
            VelocityWindowSeconds = (long)pace.Window.TotalSeconds,
            SentAt = Timestamp.FromDateTimeOffset(now),
            MutedCues = { room.MutedCues },
            Cues = { cues.Recent(room.Id).TakeLast(BoardCues).Select(c => CueDesk.InWords(room, c, "")) },
        };
        foreach (var stock in shown.Skus)
        {
            var figures = ledger.All(stock.Sku);
            var sku = new BoardSku
            {
                Sku = stock.Sku,
                VelocityPerHour = Math.Round(pace.PerHour(stock.Sku, ServesRoom), 1),
                History = { history.Points(room.Id, stock.Sku, now) },
            };
            sku.Warehouses.AddRange(figures.Select(f => WithFeedState(new BoardWarehouse
            {
                WarehouseId = f.WarehouseId,
                Markets = { ledger.MarketsOf(f.WarehouseId).Order(StringComparer.Ordinal) },
                AvailableToPromise = f.AvailableToPromise,
                AgeMs = (long)Math.Max(0, rooms.Age(f, now).TotalMilliseconds),
                ServesRoom = ServesRoom(f.WarehouseId),
            })));
            sku.Markets.AddRange(figures
                .SelectMany(f => ledger.MarketsOf(f.WarehouseId).Select(market => (Market: market, f.AvailableToPromise)))
                .GroupBy(m => m.Market, StringComparer.Ordinal)
                .OrderBy(g => g.Key != room.Market).ThenBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new MarketStock { Market = g.Key, AvailableToPromise = g.Sum(m => m.AvailableToPromise) }));
            if (sku.VelocityPerHour > 0 && stock.AvailableToPromise > 0)
            {
                sku.SellOutEtaSeconds = (long)(stock.AvailableToPromise / sku.VelocityPerHour * 3600);
            }
            if (start.Known(room.Id, stock.Sku) is { } atStart)
            {
                sku.StartAvailable = atStart;
                sku.SoldSinceStart = Math.Max(0, atStart - stock.AvailableToPromise);
            }
            board.Skus.Add(sku);
        }
        var featured = room.Featured.Select(f => f.Sku).ToHashSet(StringComparer.Ordinal);
        board.Alerts.AddRange(alerts.Firing(a => Concerns(a, room, featured, ServesRoom)));
        board.AlertFigures.AddRange(board.Alerts.Select(a => FigureNow(a, board)).OfType<AlertFigure>());
        return board;
    }

    /// <summary>The figure an alert about a SKU is about, as it is now: the warehouse it names, else its market, else the room's.</summary>
    private static AlertFigure? FigureNow(Alert alert, BoardUpdate board)
    {
        var i = board.Room.Skus.ToList().FindIndex(s => s.Sku == alert.Sku);
        if (i < 0)
        {
            return null;
        }
        var (shown, sku) = (board.Room.Skus[i], board.Skus[i]);
        var figure = new AlertFigure { AlertId = alert.Id, Stale = shown.Stale };
        if (alert.WarehouseId.Length > 0)
        {
            figure.Scope = alert.WarehouseId;
            figure.AvailableToPromise = sku.Warehouses.FirstOrDefault(w => w.WarehouseId == alert.WarehouseId)?.AvailableToPromise ?? 0;
        }
        else if (alert.Market.Length > 0 && alert.Market != board.Market)
        {
            figure.Scope = alert.Market;
            figure.AvailableToPromise = sku.Markets.FirstOrDefault(m => m.Market == alert.Market)?.AvailableToPromise ?? 0;
        }
        else
        {
            figure.Scope = board.Market;
            figure.AvailableToPromise = shown.AvailableToPromise;
        }
        return figure;
    }

    private const int BoardCues = 10;

    private BoardWarehouse WithFeedState(BoardWarehouse warehouse)
    {
        if (feeds.Degraded(warehouse.WarehouseId) is { } feed)
        {
            warehouse.FeedDegraded = true;
            warehouse.FeedProblem = string.Create(CultureInfo.InvariantCulture,
                $"{feed.DeadLetterRatio:P0} of its last {feed.WindowRecords} records dead-lettered; last: {feed.LastDeadLetterReason}");
            warehouse.FeedExampleDeadLetterId = feed.ExampleDeadLetterId;
        }
        return warehouse;
    }

    /// <summary>
    /// Alerts of this room; of its SKUs in its market (or any market, or a transfer into it); and
    /// feed alerts of the warehouses serving its market.
    /// </summary>
    private static bool Concerns(Alert alert, Room room, IReadOnlySet<string> featured, Func<string, bool> servesRoom)
        => alert.RoomId.Length > 0 ? alert.RoomId == room.Id
            : alert.Sku.Length > 0 ? featured.Contains(alert.Sku) && (alert.Market.Length == 0 || alert.Market == room.Market || alert.Transfer?.ToMarket == room.Market)
            : alert.WarehouseId.Length > 0 && servesRoom(alert.WarehouseId);
}
