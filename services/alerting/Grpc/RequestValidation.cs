using Stockcast.Alerting.V1;
using Stockcast.ServiceDefaults.Grpc;

namespace Stockcast.Alerting.Grpc;

/// <summary>Request checks: INVALID_ARGUMENT naming the field, before anything is written.</summary>
public static class RequestValidation
{
    private const int MaxIdLength = 128;

    public static void Required(string value, string field)
    {
        if (value.Length == 0)
        {
            throw RpcErrors.InvalidArgument(field, "required");
        }
    }

    public static void Sku(string sku, string field)
    {
        if (sku.Length is 0 or > MaxIdLength || sku.Any(char.IsWhiteSpace))
        {
            throw RpcErrors.InvalidArgument(field, "required, 1-128 characters without spaces");
        }
    }

    public static void Rule(Rule rule)
    {
        switch (rule.ScopeCase)
        {
            case V1.Rule.ScopeOneofCase.None:
            case V1.Rule.ScopeOneofCase.DefaultScope when !rule.DefaultScope:
                throw RpcErrors.InvalidArgument("scope", "set one of default_scope (true), category, sku, room_id");
            case V1.Rule.ScopeOneofCase.Category:
                Sku(rule.Category, "category");
                break;
            case V1.Rule.ScopeOneofCase.Sku:
                Sku(rule.Sku, "sku");
                break;
            case V1.Rule.ScopeOneofCase.RoomId:
                Sku(rule.RoomId, "room_id");
                break;
        }
        Range(rule.HasLowStockUnits, rule.LowStockUnits, 0, 1e9, "low_stock_units");
        Range(rule.HasLowStockPercent, rule.LowStockPercent, 0, 100, "low_stock_percent");
        Range(rule.SellOutHorizon is not null, rule.SellOutHorizon?.ToTimeSpan().TotalSeconds ?? 0, 0, 7 * 86_400, "sell_out_horizon");
        Range(rule.HasTrendRiseFactor, rule.TrendRiseFactor, 0, 1000, "trend_rise_factor");
        Range(rule.HasCartConversion, rule.CartConversion, 0, 1, "cart_conversion");
        Range(rule.HasShortageUnits, rule.ShortageUnits, 0, 1e9, "shortage_units");
        Range(rule.HasRearmMarginPercent, rule.RearmMarginPercent, 0, 1000, "rearm_margin_percent");
        Range(rule.CoolDown is not null, rule.CoolDown?.ToTimeSpan().TotalSeconds ?? 0, 0, 86_400, "cool_down");
    }

    public static void Products(IList<Product> products)
    {
        if (products.Count is 0 or > 1000)
        {
            throw RpcErrors.InvalidArgument("products", "1 to 1000 products per call");
        }
        for (var i = 0; i < products.Count; i++)
        {
            Sku(products[i].Sku, $"products[{i}].sku");
            if (products[i].Category.Length > MaxIdLength || products[i].Name.Length > 500)
            {
                throw RpcErrors.InvalidArgument($"products[{i}]", "category at most 128 characters, name at most 500");
            }
        }
    }

    public static void Stream(LiveStream stream)
    {
        Sku(stream.Id, "id");
        if (stream.Market.Length is 0 or > 16)
        {
            throw RpcErrors.InvalidArgument("market", "required, e.g. \"US\"");
        }
        if (stream.Skus.Count is 0 or > 500)
        {
            throw RpcErrors.InvalidArgument("skus", "1 to 500 featured SKUs");
        }
        for (var i = 0; i < stream.Skus.Count; i++)
        {
            Sku(stream.Skus[i], $"skus[{i}]");
        }
        if (stream.StartsAt is null)
        {
            throw RpcErrors.InvalidArgument("starts_at", "required");
        }
        if (stream.EndsAt is null || stream.EndsAt.ToDateTimeOffset() <= stream.StartsAt.ToDateTimeOffset())
        {
            throw RpcErrors.InvalidArgument("ends_at", "required, after starts_at");
        }
        if (stream.StartStock.Count > 0)
        {
            throw RpcErrors.InvalidArgument("start_stock", "is recorded by the service when the stream starts; leave it empty");
        }
    }

    private static void Range(bool present, double value, double min, double max, string field)
    {
        if (present && (double.IsNaN(value) || value < min || value > max))
        {
            throw RpcErrors.InvalidArgument(field, $"must be between {min} and {max}");
        }
    }
}
