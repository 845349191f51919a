using System.Globalization;
using Stockcast.Alerting.Demand;
using Stockcast.Alerting.Stock;
using Stockcast.Alerting.V1;

namespace Stockcast.Alerting.Engine;

/// <summary>Where a condition stands: past its threshold, recovered past the re-arm level, or in between (no change).</summary>
public enum Standing
{
    Firing,
    Clear,
    Hold,
}

/// <summary>One alert condition as evaluated now: its dedup key, standing, and everything the alert will say.</summary>
public sealed record Condition(string Key, AlertKind Kind, Severity Severity, Standing Standing, string Sku, string Message, string Action)
{
    public string WarehouseId { get; init; } = "";
    public string Market { get; init; } = "";
    public string RoomId { get; init; } = "";
    public IReadOnlyDictionary<string, double> Figures { get; init; } = new Dictionary<string, double>();
    public Transfer? Transfer { get; init; }
}

/// <summary>
/// Everything the stock rules look at for one SKU in one market (and room, when it is in a stream).
/// <see cref="Elsewhere"/> is this region's other warehouses; <see cref="PeerDonors"/> and
/// <see cref="GlobalAtp"/> (this region + peers) are read by the regional shortage only.
/// </summary>
public sealed record Situation(
    string Sku,
    DateTimeOffset Now,
    EffectiveRule Rule,
    MarketStock Stock,
    IReadOnlyList<(string WarehouseId, long Atp)> Elsewhere,
    IReadOnlyList<PeerDonor> PeerDonors,
    long GlobalAtp,
    DemandNow Demand,
    LiveStream? Stream,
    string? Replacement,
    int PreSaleDays,
    TimeSpan TrendLookahead)
{
    public bool Live => Stream is { } s && s.StartsAt.ToDateTimeOffset() <= Now && Now < s.EndsAt.ToDateTimeOffset();

    public bool Upcoming => Stream is { } s && Now < s.StartsAt.ToDateTimeOffset() && s.StartsAt.ToDateTimeOffset() - Now <= TrendLookahead;
}

/// <summary>
/// The stock rules, as pure functions of a <see cref="Situation"/>: low stock, sell-out ETA, demand
/// trend before a stream, regional shortage. Each returns its condition with the numbers behind it and
/// a suggested action; none when the rule is off or does not apply.
/// </summary>
public static class Conditions
{
    public static IEnumerable<Condition> Evaluate(Situation s)
    {
        if (LowStock(s) is { } low)
        {
            yield return low;
        }
        if (SellOutEta(s) is { } eta)
        {
            yield return eta;
        }
        if (DemandTrend(s) is { } trend)
        {
            yield return trend;
        }
        if (RegionalShortage(s) is { } shortage)
        {
            yield return shortage;
        }
    }

    public static Condition? LowStock(Situation s)
    {
        var start = s.Live && s.Stream!.StartStock.TryGetValue(s.Sku, out var atStart) ? atStart : (long?)null;
        var byUnits = s.Rule.LowStockUnits;
        var byPercent = start is { } st && s.Rule.LowStockPercent > 0 ? st * s.Rule.LowStockPercent / 100 : 0;
        var threshold = Math.Max(byUnits, byPercent);
        if (threshold <= 0)
        {
            return null;
        }
        var atp = s.Stock.AvailableToPromise;
        var standing = atp <= threshold ? Standing.Firing : atp >= s.Rule.Rearm(threshold) ? Standing.Clear : Standing.Hold;
        var why = byPercent >= byUnits && start is not null
            ? $"{s.Rule.LowStockPercent.ToString("0.#", CultureInfo.InvariantCulture)}% of {start} at stream start"
            : $"threshold {byUnits}";
        var message = atp == 0
            ? $"{s.Sku} is sold out for {s.Stock.Market}"
            : $"{s.Sku}: only {atp} left for {s.Stock.Market} ({why})";
        return new Condition(Key("low", s), AlertKind.LowStock, atp == 0 ? Severity.Critical : Severity.Warning, standing, s.Sku, message, atp == 0 ? OutAction(s) : $"say \"only {atp} left\"; line up the next featured SKU" + TransferHint(s))
        {
            Market = s.Stock.Market,
            RoomId = s.Stream?.Id ?? "",
            Figures = Figures(s, ("threshold", threshold), ("start_stock", start ?? 0)),
        };
    }

