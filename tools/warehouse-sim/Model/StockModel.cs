namespace Stockcast.WarehouseSim.Model;

/// <summary>
/// The one place that holds stock. Every API is a read-only view of it; only scenario time (Tick)
/// and explicit adjustments change it.
/// </summary>
public sealed class StockModel(ScenarioClock clock)
{
    private readonly Lock _gate = new();
    private Scenario _scenario = new();
    private Dictionary<string, WarehouseState> _warehouses = [];
    private Dictionary<string, SkuIds> _ids = [];
    private List<MalformedRule> _malformed = [];
    private int _elapsed;

    /// <summary>Bumped on every load so per-scenario state elsewhere (rate limits, page tokens) starts afresh.</summary>
    public int Generation { get; private set; }

    public Scenario Scenario { get { lock (_gate) { return _scenario; } } }

    public static IReadOnlyList<string> Validate(Scenario scenario)
    {
        var errors = new List<string>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var w in scenario.Warehouses)
        {
            if (string.IsNullOrWhiteSpace(w.Id) || !ids.Add(w.Id))
            {
                errors.Add($"warehouse id '{w.Id}' is empty or repeated");
            }
            if (w.IsPushed && w.Webhook is null)
            {
                errors.Add($"warehouse '{w.Id}' is {w.Kind}, which pushes webhooks: it needs a webhook url and secret");
            }
            if (!w.IsPushed && string.IsNullOrEmpty(w.Token))
            {
                errors.Add($"warehouse '{w.Id}' is {w.Kind}, which is polled: it needs a token");
            }
            foreach (var line in w.Stock.Where(l => l.Location is { } id && w.Locations.All(x => x.Id != id)))
            {
                errors.Add($"warehouse '{w.Id}' stocks {line.Sku} at unknown location {line.Location}");
            }
            if (w.Stock.Any(l => string.IsNullOrEmpty(l.Sku) || l.OnHand < 0 || l.Committed < 0 || l.Inbound < 0 || l.Committed > l.OnHand))
            {
                errors.Add($"warehouse '{w.Id}' has a stock line with no sku, a negative quantity or more committed than on hand");
            }
        }
        var refs = scenario.Sales.Select(s => s.Warehouse)
            .Concat(scenario.StockOuts.Select(s => s.Warehouse))
            .Concat(scenario.StaleFeeds.Select(s => s.Warehouse))
            .Concat(scenario.Malformed.Select(s => s.Warehouse));
        errors.AddRange(refs.Where(r => !ids.Contains(r)).Distinct().Select(r => $"unknown warehouse '{r}'"));
        errors.AddRange(scenario.Malformed.Select(m => m.Problem()).OfType<string>());
        if (scenario.Mess is { } mess && Model.Mess.Problem(mess) is { } problem)
        {
            errors.Add(problem);
        }
        return errors;
    }

    public void Load(Scenario scenario, DateTimeOffset start)
    {
        lock (_gate)
        {
            _scenario = scenario;
            _elapsed = 0;
            clock.Reset(start);
            _ids = scenario.Warehouses.SelectMany(w => w.Stock).Select(s => s.Sku).Distinct().Order(StringComparer.Ordinal)
                .Select((sku, i) => new SkuIds(sku, 20_000_000 + i, 44_000_000_000 + i, $"B0{i + 1:D8}", $"X0{i + 1:D8}"))
                .ToDictionary(x => x.Sku);
            _warehouses = scenario.Warehouses.ToDictionary(w => w.Id, w => new WarehouseState(w, _ids, start));
            _malformed = [.. scenario.Malformed.Select(m => new MalformedRule(m))];
            Generation++;
        }
    }

    public WarehouseSpec? FindPolled(ApiKind kind, string token, string? externalId = null)
    {
        lock (_gate)
        {
            return _scenario.Warehouses.FirstOrDefault(w => w.Kind == kind && w.Token == token && (externalId is null || w.ExternalId == externalId));
        }
    }

    public bool HasToken(ApiKind kind, string token)
    {
        lock (_gate)
        {
            return _scenario.Warehouses.Any(w => w.Kind == kind && w.Token == token);
        }
    }

    public FeedStatus Status(string warehouseId)
    {
        lock (_gate)
        {
            return _warehouses[warehouseId].Status;
        }
    }

    /// <summary>What the warehouse's feed shows now: the live stock, or the picture from when it froze.</summary>
    public IReadOnlyList<SkuLevels> Feed(string warehouseId)
    {
        lock (_gate)
        {
            var w = _warehouses[warehouseId];
            return w.FrozenFeed ?? w.Read();
        }
    }

    /// <summary>Which quirk, if any, to put in this SKU's record in the response being built now.</summary>
    public Quirk? TakeMalformation(string warehouseId, string sku)
    {
        lock (_gate)
        {
            var rule = _malformed.FirstOrDefault(r => r.Spec.Warehouse == warehouseId && r.Spec.Sku == sku && r.Remaining is null or > 0);
            if (rule is null)
            {
                return null;
            }
            rule.Remaining--;
            return rule.Spec.Kind;
        }
    }

    public void AddMalformation(MalformedRecord spec)
    {
        lock (_gate)
        {
            _malformed.Add(new MalformedRule(spec));
        }
    }

    public void ClearMalformations()
    {
        lock (_gate)
        {
            _malformed.Clear();
        }
    }

    /// <summary>One second of scenario time: stock-outs, sales, then feed outages. Returns the on-hand changes a live feed reports.</summary>
    public IReadOnlyList<StockChange> Tick()
    {
        lock (_gate)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            _elapsed++;
            var now = clock.GetUtcNow();
            var changes = new List<StockChange>();
            foreach (var outage in _scenario.StockOuts.Where(s => s.AtSeconds == _elapsed))
            {
                changes.AddRange(_warehouses[outage.Warehouse].StockOut(outage.Sku, now));
            }
            foreach (var sale in _scenario.Sales)
            {
                changes.AddRange(_warehouses[sale.Warehouse].Sell(sale.Sku, sale.PerHour / 3600.0, now));
            }
            // Feeds go stale at the end of their second, so a frozen feed still shows that second's sales.
            foreach (var stale in _scenario.StaleFeeds)
            {
                var w = _warehouses[stale.Warehouse];
                if (stale.AtSeconds == _elapsed)
                {
                    w.Status = stale.Mode == StaleMode.Frozen ? FeedStatus.Frozen : FeedStatus.Down;
                    w.FrozenFeed = stale.Mode == StaleMode.Frozen ? w.Read() : null;
                }
                else if (stale.UntilSeconds == _elapsed)
                {
                    w.Status = FeedStatus.Live;
                    w.FrozenFeed = null;
                }
            }
            // A stale push feed sends nothing, whatever happens in the warehouse.
            return [.. changes.Where(c => _warehouses[c.Warehouse.Id].Status == FeedStatus.Live)];
        }
    }

    public StockChange? Adjust(string warehouseId, string sku, long? location, int delta, string reason)
    {
        lock (_gate)
        {
            if (!_warehouses.TryGetValue(warehouseId, out var w) || !_ids.ContainsKey(sku))
            {
                return null;
            }
            var change = w.Adjust(sku, location, delta, reason, clock.GetUtcNow());
            return change is not null && w.Status == FeedStatus.Live ? change : null;
        }
    }

    public SimState State()
    {
        lock (_gate)
        {
            return new SimState(clock.GetUtcNow(), _elapsed, [.. _warehouses.Values.Select(w => w.Truth())]);
        }
    }

    private sealed class MalformedRule(MalformedRecord spec)
    {
        public MalformedRecord Spec { get; } = spec;
        public int? Remaining { get; set; } = spec.Responses;
    }

    private sealed class Level
    {
        public int OnHand;
        public int Committed;
        public int Inbound;
    }

    private sealed class Counters
    {
        public int Sold;
        public int RemovedByStockOut;
        public int Adjusted;
        public double PendingSales;
        public DateTimeOffset UpdatedAt;
    }

    private sealed class WarehouseState
    {
        private readonly IReadOnlyList<LocationSpec> _locations;
        private readonly SortedDictionary<string, (SkuIds Ids, Dictionary<long, Level> Levels, Counters Counters)> _skus = new(StringComparer.Ordinal);

        public WarehouseState(WarehouseSpec spec, Dictionary<string, SkuIds> ids, DateTimeOffset start)
        {
            Spec = spec;
            _locations = spec.Locations.Count > 0 ? spec.Locations : [new LocationSpec(1, spec.Id)];
            foreach (var line in spec.Stock)
            {
                if (!_skus.TryGetValue(line.Sku, out var entry))
                {
                    entry = (ids[line.Sku], _locations.ToDictionary(l => l.Id, _ => new Level()), new Counters { UpdatedAt = start });
                    _skus[line.Sku] = entry;
                }
                var level = entry.Levels[line.Location ?? _locations[0].Id];
                level.OnHand += line.OnHand;
                level.Committed += line.Committed;
                level.Inbound += line.Inbound;
            }
        }

        public WarehouseSpec Spec { get; }
        public FeedStatus Status { get; set; } = FeedStatus.Live;
        public IReadOnlyList<SkuLevels>? FrozenFeed { get; set; }

        public IReadOnlyList<SkuLevels> Read() => [.. _skus.Keys.Select(View)];

        public WarehouseTruth Truth() => new(Spec.Id, Spec.Kind, Status, [.. _skus.Values.Select(e =>
        {
            var v = View(e.Ids.Sku);
            return new SkuTruth(v.Sku, v.OnHand, v.Committed, v.Inbound, v.Fulfillable, e.Counters.Sold, e.Counters.RemovedByStockOut,
                e.Counters.Adjusted, v.Locations, v.UpdatedAt);
        })]);

        public IEnumerable<StockChange> StockOut(string sku, DateTimeOffset now)
        {
            if (!_skus.TryGetValue(sku, out var e))
            {
                yield break;
            }
            foreach (var (locationId, level) in e.Levels.Where(l => l.Value.OnHand > 0).ToList())
            {
                e.Counters.RemovedByStockOut += level.OnHand;
                yield return Change(sku, locationId, now, "Stock-out: counted zero at cycle count", l =>
                {
                    l.OnHand = 0;
                    l.Committed = 0;
                });
            }
        }

        public IEnumerable<StockChange> Sell(string sku, double units, DateTimeOffset now)
        {
            if (!_skus.TryGetValue(sku, out var e))
            {
                yield break;
            }
            e.Counters.PendingSales += units;
            while (e.Counters.PendingSales >= 1)
            {
                var from = e.Levels.FirstOrDefault(l => l.Value.OnHand - l.Value.Committed > 0);
                if (from.Value is null)
                {
                    // Sold out: demand does not pile up into a burst once stock comes back.
                    e.Counters.PendingSales = 0;
                    yield break;
                }
                e.Counters.PendingSales -= 1;
                e.Counters.Sold++;
                yield return Change(sku, from.Key, now, "Order shipped", l => l.OnHand--);
            }
        }

        public StockChange? Adjust(string sku, long? location, int delta, string reason, DateTimeOffset now)
        {
            if (!_skus.TryGetValue(sku, out var e))
            {
                return null;
            }
            var locationId = location ?? _locations[0].Id;
            if (!e.Levels.TryGetValue(locationId, out var level) || level.OnHand + delta < level.Committed)
            {
                return null;
            }
            e.Counters.Adjusted += delta;
            return Change(sku, locationId, now, reason, l => l.OnHand += delta);
        }

        private StockChange Change(string sku, long locationId, DateTimeOffset now, string reason, Action<Level> apply)
        {
            var e = _skus[sku];
            var before = View(sku);
            var level = e.Levels[locationId];
            var locationBefore = level.OnHand;
            apply(level);
            e.Counters.UpdatedAt = now;
            var after = View(sku);
            return new StockChange(Spec, after, after.Locations.Single(l => l.Location.Id == locationId), locationBefore, before.OnHand, now, reason);
        }

        private SkuLevels View(string sku)
        {
            var e = _skus[sku];
            return new SkuLevels(e.Ids, [.. _locations.Select(l => e.Levels[l.Id]).Zip(_locations,
                (level, l) => new LocationLevel(l, level.OnHand, level.Committed, level.Inbound))], e.Counters.UpdatedAt);
        }
    }
}
