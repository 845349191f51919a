using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;
using Stockcast.Alerting.Catalog;
using Stockcast.Alerting.Demand;
using Stockcast.Alerting.Stock;
using Stockcast.Alerting.V1;
using Stockcast.ServiceDefaults.Errors;

namespace Stockcast.Alerting.Engine;

/// <summary>
/// The pre-stream check: per SKU, is there stock for the room's market, is the figure fresh, and
/// will it last the stream at the pace now seen — with the reason and what to do about it. Runs on
/// any replica (it reads the stock view every replica keeps). Peer regions' stock shows only as what
/// could be transferred in ("0 available to promise in US; 480 in the eu region").
/// </summary>
public sealed class Preflight(IOptions<AlertingOptions> options, StockView view, PeerStock peers, DemandMeter demand, CatalogStore catalog, AlertEngine engine, AlertBook book, TimeProvider clock)
{
    public async Task<List<SkuVerdict>> CheckAsync(IReadOnlyList<string> skus, string market, TimeSpan duration, string? roomId)
    {
        if (!view.Loaded.IsCompletedSuccessfully)
        {
            throw new UnavailableException("still listing the stock-ledger; try again shortly", "STOCK_VIEW_LOADING");
        }
        var now = clock.GetUtcNow();
        var staleFeeds = (await book.ListAsync(a => a.Kind == AlertKind.FeedStale && a.State == AlertState.Firing)).Select(a => a.WarehouseId).ToHashSet(StringComparer.Ordinal);
        var verdicts = new List<SkuVerdict>();
        foreach (var sku in skus)
        {
            var rule = EffectiveRule.Resolve(catalog, options.Value.Defaults, sku, roomId);
            var stock = view.ForMarket(sku, market);
            var pace = demand.Now(sku, now);
            var expected = Math.Max(pace.SalesPerHour, pace.CartsShortPerHour * rule.CartConversion) * duration.TotalHours;
            var age = stock.OldestSourceTime is { } oldest ? now - oldest : (TimeSpan?)null;
            var verdict = new SkuVerdict
            {
                Sku = sku,
                AvailableToPromise = stock.AvailableToPromise,
                ExpectedSales = Math.Round(expected, 1),
                Inbound = stock.Inbound,
                DataAge = age is { } a ? Duration.FromTimeSpan(a < TimeSpan.Zero ? TimeSpan.Zero : a) : null,
                ReplacementSku = engine.Replacement(sku, market, rule) ?? "",
            };
            var elsewhere = view.Elsewhere(sku, market);
            var peerDonors = peers.Donors(sku);
            var transfer = elsewhere.Count > 0 ? $"transfer from {elsewhere[0].WarehouseId} ({elsewhere[0].Atp} there)"
                : peerDonors.Count > 0 ? $"transfer from {peerDonors[0]} ({peerDonors[0].Atp} there)"
                : null;
            var inPeers = string.Concat(peerDonors.GroupBy(d => d.Region).Select(g => $"; {g.Sum(d => d.Atp)} in the {g.Key} region"));
            var staleWarehouse = stock.ByWarehouse.Select(w => w.WarehouseId).FirstOrDefault(staleFeeds.Contains);
            if (stock.AvailableToPromise == 0)
            {
                verdict.Verdict = Verdict.Out;
                verdict.Reason = (stock.ByWarehouse.Count == 0 ? $"no warehouse serving {market} holds {sku}" : $"0 available to promise in {market}") + inPeers;
                verdict.SuggestedAction = stock.Inbound > 0 ? $"switch to pre-sale, {options.Value.PreSaleDays} days ({stock.Inbound} units inbound)"
                    : verdict.ReplacementSku.Length > 0 ? $"replace the featured SKU with {verdict.ReplacementSku}"
                    : transfer ?? "drop it from the run-down";
            }
            else if (staleWarehouse is not null || age > TimeSpan.FromSeconds(options.Value.StaleDataSeconds))
            {
                verdict.Verdict = Verdict.StaleData;
                verdict.Reason = staleWarehouse is not null ? $"the {staleWarehouse} feed is stale" : $"the oldest warehouse figure is {Conditions.Format(age!.Value)} old";
                verdict.SuggestedAction = "refresh the warehouse feed (TriggerFullSync) before going live; do not promise counts until then";
            }
            else if (stock.AvailableToPromise <= rule.LowStockUnits || expected >= stock.AvailableToPromise)
            {
                verdict.Verdict = Verdict.Low;
                var hours = duration.TotalHours.ToString("0.#", CultureInfo.InvariantCulture);
                verdict.Reason = expected >= stock.AvailableToPromise
                    ? $"about {Math.Round(expected)} expected to sell in {hours} h against {stock.AvailableToPromise} available{inPeers}"
                    : $"{stock.AvailableToPromise} available, at or below the low-stock level {rule.LowStockUnits}{inPeers}";
                var buffer = Math.Max(1, (long)Math.Ceiling(expected - stock.AvailableToPromise));
                verdict.SuggestedAction = transfer is not null ? $"{transfer}: about {buffer} units"
                    : stock.Inbound > 0 ? $"plan a switch to pre-sale ({options.Value.PreSaleDays} days) once it sells out"
                    : verdict.ReplacementSku.Length > 0 ? $"keep {verdict.ReplacementSku} ready to replace it"
                    : "feature it late in the stream, or cap it per order";
            }
            else
            {
                verdict.Verdict = Verdict.Ok;
                verdict.Reason = $"{stock.AvailableToPromise} available for {market}; about {Math.Round(expected)} expected to sell";
            }
            verdicts.Add(verdict);
        }
        return verdicts;
    }
}
