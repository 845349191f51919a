using Stockcast.Testing;

namespace Stockcast.Overlay.Tests;

/// <summary>Where the overlay page shows a SKU: its tile, and the label on it.</summary>
public static class OverlayTiles
{
    public static string Tile(string sku) => ".tile" + BrowserPage.AttributeIs("data-sku", sku);

    public static string Label(string sku) => Tile(sku) + " .label";
}