    public static Condition? SellOutEta(Situation s)
    {
        var rate = s.Demand.SalesPerHour;
        var atp = s.Stock.AvailableToPromise;
        var horizon = s.Rule.SellOutHorizon;
        if (horizon <= TimeSpan.Zero || (s.Stream is not null && !s.Live))
        {
            return null;
        }
        var ends = s.Stream?.EndsAt.ToDateTimeOffset();
        if (ends is { } end && end - s.Now < horizon)
        {
            horizon = end - s.Now; // selling out after the stream is not this stream's problem
        }
        var eta = rate > 0 && atp > 0 ? TimeSpan.FromHours(atp / rate) : (TimeSpan?)null;
        var standing = eta is not { } e ? Standing.Clear : e < horizon ? Standing.Firing : e > horizon * (1 + s.Rule.RearmMarginPercent / 100) ? Standing.Clear : Standing.Hold;
        var message = eta is { } t
            ? $"At this pace ({rate.ToString("0.#", CultureInfo.InvariantCulture)}/h) {s.Sku} sells out in {Format(t)}" + (ends is { } stop ? $", before the stream ends at {stop.UtcDateTime.ToString("HH:mm", CultureInfo.InvariantCulture)} UTC" : "")
            : $"{s.Sku} is not selling fast enough to run out";
        var action = (s.Elsewhere.Count > 0 ? $"transfer stock from {s.Elsewhere[0].WarehouseId}" : s.Stock.Inbound > 0 ? $"switch to pre-sale for the rest of the stream ({s.Stock.Inbound} inbound)" : "pace the pitch or feature another SKU")
            + " before it runs out";
        return new Condition(Key("eta", s), AlertKind.SellOutEta, eta is { } soon && soon < TimeSpan.FromMinutes(15) ? Severity.Critical : Severity.Warning, standing, s.Sku, message, action)
        {
            Market = s.Stock.Market,
            RoomId = s.Stream?.Id ?? "",
            Figures = Figures(s, ("rate_per_hour", rate), ("eta_seconds", eta?.TotalSeconds ?? -1), ("horizon_seconds", horizon.TotalSeconds)),
        };
    }

    public static Condition? DemandTrend(Situation s)
    {
        if (!s.Upcoming || s.Rule.TrendRiseFactor <= 0)
        {
            return null;
        }
        var d = s.Demand;
        var cartRatio = d.CartsLongPerHour > 0 ? d.CartsShortPerHour / d.CartsLongPerHour : 0;
        var searchRatio = d.SearchesLongPerHour > 0 ? d.SearchesShortPerHour / d.SearchesLongPerHour : 0;
        var ratio = Math.Max(cartRatio, searchRatio);
        var hours = (s.Stream!.EndsAt.ToDateTimeOffset() - s.Stream.StartsAt.ToDateTimeOffset()).TotalHours;
        var expected = Math.Max(d.SalesPerHour, d.CartsShortPerHour * s.Rule.CartConversion) * hours;
        var atp = s.Stock.AvailableToPromise;
        var margin = 1 + s.Rule.RearmMarginPercent / 100;
        var standing = ratio >= s.Rule.TrendRiseFactor && expected >= atp ? Standing.Firing
            : ratio < s.Rule.TrendRiseFactor / margin || expected < atp / margin ? Standing.Clear
            : Standing.Hold;
        var buffer = (long)Math.Ceiling(expected - atp);
        var message = $"Demand for {s.Sku} is rising ({ratio.ToString("0.0", CultureInfo.InvariantCulture)}x the usual add-to-cart/search rate): about {Math.Round(expected)} sales expected in the {hours.ToString("0.#", CultureInfo.InvariantCulture)} h stream against {atp} available";
        return new Condition(Key("trend", s), AlertKind.DemandTrend, Severity.Warning, standing, s.Sku, message, $"prepare a buffer of {Math.Max(1, buffer)} units (transfer or restock) or adjust the script" + TransferHint(s))
        {
            Market = s.Stock.Market,
            RoomId = s.Stream.Id,
            Figures = Figures(s, ("rise_factor", ratio), ("expected_sales", expected), ("carts_per_hour", d.CartsShortPerHour), ("searches_per_hour", d.SearchesShortPerHour)),
        };
    }

