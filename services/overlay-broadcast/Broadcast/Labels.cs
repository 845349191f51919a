using Stockcast.Overlay.V1;

namespace Stockcast.Overlay.Broadcast;

/// <summary>What a viewer reads under a SKU: which message (decided once, here), and its text in the room's language.</summary>
public static class Labels
{
    /// <param name="countDown">With the room's count-down on, the number ("Only 87 left"); off, words only ("Selling fast").</param>
    public static string Key(bool countDown, SkuStock stock) => (stock.Stale, stock.Colour, countDown) switch
    {
        (true, _, _) or (_, StockColour.Unspecified, _) => "updating",
        (_, StockColour.SoldOut, _) => "soldOut",
        (_, StockColour.Green, true) => "inStockCount",
        (_, StockColour.Green, false) => "inStock",
        (_, _, true) => "onlyLeft",
        _ => "sellingFast",
    };

    /// <summary>Sets the label's key and its text in <paramref name="language"/>.</summary>
    public static void Apply(SkuStock stock, string language, bool countDown)
    {
        stock.LabelKey = Key(countDown, stock);
        stock.Label = Catalogs.Embedded.Format(language, stock.LabelKey, stock.AvailableToPromise);
    }
}
