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
    /// Comments are typed fast, on phones, in any input method: case and full-width letters and digits
    /// ("ＴＥＥ" from a CJK keyboard) do not count, nor how much whitespace; next to a character of a
    /// script written without spaces (Chinese, Japanese, Thai …) none does ("连衣裙红色M" is
    /// "连衣裙 红色 M"). Between two words it stays one space, so "cute everything" never holds "TEE".
    /// Accents count: the services run without ICU (invariant globalization), so there is no
    /// decomposition to strip them with; an unaccented spelling is an alias.
    /// </summary>
    private static string Fold(string text)
    {
        var folded = new StringBuilder(text.Length);
        Rune last = default;
        var space = false;
        foreach (var rune in text.EnumerateRunes())
        {
            if (Rune.IsWhiteSpace(rune))
            {
                space = folded.Length > 0;
                continue;
            }
            var next = Rune.ToUpperInvariant(rune.Value is >= FullWidthFirst and <= FullWidthLast ? new Rune(rune.Value - FullWidthOffset) : rune);
            if (space && !WrittenWithoutSpaces(last) && !WrittenWithoutSpaces(next))
            {
                folded.Append(' ');
            }
            folded.Append(next);
            (last, space) = (next, false);
        }
        return folded.ToString();
    }

    // U+FF01..U+FF5E are the full-width forms of ASCII '!'..'~'.
    private const int FullWidthFirst = 0xFF01, FullWidthLast = 0xFF5E, FullWidthOffset = 0xFF01 - '!';

    /// <summary>Thai, Lao, Myanmar, Khmer; CJK punctuation, kana and ideographs; the rest of the full-width forms.</summary>
    private static bool WrittenWithoutSpaces(Rune rune) => rune.Value is (>= 0x0E00 and <= 0x0EFF) or (>= 0x1000 and <= 0x109F) or (>= 0x1780 and <= 0x17FF)
        or (>= 0x2E80 and <= 0x9FFF) or (>= 0xF900 and <= 0xFAFF) or (>= 0xFF00 and <= 0xFFEF) or (>= 0x20000 and <= 0x3FFFF);

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