    public static Condition? RegionalShortage(Situation s)
    {
        var atp = s.Stock.AvailableToPromise;
        var limit = s.Rule.ShortageUnits;
        var hasDonor = s.Elsewhere.Count > 0 || s.PeerDonors.Count > 0;
        var standing = atp <= limit && hasDonor ? Standing.Firing
            : atp >= s.Rule.Rearm(limit) || !hasDonor ? Standing.Clear
            : Standing.Hold;
        // Enough to cover the sell-out horizon at the current pace, and at least the low-stock level again.
        var target = Math.Max(Math.Max(limit + 1, s.Rule.LowStockUnits * 2), (long)Math.Ceiling(s.Demand.SalesPerHour * s.Rule.SellOutHorizon.TotalHours));
        var wanted = Math.Max(1, target - atp);
        var (from, fromAtp, region) = Donor(s, wanted);
        var units = Math.Min(fromAtp, wanted);
        var transfer = standing == Standing.Firing ? new Transfer { FromWarehouseId = from, FromRegion = region, ToMarket = s.Stock.Market, Units = units } : null;
        var source = region.Length == 0 ? from : new PeerDonor(region, from, fromAtp).ToString();
        var message = $"{s.Stock.Market} has {atp} of {s.Sku} while {source} holds {fromAtp} for other markets";
        return new Condition($"shortage:{s.Stock.Market}:{s.Sku}", AlertKind.RegionalShortage, atp == 0 ? Severity.Critical : Severity.Warning, standing, s.Sku, message,
            $"transfer {units} units from {source} to a warehouse serving {s.Stock.Market}")
        {
            WarehouseId = from,
            Market = s.Stock.Market,
            Figures = Figures(s, ("transfer_units", units), ("donor_atp", fromAtp), ("shortage_units", limit), ("global_atp", s.GlobalAtp)),
            Transfer = transfer,
        };
    }

    /// <summary>
    /// This region's warehouse holding most when it covers <paramref name="wanted"/> (a transfer inside
    /// the region is quicker and cheaper), else whichever warehouse, here or in a peer region, holds most.
    /// </summary>
    private static (string WarehouseId, long Atp, string Region) Donor(Situation s, long wanted)
    {
        var (warehouse, atp) = s.Elsewhere.Count > 0 ? s.Elsewhere[0] : ("", 0L);
        return s.PeerDonors.Count > 0 && atp < wanted && s.PeerDonors[0] is { } peer && peer.Atp > atp
            ? (peer.WarehouseId, peer.Atp, peer.Region)
            : (warehouse, atp, "");
    }

    private static string OutAction(Situation s)
        => s.Stock.Inbound > 0 ? $"switch to pre-sale ({s.PreSaleDays} days; {s.Stock.Inbound} units inbound)"
            : s.Replacement is { } other ? $"replace the featured SKU with {other}"
            : s.Elsewhere.Count > 0 ? $"transfer stock from {s.Elsewhere[0].WarehouseId}, or steer viewers to the next stream"
            : "steer viewers to the next stream";

    private static string TransferHint(Situation s)
        => s.Elsewhere.Count > 0 ? $" ({s.Elsewhere[0].WarehouseId} holds {s.Elsewhere[0].Atp} for other markets)" : "";

    private static string Key(string kind, Situation s) => $"{kind}:{s.Stream?.Id ?? "-"}:{s.Stock.Market}:{s.Sku}";

    private static Dictionary<string, double> Figures(Situation s, params (string Name, double Value)[] more)
    {
        var figures = new Dictionary<string, double>
        {
            ["atp"] = s.Stock.AvailableToPromise,
            ["inbound"] = s.Stock.Inbound,
            ["rate_per_hour"] = s.Demand.SalesPerHour,
        };
        foreach (var (name, value) in more)
        {
            figures[name] = value;
        }
        return figures;
    }

    /// <summary>"1 h 40 min", "25 min", "40 s".</summary>
    public static string Format(TimeSpan t)
        => t.TotalHours >= 1 ? $"{(int)t.TotalHours} h {t.Minutes} min" : t.TotalMinutes >= 1 ? $"{(int)t.TotalMinutes} min" : $"{(int)t.TotalSeconds} s";
}
