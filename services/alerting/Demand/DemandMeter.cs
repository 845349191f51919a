using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Stockcast.Alerting.V1;

namespace Stockcast.Alerting.Demand;

/// <summary>A SKU's pace now: sales per hour, and add-to-cart / search rates over a short and a long window.</summary>
public sealed record DemandNow(double SalesPerHour, double CartsShortPerHour, double CartsLongPerHour, double SearchesShortPerHour, double SearchesLongPerHour);

/// <summary>
/// Per SKU rates from every sale (ledger reservations and SALE signals) and demand signal
/// (ADD_TO_CART, SEARCH). Sales use one half-life; demand keeps a short and a long window to tell a
/// rising trend from a steady one.
/// </summary>
public sealed class DemandMeter(IOptions<AlertingOptions> options)
{
    private readonly ConcurrentDictionary<string, Rates> _bySku = new(StringComparer.Ordinal);

    public void Sale(string sku, long units, DateTimeOffset at) => Update(sku, r => r.Sales.Add(units, at));

    public void Signal(Signal signal, DateTimeOffset at)
    {
        switch (signal.Kind)
        {
            case SignalKind.Sale:
                Sale(signal.Sku, signal.Quantity, at);
                break;
            case SignalKind.AddToCart:
                Update(signal.Sku, r => { r.CartsShort.Add(signal.Quantity, at); r.CartsLong.Add(signal.Quantity, at); });
                break;
            case SignalKind.Search:
                Update(signal.Sku, r => { r.SearchesShort.Add(signal.Quantity, at); r.SearchesLong.Add(signal.Quantity, at); });
                break;
        }
    }

    public DemandNow Now(string sku, DateTimeOffset now)
    {
        if (!_bySku.TryGetValue(sku, out var r))
        {
            return new DemandNow(0, 0, 0, 0, 0);
        }
        lock (r)
        {
            return new DemandNow(r.Sales.PerHour(now), r.CartsShort.PerHour(now), r.CartsLong.PerHour(now), r.SearchesShort.PerHour(now), r.SearchesLong.PerHour(now));
        }
    }

    private void Update(string sku, Action<Rates> change)
    {
        var rates = _bySku.GetOrAdd(sku, _ => new Rates(options.Value));
        lock (rates)
        {
            change(rates);
        }
    }

    private sealed class Rates(AlertingOptions o)
    {
        public EwmaRate Sales { get; } = new(TimeSpan.FromMinutes(o.VelocityHalfLifeMinutes));
        public EwmaRate CartsShort { get; } = new(TimeSpan.FromMinutes(o.TrendShortMinutes));
        public EwmaRate CartsLong { get; } = new(TimeSpan.FromMinutes(o.TrendLongMinutes));
        public EwmaRate SearchesShort { get; } = new(TimeSpan.FromMinutes(o.TrendShortMinutes));
        public EwmaRate SearchesLong { get; } = new(TimeSpan.FromMinutes(o.TrendLongMinutes));
    }
}
