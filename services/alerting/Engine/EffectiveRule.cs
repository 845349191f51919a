using Stockcast.Alerting.Catalog;
using Stockcast.Alerting.V1;

namespace Stockcast.Alerting.Engine;

/// <summary>A SKU's thresholds in one room: each field from the most specific scope that sets it (room, SKU, category, default rule, configuration).</summary>
public sealed record EffectiveRule(
    long LowStockUnits,
    double LowStockPercent,
    TimeSpan SellOutHorizon,
    double TrendRiseFactor,
    double CartConversion,
    long ShortageUnits,
    double RearmMarginPercent,
    TimeSpan CoolDown)
{
    public static EffectiveRule Resolve(CatalogStore catalog, DefaultRuleOptions defaults, string sku, string? roomId)
    {
        var rules = catalog.Rules;
        var category = catalog.Products.TryGetValue(sku, out var product) && product.Category.Length > 0 ? product.Category : null;
        Rule?[] layers =
        [
            roomId is null ? null : rules.GetValueOrDefault(RuleIds.Room(roomId)),
            rules.GetValueOrDefault(RuleIds.Sku(sku)),
            category is null ? null : rules.GetValueOrDefault(RuleIds.Category(category)),
            rules.GetValueOrDefault(RuleIds.Default),
        ];
        T Pick<T>(Func<Rule, bool> has, Func<Rule, T> value, T fallback)
            => layers.FirstOrDefault(r => r is not null && has(r)) is { } rule ? value(rule) : fallback;
        return new EffectiveRule(
            Pick(r => r.HasLowStockUnits, r => r.LowStockUnits, defaults.LowStockUnits),
            Pick(r => r.HasLowStockPercent, r => r.LowStockPercent, defaults.LowStockPercent),
            Pick(r => r.SellOutHorizon is not null, r => r.SellOutHorizon.ToTimeSpan(), TimeSpan.FromMinutes(defaults.SellOutHorizonMinutes)),
            Pick(r => r.HasTrendRiseFactor, r => r.TrendRiseFactor, defaults.TrendRiseFactor),
            Pick(r => r.HasCartConversion, r => r.CartConversion, defaults.CartConversion),
            Pick(r => r.HasShortageUnits, r => r.ShortageUnits, defaults.ShortageUnits),
            Pick(r => r.HasRearmMarginPercent, r => r.RearmMarginPercent, defaults.RearmMarginPercent),
            Pick(r => r.CoolDown is not null, r => r.CoolDown.ToTimeSpan(), TimeSpan.FromSeconds(defaults.CoolDownSeconds)));
    }

    /// <summary>The level a value must recover past before a threshold alert clears (hysteresis): at least one unit above.</summary>
    public long Rearm(double threshold) => (long)Math.Max(Math.Floor(threshold) + 1, Math.Ceiling(threshold * (1 + RearmMarginPercent / 100)));
}

public static class RuleIds
{
    public const string Default = "default";

    public static string Category(string category) => "category:" + category;
    public static string Sku(string sku) => "sku:" + sku;
    public static string Room(string roomId) => "room:" + roomId;

    public static string Of(Rule rule) => rule.ScopeCase switch
    {
        Rule.ScopeOneofCase.DefaultScope => Default,
        Rule.ScopeOneofCase.Category => Category(rule.Category),
        Rule.ScopeOneofCase.Sku => Sku(rule.Sku),
        Rule.ScopeOneofCase.RoomId => Room(rule.RoomId),
        _ => "",
    };
}
