using Stockcast.Overlay.V1;

namespace Stockcast.Overlay.Broadcast;

/// <summary>What a viewer reads under a SKU, in the room's language.</summary>
public static class Labels
{
    /// <param name="countDown">With the room's count-down on, the number ("Only 87 left"); off, words only ("Selling fast").</param>
    public static string For(string language, bool countDown, SkuStock stock) => (language, stock.Stale, stock.Colour, countDown) switch
    {
        ("zh", true, _, _) or ("zh", _, StockColour.Unspecified, _) => "更新中…",
        ("zh", _, StockColour.SoldOut, _) => "已售罄",
        ("zh", _, StockColour.Green, true) => $"现货 {stock.AvailableToPromise} 件",
        ("zh", _, StockColour.Green, false) => "现货充足",
        ("zh", _, _, true) => $"仅剩 {stock.AvailableToPromise} 件",
        ("zh", _, _, false) => "即将售罄",
        (_, true, _, _) or (_, _, StockColour.Unspecified, _) => "Updating…",
        (_, _, StockColour.SoldOut, _) => "Sold out",
        (_, _, StockColour.Green, true) => $"{stock.AvailableToPromise} in stock",
        (_, _, StockColour.Green, false) => "In stock",
        (_, _, _, true) => $"Only {stock.AvailableToPromise} left",
        _ => "Selling fast",
    };
}
