using Stockcast.Alerting.V1;
using Stockcast.ServiceDefaults.Errors;
using Stockcast.ServiceDefaults.Identifiers;

namespace Stockcast.Alerting.Grpc;

/// <summary>Request checks: INVALID_ARGUMENT naming the field, before anything is written.</summary>
public static class RequestValidation
{
    private const int MaxProductNameLength = 500;

    public static void Required(string value, string field)
    {
        if (value.Length == 0)
        {
            throw new InvalidFieldException(field, "required");
        }
    }

    public static void Rule(Rule rule)
    {
        switch (rule.ScopeCase)
        {
            case V1.Rule.ScopeOneofCase.None:
            case V1.Rule.ScopeOneofCase.DefaultScope when !rule.DefaultScope:
                throw new InvalidFieldException("scope", "set one of default_scope (true), category, sku, room_id");
            case V1.Rule.ScopeOneofCase.Category:
                Identifiers.Name.Check(rule.Category, "category");
                break;
            case V1.Rule.ScopeOneofCase.Sku:
                Identifiers.Sku.Check(rule.Sku, "sku");
                break;
            case V1.Rule.ScopeOneofCase.RoomId:
                Identifiers.RoomId.Check(rule.RoomId, "room_id");
                break;
        }
        Range(rule.HasLowStockUnits, rule.LowStockUnits, 0, 1e9, "low_stock_units");
        Range(rule.HasLowStockPercent, rule.LowStockPercent, 0, 100, "low_stock_percent");
        Range(rule.SellOutHorizon is not null, Seconds(rule.SellOutHorizon, "sell_out_horizon"), 0, 7 * 86_400, "sell_out_horizon");
        Range(rule.HasTrendRiseFactor, rule.TrendRiseFactor, 0, 1000, "trend_rise_factor");
        Range(rule.HasCartConversion, rule.CartConversion, 0, 1, "cart_conversion");
        Range(rule.HasShortageUnits, rule.ShortageUnits, 0, 1e9, "shortage_units");
        Range(rule.HasRearmMarginPercent, rule.RearmMarginPercent, 0, 1000, "rearm_margin_percent");
        Range(rule.CoolDown is not null, Seconds(rule.CoolDown, "cool_down"), 0, 86_400, "cool_down");
    }

    public static void Products(IList<Product> products)
    {
        if (products.Count is 0 or > 1000)
        {
            throw new InvalidFieldException("products", "1 to 1000 products per call");
        }
        for (var i = 0; i < products.Count; i++)
        {
            Identifiers.Sku.Check(products[i].Sku, $"products[{i}].sku");
            // A product may have no category; one it has is what a category rule names.
            if (products[i].Category.Length > 0)
            {
                Identifiers.Name.Check(products[i].Category, $"products[{i}].category");
            }
            if (products[i].Name.Length > MaxProductNameLength)
            {
                throw new InvalidFieldException($"products[{i}].name", $"at most {MaxProductNameLength} characters");
            }
            var names = Languages.CheckedNames(products[i].Names, $"products[{i}].names");
            Languages.CheckImageUrl(products[i].ImageUrl, $"products[{i}].image_url");
            // Stored under the resolved tags ("zh" -> "zh-Hans"), as rooms are.
            products[i].Names.Clear();
            products[i].Names.Add(names);
        }
    }

    public static void Stream(LiveStream stream)
    {
        Identifiers.RoomId.Check(stream.Id, "id");
        Identifiers.Market.Check(stream.Market, "market");
        if (stream.Skus.Count is 0 or > 500)
        {
            throw new InvalidFieldException("skus", "1 to 500 featured SKUs");
        }
        for (var i = 0; i < stream.Skus.Count; i++)
        {
            Identifiers.Sku.Check(stream.Skus[i], $"skus[{i}]");
        }
        if (stream.StartsAt is null)
        {
            throw new InvalidFieldException("starts_at", "required");
        }
        if (stream.EndsAt is null || RequestTimes.Checked(stream.EndsAt, "ends_at") <= RequestTimes.Checked(stream.StartsAt, "starts_at"))
        {
            throw new InvalidFieldException("ends_at", "required, after starts_at");
        }
        if (stream.StartStock.Count > 0)
        {
            throw new InvalidFieldException("start_stock", "is recorded by the service when the stream starts; leave it empty");
        }
    }

    private static double Seconds(Google.Protobuf.WellKnownTypes.Duration? duration, string field)
        => duration is null ? 0 : RequestTimes.Checked(duration, field).TotalSeconds;

    private static void Range(bool present, double value, double min, double max, string field)
    {
        if (present && (double.IsNaN(value) || value < min || value > max))
        {
            throw new InvalidFieldException(field, $"must be between {min} and {max}");
        }
    }
}
