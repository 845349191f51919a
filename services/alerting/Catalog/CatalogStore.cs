using Google.Protobuf;
using Microsoft.Extensions.Options;
using Stockcast.Alerting.V1;
using Stockcast.ServiceDefaults.Redis;
using StackExchange.Redis;

namespace Stockcast.Alerting.Catalog;

/// <summary>
/// Rules, products and live streams: kept in Redis (the source every replica shares), read from
/// memory. A change is written to Redis, then announced on pub/sub so every replica reloads at once;
/// a reload every few seconds covers a missed announcement. An entry that does not parse is skipped,
/// counted and logged (<see cref="MalformedEntries"/>): the rest still loads.
/// </summary>
public sealed class CatalogStore(IConnectionMultiplexer redis, MalformedEntries malformed, IOptions<RedisOptions> redisOptions, ILogger<CatalogStore> log)
{
    private readonly string _prefix = redisOptions.Value.KeyPrefix + "al:";
    private readonly RedisChannel _changed = RedisChannel.Literal(redisOptions.Value.KeyPrefix + "al:catalog");
    private readonly Lock _gate = new();
    private bool _subscribed;
    // Reloads overlap (a write's own, an announcement's, the periodic one): only one that started later
    // than the one shown may replace it, so a slow reload never brings back what a write just changed.
    private long _reloadsStarted;
    private long _shownReload;
    private volatile Snapshot _current = new(new Dictionary<string, Rule>(), new Dictionary<string, Product>(), new Dictionary<string, LiveStream>());

    private IDatabase Db => redis.GetDatabase();
    private RedisKey RulesKey => _prefix + "rules";
    private RedisKey ProductsKey => _prefix + "products";
    private RedisKey StreamsKey => _prefix + "streams";
    private RedisKey StartStockKey(string streamId) => _prefix + "start:" + streamId;

    public IReadOnlyDictionary<string, Rule> Rules => _current.Rules;
    public IReadOnlyDictionary<string, Product> Products => _current.Products;
    public IReadOnlyDictionary<string, LiveStream> Streams => _current.Streams;

    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once rules, products and streams have been read: without them every open alert would look obsolete.</summary>
    public Task Loaded => _loaded.Task;

    /// <summary>Raised after a change announced by any replica has been loaded.</summary>
    public event Action? Changed;

    /// <summary>Subscribes to announcements (once, however often a failed start is retried), then loads.</summary>
    public async Task StartAsync()
    {
        if (!_subscribed)
        {
            await redis.GetSubscriber().SubscribeAsync(_changed, (_, _) => _ = ReloadSafelyAsync(announce: true));
            _subscribed = true;
        }
        await ReloadAsync();
    }

    public async Task ReloadAsync()
    {
        var reload = Interlocked.Increment(ref _reloadsStarted);
        var rules = await Db.HashGetAllAsync(RulesKey);
        var products = await Db.HashGetAllAsync(ProductsKey);
        var streams = await Db.HashGetAllAsync(StreamsKey);
        var streamMap = new Dictionary<string, LiveStream>(StringComparer.Ordinal);
        foreach (var stream in malformed.Readable("live-streams", streams, LiveStream.Parser).Values)
        {
            foreach (var start in await Db.HashGetAllAsync(StartStockKey(stream.Id)))
            {
                if (malformed.Number("live-stream-start-stock", $"{stream.Id}/{start.Name}", start.Value) is { } atp)
                {
                    stream.StartStock[(string)start.Name!] = atp;
                }
            }
            streamMap[stream.Id] = stream;
        }
        var loaded = new Snapshot(
            malformed.Readable("rules", rules, Rule.Parser),
            malformed.Readable("products", products, Product.Parser),
            streamMap);
        lock (_gate)
        {
            if (reload > _shownReload)
            {
                (_current, _shownReload) = (loaded, reload);
            }
        }
        _loaded.TrySetResult();
    }

    public async Task SetRuleAsync(Rule rule)
    {
        await Db.HashSetAsync(RulesKey, rule.Id, rule.ToByteArray());
        await ChangedAsync();
    }

    public async Task<bool> DeleteRuleAsync(string id)
    {
        var deleted = await Db.HashDeleteAsync(RulesKey, id);
        await ChangedAsync();
        return deleted;
    }

    public async Task UpsertProductsAsync(IEnumerable<Product> products)
    {
        await Db.HashSetAsync(ProductsKey, [.. products.Select(p => new HashEntry(p.Sku, p.ToByteArray()))]);
        await ChangedAsync();
    }

    public async Task UpsertStreamAsync(LiveStream stream)
    {
        var stored = stream.Clone();
        stored.StartStock.Clear();
        await Db.HashSetAsync(StreamsKey, stored.Id, stored.ToByteArray());
        await ChangedAsync();
    }

    public async Task<bool> DeleteStreamAsync(string id)
    {
        var transaction = Db.CreateTransaction();
        var deleted = transaction.HashDeleteAsync(StreamsKey, id);
        _ = transaction.KeyDeleteAsync(StartStockKey(id));
        await transaction.ExecuteAsync();
        await ChangedAsync();
        return await deleted;
    }

    /// <summary>
    /// Records a SKU's ATP when its stream started (the first record stands) and returns the stream
    /// with it. No reload and no announcement: a room going live records every SKU, and reloading the
    /// catalogue each time held up the engine (~10 ms a SKU); other replicas see it on their next
    /// periodic reload. The cached streams are replaced, never written to: gRPC replies serialise them
    /// on other threads.
    /// </summary>
    public async Task<LiveStream> RecordStartStockAsync(LiveStream stream, string sku, long atp)
    {
        var key = StartStockKey(stream.Id);
        var recorded = await Db.HashSetAsync(key, sku, atp, When.NotExists) ? atp : (long)await Db.HashGetAsync(key, sku);
        lock (_gate)
        {
            var streams = new Dictionary<string, LiveStream>(_current.Streams, StringComparer.Ordinal);
            var updated = (streams.GetValueOrDefault(stream.Id) ?? stream).Clone();
            updated.StartStock[sku] = recorded;
            streams[stream.Id] = updated;
            _current = _current with { Streams = streams };
            return updated;
        }
    }

    private async Task ChangedAsync()
    {
        await ReloadAsync();
        await redis.GetSubscriber().PublishAsync(_changed, "");
    }

    internal async Task ReloadSafelyAsync(bool announce = false)
    {
        try
        {
            await ReloadAsync();
            if (announce)
            {
                Changed?.Invoke();
            }
        }
        catch (Exception ex)
        {
            log.LogWarning("Reloading rules, products and streams failed: {Error}", ex.Message);
        }
    }

    private sealed record Snapshot(
        IReadOnlyDictionary<string, Rule> Rules,
        IReadOnlyDictionary<string, Product> Products,
        IReadOnlyDictionary<string, LiveStream> Streams);
}
