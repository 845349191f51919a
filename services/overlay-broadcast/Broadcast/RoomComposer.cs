using Google.Protobuf.WellKnownTypes;
using Stockcast.Ledger.V1;
using Stockcast.LedgerClient;
using Stockcast.Overlay.Feed;
using Stockcast.Overlay.V1;
using Stockcast.ServiceDefaults.Identifiers;

namespace Stockcast.Overlay.Broadcast;

/// <summary>
/// A room's full state at one instant, computed when it is sent (so it is always the latest): the
/// market's ATP per featured SKU, its colour, the age of its oldest warehouse figure (since it was
/// last confirmed: see <see cref="FeedConfirmations"/>), and whether it may be shown as live.
/// </summary>
public sealed class RoomComposer(StockMirror ledger, FeedHealth health, FeedConfirmations confirmations)
{
    public RoomUpdate Compose(Room room, SpotlightCard? spotlight, DateTimeOffset now)
    {
        var feedDown = health.DownReason(now);
        var staleAfter = TimeSpan.FromSeconds(room.StaleAfterSeconds);
        var language = ViewerLanguage(room);
        var countDown = room.Display?.CountDown ?? true;
        var update = new RoomUpdate { RoomId = room.Id, Language = language, SentAt = Timestamp.FromDateTimeOffset(now), Display = room.Display };
        foreach (var featured in room.Featured)
        {
            update.Skus.Add(Stock(featured, room.Market, language, countDown, feedDown.Length > 0, staleAfter, now));
        }
        if (spotlight is not null && room.Featured.FirstOrDefault(f => f.Sku == spotlight.Stock.Sku) is { } shown)
        {
            update.Spotlight = new SpotlightCard
            {
                Query = spotlight.Query,
                ShownAt = spotlight.ShownAt,
                Stock = update.Skus[room.Featured.IndexOf(shown)].Clone(),
            };
        }
        update.StaleReason = feedDown.Length > 0 ? feedDown : StaleReason(update, room.StaleAfterSeconds);
        update.Stale = update.StaleReason.Length > 0;
        return update;
    }

    private static string StaleReason(RoomUpdate update, int staleAfterSeconds)
    {
        var stale = update.Skus.Where(s => s.Stale).Select(s => s.Sku).ToList();
        if (stale.Count == 0)
        {
            return "";
        }
        return update.Skus.First(s => s.Stale).Colour == StockColour.Unspecified
            ? $"waiting for the first figures of {string.Join(", ", stale)}"
            : $"warehouse data older than {staleAfterSeconds} s for {string.Join(", ", stale)}";
    }

    private SkuStock Stock(FeaturedSku featured, string market, string language, bool countDown, bool feedDown, TimeSpan staleAfter, DateTimeOffset now)
    {
        var stock = new SkuStock { Sku = featured.Sku, Name = NameOf(featured, language), ImageUrl = featured.ImageUrl };
        var figures = ledger.ForMarket(featured.Sku, market);
        if (figures.Count == 0 && !ledger.IsLoaded(featured.Sku))
        {
            stock.Stale = true; // never read yet: no figure to show
        }
        else
        {
            var age = figures.Count == 0 ? TimeSpan.Zero : figures.Max(f => Age(f, now));
            stock.AvailableToPromise = figures.Sum(f => f.AvailableToPromise);
            stock.AgeMs = (long)Math.Max(0, age.TotalMilliseconds);
            stock.Stale = feedDown || age > staleAfter;
            stock.Colour = Colour(featured, stock.AvailableToPromise);
            stock.Warehouses.AddRange(figures.Select(f => new WarehouseStock
            {
                WarehouseId = f.WarehouseId,
                AvailableToPromise = f.AvailableToPromise,
                AgeMs = (long)Math.Max(0, Age(f, now).TotalMilliseconds),
            }));
        }
        Labels.Apply(stock, language, countDown);
        return stock;
    }

    /// <summary>The room's language as a supported tag: what it says (rooms stored before the tags were "en" or "zh"), else its market's.</summary>
    public static string ViewerLanguage(Room room)
        => Languages.Resolve(room.Display?.Language ?? "") ?? Languages.ForMarket(room.Market);

    /// <summary>The product's name in <paramref name="language"/>: its own name there, else its display name, else the SKU.</summary>
    public static string NameOf(FeaturedSku featured, string language)
        => featured.Names.GetValueOrDefault(language) is { Length: > 0 } named ? named
            : featured.DisplayName.Length > 0 ? featured.DisplayName
            : featured.Sku;

    /// <summary>How long ago the warehouse figure was last known right.</summary>
    public TimeSpan Age(StockRecord figure, DateTimeOffset now) => now - confirmations.AsOf(figure.WarehouseId, figure.SourceTime?.ToDateTimeOffset() ?? DateTimeOffset.MinValue);

    private static StockColour Colour(FeaturedSku featured, long atp)
        => atp <= 0 ? StockColour.SoldOut
            : atp >= featured.GreenAtOrAbove ? StockColour.Green
            : atp >= featured.YellowAtOrAbove ? StockColour.Yellow
            : StockColour.Red;
}
