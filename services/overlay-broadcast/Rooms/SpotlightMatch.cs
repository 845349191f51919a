using Stockcast.Overlay.V1;

namespace Stockcast.Overlay.Rooms;

/// <summary>
/// Finds the featured SKU a viewer means: the exact SKU first, then a name, alias or SKU equal to the
/// text, then one the text contains ("is the white tee still there?"), then one containing the text
/// ("hoodie"). Case-insensitive after the exact SKU; ties go to the longer name, then to room order.
/// </summary>
public static class SpotlightMatch
{
    public static FeaturedSku? Find(Room room, string query)
    {
        var text = query.Trim();
        var exact = room.Featured.FirstOrDefault(f => f.Sku == text);
        if (exact is not null)
        {
            return exact;
        }
        return room.Featured
            .Select((featured, order) => (featured, order, best: Names(featured).Select(name => (score: Score(name, text), name.Length)).Max()))
            .Where(c => c.best.score > 0)
            .OrderByDescending(c => c.best.score).ThenByDescending(c => c.best.Length).ThenBy(c => c.order)
            .Select(c => c.featured)
            .FirstOrDefault();
    }

    private static IEnumerable<string> Names(FeaturedSku featured)
        => new[] { featured.Sku, featured.DisplayName }.Concat(featured.Aliases).Where(n => n.Length > 0);

    private static int Score(string name, string text)
    {
        if (name.Equals(text, StringComparison.OrdinalIgnoreCase))
        {
            return 3;
        }
        if (text.Contains(name, StringComparison.OrdinalIgnoreCase))
        {
            return 2;
        }
        return text.Length >= 3 && name.Contains(text, StringComparison.OrdinalIgnoreCase) ? 1 : 0;
    }
}
