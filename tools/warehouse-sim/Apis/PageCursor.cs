using System.Buffers.Text;
using System.Text;

namespace Stockcast.WarehouseSim.Apis;

/// <summary>Opaque page cursors: base64url of the scenario generation and the offset, so a cursor from an old scenario is rejected.</summary>
public static class PageCursor
{
    public static string Encode(int generation, int offset) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{generation}:{offset}"));

    public static bool TryDecode(string? cursor, int generation, out int offset)
    {
        offset = 0;
        if (string.IsNullOrEmpty(cursor))
        {
            return true;
        }
        try
        {
            var parts = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor)).Split(':');
            return parts.Length == 2 && parts[0] == generation.ToString(System.Globalization.CultureInfo.InvariantCulture)
                && int.TryParse(parts[1], out offset) && offset >= 0;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
