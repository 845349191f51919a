using System.Collections.Concurrent;
using System.Collections.Frozen;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;
using Stockcast.Ledger.Store;
using Stockcast.Ledger.V1;
using Stockcast.Ledger.Watch;
using Stockcast.ServiceDefaults.Redis;
using Stockcast.ServiceDefaults.Resilience;
using StackExchange.Redis;

namespace Stockcast.Ledger.Reads;

/// <summary>
/// Every record's ATP in memory, kept current from the ledger's own change feed, so GetAvailability
/// is answered without a Redis round trip. It is listed once from Redis, then follows the feed a whole
/// log entry at a time (the feed's head is always at the end of one script's changes), and a SKU's
/// warehouses are replaced together, so no answer shows half of one atomic change.
/// It lists again when the feed starts a new history (Redis went back) or skips changes the ring no
/// longer holds. Warehouses and their markets are read at load, on the ledger's "warehouses" notice,
/// when a change names a warehouse the view does not know, and every <see cref="WarehouseRefresh"/>.
/// Until it is loaded, and whenever it is behind what this process has already answered (<see
/// cref="StockStore.Floor"/>) or the caller asks for, reads go to Redis (<see cref="AnswerAsync"/>).
/// </summary>
public sealed class AvailabilityView(ChangeFeed feed, StockStore store, IConnectionMultiplexer redis, IOptions<LedgerOptions> options, LedgerMetrics metrics, TimeProvider clock, ILogger<AvailabilityView> log) : BackgroundService
{
    private const int ListPage = 1000;
    private static readonly TimeSpan WarehouseRefresh = TimeSpan.FromSeconds(10);
    // How long the view waits on a quiet feed before looking at its warehouses and epoch again.
    private static readonly TimeSpan FeedPoll = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan TooLargeRetry = TimeSpan.FromMinutes(10);

    private volatile Loaded? _loaded;
    private volatile bool _warehousesChanged;

    /// <summary>
    /// The SKU's availability in the market from memory, holding at least revision <paramref name="atLeast"/>:
    /// at once, or once the view has caught up within <paramref name="wait"/>; null when it has not (not
    /// loaded, or behind), and Redis answers.
    /// </summary>
    public async Task<Availability?> AnswerAsync(string sku, string market, long atLeast, TimeSpan wait, CancellationToken cancellationToken)
        => TryAnswer(sku, market, atLeast)
            ?? (await CatchUpAsync(atLeast, wait, cancellationToken) ? TryAnswer(sku, market, atLeast) : null);

    private Availability? TryAnswer(string sku, string market, long atLeast)
    {
        var loaded = _loaded;
        // The revision is read before the SKU: the answer holds at least every change up to it.
        var revision = loaded?.Revision ?? -1;
        if (loaded is null || revision < atLeast)
        {
            return null;
        }
        var availability = new Availability { Sku = sku, Market = market, Revision = revision };
        if (!loaded.BySku.TryGetValue(sku, out var slots) || !loaded.ByMarket.TryGetValue(market, out var serving))
        {
            return availability;
        }
        foreach (var slot in slots)
        {
            if (serving.Contains(slot.WarehouseId))
            {
                Add(availability, slot.WarehouseId, slot.Atp, slot.SourceTime);
            }
        }
        return availability;
    }

    /// <summary>Adds one warehouse's figure to an answer (from memory or from Redis alike).</summary>
    public static void Add(Availability availability, string warehouseId, long atp, Timestamp sourceTime)
    {
        availability.AvailableToPromise += atp;
        availability.Warehouses.Add(new WarehouseAvailability { WarehouseId = warehouseId, AvailableToPromise = atp, SourceTime = sourceTime });
        if (availability.OldestSourceTime is null || sourceTime < availability.OldestSourceTime)
        {
            availability.OldestSourceTime = sourceTime;
        }
    }

