using System.Text.RegularExpressions;

namespace Stockcast.Ledger;

/// <summary>
/// What a warehouse id, SKU, market, order or event id may look like. They become parts of
/// Redis keys and log fields, so separators and control characters are refused up front.
/// </summary>
public static partial class Identifiers
{
    public const int MaxSkuLength = 128;
    public const int MaxIdLength = 128;

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex WarehouseIdPattern();

    [GeneratedRegex("^[A-Za-z0-9_-]{1,32}$")]
    private static partial Regex TokenPattern();

    public static bool IsWarehouseId(string value) => WarehouseIdPattern().IsMatch(value);

    /// <summary>Markets and regions: short codes such as "US", "EU", "us-west".</summary>
    public static bool IsCode(string value) => TokenPattern().IsMatch(value);

    /// <summary>Printable, no whitespace, bounded: SKUs, order ids, event ids.</summary>
    public static bool IsOpaqueId(string value, int maxLength)
        => value.Length > 0 && value.Length <= maxLength && value.All(c => c > ' ' && c != '\u007f' && !char.IsControl(c) && !char.IsWhiteSpace(c));

    public static string? CheckWarehouse(string id, string region, IReadOnlyCollection<string> markets, long allocationDelayMs)
    {
        if (!IsWarehouseId(id))
        {
            return "warehouse_id must be 1-64 letters, digits, '.', '_' or '-'";
        }
        if (!IsCode(region))
        {
            return "region must be 1-32 letters, digits, '_' or '-'";
        }
        if (markets.Count == 0)
        {
            return "markets must name at least one market";
        }
        if (markets.Any(m => !IsCode(m)))
        {
            return "markets must be 1-32 letters, digits, '_' or '-' each";
        }
        if (allocationDelayMs is < 0 or > 7 * 86_400_000L)
        {
            return "allocation_delay_ms must be between 0 and 7 days";
        }
        return null;
    }
}
