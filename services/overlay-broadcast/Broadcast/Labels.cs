using Stockcast.Overlay.V1;

namespace Stockcast.Overlay.Broadcast;

/// <summary>What a viewer reads under a SKU, in the room's language.</summary>
public static class Labels
{
    public static string For(string language, SkuStock stock) => (language, stock.Stale, stock.Colour) switch
    {
        ("zh", true, _) or ("zh", _, StockColour.Unspecified) => "更新中…",
        ("zh", _, StockColour.SoldOut) => "已售罄",
        ("zh", _, StockColour.Green) => $"现货 {stock.AvailableToPromise} 件",
        ("zh", _, _) => $"仅剩 {stock.AvailableToPromise} 件",
        (_, true, _) or (_, _, StockColour.Unspecified) => "Updating…",
        (_, _, StockColour.SoldOut) => "Sold out",
        (_, _, StockColour.Green) => $"{stock.AvailableToPromise} in stock",
        _ => $"Only {stock.AvailableToPromise} left",
    };
}
