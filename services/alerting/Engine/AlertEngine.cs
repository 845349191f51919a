using System.Diagnostics;
using Microsoft.Extensions.Options;
using Stockcast.Alerting.Catalog;
using Stockcast.Alerting.Demand;
using Stockcast.Alerting.Leadership;
using Stockcast.Alerting.Stock;
using Stockcast.Alerting.V1;
using Stockcast.ServiceDefaults.Resilience;

namespace Stockcast.Alerting.Engine;

/// <summary>
/// While this replica leads: evaluates a SKU's rules as soon as its stock or demand changes, and
/// every rule on a tick (ETAs move and streams start even when stock does not), and feeds the
/// results to the <see cref="AlertBook"/>. Alerts whose condition no longer applies (the stream
/// ended, the SKU left the room) resolve.
/// </summary>
public sealed class AlertEngine(
    AlertingMetrics metrics,
    IOptions<AlertingOptions> options,
    LeaderLease lease,
    AlertBook book,
    StockView view,
    PeerStock peers,
    DemandMeter demand,
    CatalogStore catalog,
    DirtySkus dirty,
    Streams streams,
    TimeProvider clock,
    ILogger<AlertEngine> log) : BackgroundService
{
    private static readonly AlertKind[] StockKinds = [AlertKind.LowStock, AlertKind.SellOutEta, AlertKind.DemandTrend, AlertKind.RegionalShortage];
    private static readonly TimeSpan KeepResolved = TimeSpan.FromDays(7);

    private readonly StreamLoop _loop = streams.Loop("evaluation");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A new or changed stream or rule is evaluated at once, not at the next tick.
        catalog.Changed += () =>
        {
            foreach (var sku in catalog.Streams.Values.SelectMany(s => s.Skus).Concat(catalog.Rules.Values.Where(r => r.ScopeCase == Rule.ScopeOneofCase.Sku).Select(r => r.Sku)))
            {
                dirty.Mark(sku);
            }
        };
        // One leader term per session; a failed evaluation starts again after a backoff.
        await _loop.RunAsync(async cancellationToken =>
        {
            var term = await lease.ElectedAsync(cancellationToken);
            metrics.IsLeader.Set(1);
            try
            {
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, term.Ended);
                await LeadAsync(term, linked.Token);
            }
            catch (OperationCanceledException) when (term.Ended.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                log.LogInformation("No longer the leader; evaluation stops here");
            }
            catch (FencedException)
            {
                log.LogWarning("Another replica took the lead while this one was writing; evaluation stops here");
            }
            finally
            {
                metrics.IsLeader.Set(0);
            }
        }, stoppingToken);
    }

    private async Task LeadAsync(LeaderTerm term, CancellationToken cancellationToken)
    {
        var every = TimeSpan.FromSeconds(options.Value.EvaluateEverySeconds);
        await Task.WhenAll(view.Loaded, catalog.Loaded).WaitAsync(cancellationToken);
        var tick = Task.CompletedTask; // evaluate everything at once on taking the lead
        while (true)
        {
            var changed = await dirty.TakeAsync(tick, cancellationToken);
            foreach (var (sku, changedAt) in changed)
            {
                await EvaluateAsync(term, sku, changedAt);
            }
            if (tick.IsCompleted)
            {
                tick = Task.Delay(every, clock, cancellationToken);
                await EvaluateEverythingAsync(term);
                _loop.Heard();
            }
        }
    }

    private async Task EvaluateEverythingAsync(LeaderTerm term)
    {
        var now = clock.GetUtcNow();
        var skus = new HashSet<string>(StringComparer.Ordinal);
        foreach (var stream in catalog.Streams.Values.Where(s => Relevant(s, now)))
        {
            skus.UnionWith(stream.Skus);
        }
        skus.UnionWith(catalog.Rules.Values.Where(r => r.ScopeCase == Rule.ScopeOneofCase.Sku).Select(r => r.Sku));
        var categories = catalog.Rules.Values.Where(r => r.ScopeCase == Rule.ScopeOneofCase.Category).Select(r => r.Category).ToHashSet(StringComparer.Ordinal);
        skus.UnionWith(catalog.Products.Values.Where(p => categories.Contains(p.Category)).Select(p => p.Sku));
        skus.UnionWith((await book.OpenAsync(term, a => StockKinds.Contains(a.Kind))).Select(a => a.Sku));
        foreach (var sku in skus)
        {
            await EvaluateAsync(term, sku, null);
        }
        await EvaluateSettlementAsync(term, now);
        await book.TrimAsync(KeepResolved);
    }

    /// <summary>Every rule of one SKU, in every room it is featured in and every market a SKU or category rule covers.</summary>
    public async Task EvaluateAsync(LeaderTerm term, string sku, long? changedAt)
    {
        var started = Stopwatch.GetTimestamp();
        var now = clock.GetUtcNow();
        var produced = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (listed, market) in Contexts(sku, now).ToList())
        {
            var stock = view.ForMarket(sku, market);
            if (stock.ByWarehouse.Count == 0)
            {
                // No record here yet: the view follows the ledger a moment behind, and a SKU just stocked
                // is not sold out. Its first record makes it due again; preflight reports one no warehouse holds.
                continue;
            }
            var stream = listed is not null && listed.StartsAt.ToDateTimeOffset() <= now && !listed.StartStock.ContainsKey(sku)
                ? await catalog.RecordStartStockAsync(listed, sku, stock.AvailableToPromise)
                : listed;
            var rule = EffectiveRule.Resolve(catalog, options.Value.Defaults, sku, stream?.Id);
            var situation = new Situation(sku, now, rule, stock, view.Elsewhere(sku, market), peers.Donors(sku), view.TotalAtp(sku) + peers.TotalAtp(sku), demand.Now(sku, now), stream,
                Replacement(sku, market, rule), options.Value.PreSaleDays, TimeSpan.FromHours(options.Value.TrendLookaheadHours));
            foreach (var condition in Conditions.Evaluate(situation))
            {
                produced.Add(condition.Key);
                await book.ApplyAsync(condition, term, rule.CoolDown, changedAt);
            }
        }
        foreach (var stale in await book.OpenAsync(term, a => a.Sku == sku && StockKinds.Contains(a.Kind) && !produced.Contains(a.Key)))
        {
            await book.ResolveAsync(term, stale.Key, TimeSpan.Zero, "no longer applies");
        }
        metrics.Evaluations.Inc();
        metrics.EvaluationSeconds.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    /// <summary>Committed reservations the warehouse has not reflected within the bound.</summary>
    private async Task EvaluateSettlementAsync(LeaderTerm term, DateTimeOffset now)
    {
        var bound = TimeSpan.FromSeconds(options.Value.UnsettledAfterSeconds);
        var waiting = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (record, since) in view.Unsettled(now, bound))
        {
            var condition = new Condition($"unsettled:{record.WarehouseId}:{record.Sku}", AlertKind.ReservationUnsettled, Severity.Warning, Standing.Firing, record.Sku,
                $"{record.Committed} units of {record.Sku} handed to {record.WarehouseId} {Conditions.Format(now - since)} ago are still not in its figures",
                $"check that the orders reached {record.WarehouseId}; until then they count against its stock")
            {
                WarehouseId = record.WarehouseId,
                Figures = new Dictionary<string, double> { ["committed"] = record.Committed, ["waiting_seconds"] = (now - since).TotalSeconds, ["bound_seconds"] = bound.TotalSeconds },
            };
            waiting.Add(condition.Key);
            await book.ApplyAsync(condition, term, TimeSpan.Zero);
        }
        foreach (var settled in await book.OpenAsync(term, a => a.Kind == AlertKind.ReservationUnsettled && !waiting.Contains(a.Key)))
        {
            await book.ResolveAsync(term, settled.Key, TimeSpan.Zero, "recovered");
        }
    }

    private IEnumerable<(LiveStream? Stream, string Market)> Contexts(string sku, DateTimeOffset now)
    {
        var markets = new HashSet<string>(StringComparer.Ordinal);
        foreach (var stream in catalog.Streams.Values.Where(s => s.Skus.Contains(sku) && Relevant(s, now)))
        {
            markets.Add(stream.Market);
            yield return (stream, stream.Market);
        }
        var category = catalog.Products.GetValueOrDefault(sku)?.Category;
        if (catalog.Rules.ContainsKey(RuleIds.Sku(sku)) || (category is { Length: > 0 } && catalog.Rules.ContainsKey(RuleIds.Category(category))))
        {
            foreach (var market in view.Markets(sku).Where(m => !markets.Contains(m)))
            {
                yield return (null, market);
            }
        }
    }

    /// <summary>Live now, or starting within the trend look-ahead.</summary>
    private bool Relevant(LiveStream stream, DateTimeOffset now)
        => now < stream.EndsAt.ToDateTimeOffset() && stream.StartsAt.ToDateTimeOffset() - now <= TimeSpan.FromHours(options.Value.TrendLookaheadHours);

    /// <summary>A SKU of the same category with stock above the low level in this market, the most first.</summary>
    public string? Replacement(string sku, string market, EffectiveRule rule)
    {
        var category = catalog.Products.GetValueOrDefault(sku)?.Category;
        if (category is not { Length: > 0 })
        {
            return null;
        }
        return catalog.Products.Values
            .Where(p => p.Category == category && p.Sku != sku)
            .Select(p => (p.Sku, Atp: view.ForMarket(p.Sku, market).AvailableToPromise))
            .Where(p => p.Atp > rule.LowStockUnits)
            .OrderByDescending(p => p.Atp).ThenBy(p => p.Sku, StringComparer.Ordinal)
            .Select(p => p.Sku)
            .FirstOrDefault();
    }
}
