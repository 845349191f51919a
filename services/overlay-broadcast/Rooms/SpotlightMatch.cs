using System.Text;
using Stockcast.Overlay.V1;

namespace Stockcast.Overlay.Rooms;

/// <summary>
/// Finds the featured SKU a viewer means: the exact SKU first, then a name, alias or SKU equal to the
/// text, then one the text contains ("is the white tee still there?"), then one containing the text
/// ("hoodie"). After the exact SKU, text is compared folded (<see cref="Fold"/>); ties go to the
/// longer name, then to room order.
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
        var folded = Fold(text);
        return room.Featured
            .Select((featured, order) => (featured, order, best: Names(featured).Select(name => (score: Score(name, folded), name.Length)).DefaultIfEmpty().Max()))
            .Where(c => c.best.score > 0)
            .OrderByDescending(c => c.best.score).ThenByDescending(c => c.best.Length).ThenBy(c => c.order)
            .Select(c => c.featured)
            .FirstOrDefault();
    }

    /// <summary>
    /// Comments are typed fast, on phones, in any input method: case, full-width letters and digits
    /// ("ＴＥＥ" from a CJK keyboard) and whitespace do not count, inside a SKU too ("连衣裙红色M" is
    /// "连衣裙 红色 M"). Accents do: the services run without ICU (invariant globalization), so there is
    /// no decomposition to strip them with; an unaccented spelling is an alias.
    /// </summary>
    private static string Fold(string text)
    {
        var folded = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            if (!Rune.IsWhiteSpace(rune))
            {
                folded.Append(Rune.ToUpperInvariant(rune.Value is >= FullWidthFirst and <= FullWidthLast ? new Rune(rune.Value - FullWidthOffset) : rune));
            }
        }
        return folded.ToString();
    }

    // U+FF01..U+FF5E are the full-width forms of ASCII '!'..'~'.
    private const int FullWidthFirst = 0xFF01, FullWidthLast = 0xFF5E, FullWidthOffset = 0xFF01 - '!';

    private static IEnumerable<string> Names(FeaturedSku featured)
        => new[] { featured.Sku, featured.DisplayName }.Concat(featured.Aliases).Select(Fold).Where(n => n.Length > 0);

    private static int Score(string name, string text)
    {
        if (name == text)
        {
            return 3;
        }
        if (text.Contains(name, StringComparison.Ordinal))
        {
            return 2;
        }
        return text.Length >= 3 && name.Contains(text, StringComparison.Ordinal) ? 1 : 0;
    }
}