    /// <summary>Waits until the view holds <paramref name="revision"/>, at most <paramref name="timeout"/>; false when it does not by then.</summary>
    private async Task<bool> CatchUpAsync(long revision, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (_loaded is { } loaded)
        {
            // Taken before the revision is checked, so an advance in between is not missed.
            var advanced = loaded.Advanced.Task;
            var left = deadline - DateTime.UtcNow;
            if (loaded.Revision >= revision || left <= TimeSpan.Zero)
            {
                return loaded.Revision >= revision;
            }
            try
            {
                await advanced.WaitAsync(left, cancellationToken);
            }
            catch (TimeoutException)
            {
                return false;
            }
        }
        return false;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.ReadViewMaxRecords == 0)
        {
            return;
        }
        await Task.Yield();
        var retry = Backoff.Follow(clock);
        var subscribed = false;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await retry.ExecuteAsync(async cancellationToken =>
                {
                    try
                    {
                        if (!subscribed)
                        {
                            // Redis may be away at start: subscribing is retried like any other failure, and
                            // once subscribed the multiplexer re-subscribes by itself after a reconnect.
                            await redis.GetSubscriber().SubscribeAsync(store.WarehousesChannel, (_, _) => _warehousesChanged = true);
                            subscribed = true;
                        }
                        // Returns when the view must list again (a new history, or the feed moved past it).
                        await FollowAsync(await LoadAsync(cancellationToken), cancellationToken);
                    }
                    catch (TooManyRecordsException ex)
                    {
                        _loaded = null;
                        log.LogWarning("The availability view is off: {Reason}; GetAvailability reads Redis, and the view tries again in {Minutes} minutes", ex.Message, TooLargeRetry.TotalMinutes);
                        await Task.Delay(TooLargeRetry, clock, cancellationToken);
                    }
                    catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                    {
                        // Redis away or a failed listing: reads go to Redis meanwhile, and the view lists again after a backoff.
                        _loaded = null;
                        log.LogWarning("The availability view stopped ({Reason}); GetAvailability reads Redis until it has listed the ledger again", ex.Message);
                        throw;
                    }
                }, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Lists every record at or after the feed's head, then takes the changes since that head.</summary>
    private async Task<Loaded> LoadAsync(CancellationToken stoppingToken)
    {
        _loaded = null;
        while (feed.Head < 0)
        {
            await feed.WaitBeyondAsync(-1, FeedPoll, stoppingToken);
        }
        var epoch = feed.Epoch;
        var from = feed.Head;
        var serving = await ServingAsync();
        var bySku = new ConcurrentDictionary<string, Slot[]>(StringComparer.Ordinal);
        var after = "";
        var records = 0;
        while (true)
        {
            var (_, page) = await store.ListAsync(byWarehouse: false, "", after, ListPage);
            foreach (var group in page.GroupBy(r => r.Sku, StringComparer.Ordinal))
            {
                bySku[group.Key] = Merge(bySku.GetValueOrDefault(group.Key) ?? [], group.Select(Slot.Of));
            }
            records += page.Count;
            if (records > options.Value.ReadViewMaxRecords)
            {
                throw new TooManyRecordsException($"the ledger holds more than Ledger:ReadViewMaxRecords ({options.Value.ReadViewMaxRecords}) records");
            }
            if (page.Count < ListPage)
            {
                break;
            }
            after = $"{page[^1].Sku}\t{page[^1].WarehouseId}";
        }
        var loaded = new Loaded(epoch, from, serving, bySku);
        metrics.ReadViewRecords.Set(records);
        if (!await TakeAsync(loaded))
        {
            throw new InvalidOperationException("the change feed moved on past the listing");
        }
        _loaded = loaded;
        log.LogInformation("The availability view holds {Records} records at revision {Revision}", records, loaded.Revision);
        return loaded;
    }

    private async Task FollowAsync(Loaded loaded, CancellationToken stoppingToken)
    {
        var refreshed = clock.GetUtcNow();
        while (true)
        {
            await feed.WaitBeyondAsync(loaded.Revision, FeedPoll, stoppingToken);
            if (_warehousesChanged || clock.GetUtcNow() - refreshed > WarehouseRefresh)
            {
                var announced = _warehousesChanged;
                _warehousesChanged = false;
                refreshed = clock.GetUtcNow();
                try
                {
                    loaded.Serving = await ServingAsync();
                }
                catch (Exception ex) when (RedisFaults.IsTransient(ex))
                {
                    // Redis away: the view keeps its markets and goes on answering (nothing can be written
                    // meanwhile); an announcement it could not act on is acted on next time round.
                    _warehousesChanged |= announced;
                }
            }
            if (feed.Epoch != loaded.Epoch)
            {
                return; // Redis went back: list the new history
            }
            if (!await TakeAsync(loaded))
            {
                log.LogWarning("The availability view fell behind the change feed's ring at revision {Revision}; listing again", loaded.Revision);
                return;
            }
        }
    }

    /// <summary>Applies every change the feed holds beyond the view; false when the feed no longer holds the next one.</summary>
    private async Task<bool> TakeAsync(Loaded loaded)
    {
        var changes = new List<StockChange>();
        if (!feed.TryRead(loaded.Revision + 1, int.MaxValue, changes))
        {
            return false;
        }
        if (changes.Count == 0)
        {
            return true;
        }
        if (changes.Any(c => c.Record is { } r && !loaded.Known.Contains(r.WarehouseId)))
        {
            // A warehouse registered by another replica: its markets before its figures.
            loaded.Serving = await ServingAsync();
        }
        foreach (var group in changes.Where(c => c.Record is not null).GroupBy(c => c.Record.Sku, StringComparer.Ordinal))
        {
            var held = loaded.BySku.GetValueOrDefault(group.Key) ?? [];
            var merged = Merge(held, group.Select(c => Slot.Of(c.Record)));
            loaded.BySku[group.Key] = merged;
            metrics.ReadViewRecords.Inc(merged.Length - held.Length);
        }
        loaded.Advance(changes[^1].Revision);
        return true;
    }

    /// <summary>The SKU's slots with <paramref name="updates"/> in, each only over an older one, in warehouse order (as Redis answers).</summary>
    private static Slot[] Merge(Slot[] current, IEnumerable<Slot> updates)
    {
        var merged = current.ToDictionary(s => s.WarehouseId, StringComparer.Ordinal);
        foreach (var slot in updates)
        {
            if (!merged.TryGetValue(slot.WarehouseId, out var held) || held.Revision < slot.Revision)
            {
                merged[slot.WarehouseId] = slot;
            }
        }
        return [.. merged.Values.OrderBy(s => s.WarehouseId, StringComparer.Ordinal)];
    }

    private async Task<WarehouseMarkets> ServingAsync()
    {
        var warehouses = await store.ListWarehousesAsync();
        var byMarket = warehouses.SelectMany(w => w.Markets.Select(m => (Market: m, w.WarehouseId)))
            .GroupBy(p => p.Market, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.Select(p => p.WarehouseId).ToFrozenSet(StringComparer.Ordinal), StringComparer.Ordinal);
        return new WarehouseMarkets(byMarket, warehouses.Select(w => w.WarehouseId).ToFrozenSet(StringComparer.Ordinal));
    }

    private sealed class TooManyRecordsException(string message) : Exception(message);

    /// <summary>One warehouse's figure for a SKU, as GetAvailability answers it.</summary>
    private sealed record Slot(string WarehouseId, long Atp, Timestamp SourceTime, long Revision)
    {
        public static Slot Of(StockRecord record) => new(record.WarehouseId, record.AvailableToPromise, record.SourceTime, record.ModRevision);
    }

    /// <summary>Warehouses by the markets they serve, and every known warehouse (one serving no market yet included).</summary>
    private sealed record WarehouseMarkets(FrozenDictionary<string, FrozenSet<string>> ByMarket, FrozenSet<string> All);

    /// <summary>A listed view and how far it has followed the feed.</summary>
    private sealed class Loaded(int epoch, long revision, WarehouseMarkets serving, ConcurrentDictionary<string, Slot[]> bySku)
    {
        private long _revision = revision;
        private volatile WarehouseMarkets _serving = serving;
        private TaskCompletionSource _advanced = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Epoch { get; } = epoch;

        public ConcurrentDictionary<string, Slot[]> BySku { get; } = bySku;

        public long Revision => Volatile.Read(ref _revision);

        public WarehouseMarkets Serving { set => _serving = value; }

        public FrozenDictionary<string, FrozenSet<string>> ByMarket => _serving.ByMarket;

        public FrozenSet<string> Known => _serving.All;

        /// <summary>Completes at the next advance.</summary>
        public TaskCompletionSource Advanced => Volatile.Read(ref _advanced);

        public void Advance(long revision)
        {
            Volatile.Write(ref _revision, revision);
            Interlocked.Exchange(ref _advanced, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }
    }
}
