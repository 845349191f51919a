using Stockcast.ServiceDefaults.Identifiers;

namespace Stockcast.Ledger;

/// <summary>What a warehouse registration must hold, whether it arrives over gRPC or from settings.</summary>
public static class WarehouseRules
{
    public const long MaxAllocationDelayMs = 7 * 86_400_000L;

    /// <summary>The first field that is wrong (as the Warehouse message names it: "markets[1]") and why; null when none is.</summary>
    public static (string Field, string Problem)? Problem(string id, string region, IReadOnlyList<string> markets, long allocationDelayMs)
    {
        if (Identifiers.WarehouseId.Problem(id) is { } badId)
        {
            return ("warehouse_id", badId);
        }
        if (Identifiers.Region.Problem(region) is { } badRegion)
        {
            return ("region", badRegion);
        }
        if (markets.Count == 0)
        {
            return ("markets", "must name at least one market");
        }
        for (var i = 0; i < markets.Count; i++)
        {
            if (Identifiers.Market.Problem(markets[i]) is { } badMarket)
            {
                return ($"markets[{i}]", badMarket);
            }
        }
        if (allocationDelayMs is < 0 or > MaxAllocationDelayMs)
        {
            return ("allocation_delay_ms", "must be between 0 and 7 days");
        }
        return null;
    }
}
