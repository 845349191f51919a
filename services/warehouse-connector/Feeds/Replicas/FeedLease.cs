using Stockcast.Ledger.V1;
using Stockcast.ServiceDefaults.Redis;
using StackExchange.Redis;

namespace Stockcast.Connector.Feeds.Replicas;

/// <summary>
/// One polled feed's Redis lease: the replica holding it is the only one that reads the feed. Taken
/// with SET NX PX and renewed at a third of its life; each new holder takes a fencing term, higher
/// than any before, which its ledger batches carry, so a holder paused past its lease cannot apply
/// after its successor did (the ledger refuses the older term: FENCED). Redis time bounds the lease.
/// A replica asked to read a feed it does not hold (TriggerFullSync) asks for a handover: the holder
/// lets the lease go at its next renewal once its read in progress is done, and the asker takes it.
/// </summary>
public sealed class FeedLease(IConnectionMultiplexer redis, string keyPrefix, string warehouseId, string holder, TimeSpan life, ILogger log)
{
    // The term never goes back, even if the term key is lost (a Redis flush): it is at least Redis's clock in ms.
    private const string AcquireScript = """
        local want = redis.call('GET', KEYS[3])
        if want and want ~= ARGV[1] then return 0 end
        if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local term = math.max(tonumber(redis.call('GET', KEYS[2]) or '0') + 1, now)
        redis.call('SET', KEYS[2], string.format('%d', term))
        if want then redis.call('DEL', KEYS[3]) end
        return term
        """;

    // 1 renewed, 0 lost, 2 handed over (another replica asked, and no read is in progress here).
    private const string RenewScript = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        local want = redis.call('GET', KEYS[2])
        if want and want ~= ARGV[1] and ARGV[3] == '0' then
          redis.call('DEL', KEYS[1])
          return 2
        end
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
        return 1
        """;

    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;

    private readonly RedisKey _lease = keyPrefix + "cn:lease:" + warehouseId;
    private readonly RedisKey _term = keyPrefix + "cn:term:" + warehouseId;
    private readonly RedisKey _want = keyPrefix + "cn:want:" + warehouseId;
    private readonly Lock _gate = new();
    private TaskCompletionSource<LeaseTerm> _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private LeaseTerm? _current;
    private int _reading;

    public string WarehouseId => warehouseId;

    /// <summary>The lease's life; it is renewed every third of it.</summary>
    public TimeSpan Life => life;

    /// <summary>The fence name the ledger keeps this feed's highest term under.</summary>
    public string FenceName => "feed:" + warehouseId;

    /// <summary>This replica's term, or null when another replica (or none) holds the feed.</summary>
    public LeaseTerm? Current => Volatile.Read(ref _current);

    /// <summary>Completes when this replica holds the lease.</summary>
    public Task<LeaseTerm> HeldAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return _held.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Marks a read in progress until disposed: the lease is not handed over in the middle of it.</summary>
    public IDisposable Reading()
    {
        Interlocked.Increment(ref _reading);
        return new ReadDone(this);
    }

    /// <summary>One round: renews the lease if held, else takes it if free (and no other replica asked first).</summary>
    public async Task KeepAsync()
    {
        try
        {
            var db = redis.GetDatabase();
            if (Current is not null)
            {
                var renewed = (long)await db.ScriptEvaluateAsync(RenewScript, [_lease, _want], [holder, (long)life.TotalMilliseconds, Volatile.Read(ref _reading) > 0 ? 1 : 0]);
                if (renewed == 1)
                {
                    return;
                }
                log.LogInformation(renewed == 2 ? "Handed the feed {Warehouse} over to the replica that asked" : "Lost the lease of feed {Warehouse}", warehouseId);
                End();
            }
            await TryAcquireAsync(db);
        }
        catch (Exception ex) when (RedisFaults.IsRedis(ex))
        {
            // Cannot tell whether the lease still holds: stop reading the feed until it is known.
            // Any Redis fault ends the term, never the round: the next one tries again.
            log.LogWarning("Lease of feed {Warehouse} could not be checked: {Error}", warehouseId, ex.Message);
            End();
        }
    }

    /// <summary>
    /// The lease for a read asked for on this replica: held already, or handed over by its holder at
    /// its next renewal after the read it has in progress (asked again until then), or free.
    /// </summary>
    public async Task<LeaseTerm> TakeAsync(CancellationToken cancellationToken)
    {
        var db = redis.GetDatabase();
        var wait = life / 6;
        while (Current is null)
        {
            await db.StringSetAsync(_want, holder, life * 2);
            await TryAcquireAsync(db);
            if (Current is null)
            {
                await Task.Delay(wait, cancellationToken);
            }
        }
        return Current;
    }

    /// <summary>Lets the lease go at once (shutdown): another replica takes it at its next round, not after it runs out.</summary>
    public async Task ReleaseAsync()
    {
        if (Current is null)
        {
            return;
        }
        End();
        await redis.GetDatabase().ScriptEvaluateAsync(ReleaseScript, [_lease], [holder]);
    }

    private async Task TryAcquireAsync(IDatabase db)
    {
        var term = (long)await db.ScriptEvaluateAsync(AcquireScript, [_lease, _term, _want], [holder, (long)life.TotalMilliseconds]);
        if (term == 0)
        {
            return;
        }
        var held = new LeaseTerm(new WriterFence { Name = FenceName, Term = term });
        lock (_gate)
        {
            Volatile.Write(ref _current, held);
            _held.TrySetResult(held);
        }
        log.LogInformation("Holding the lease of feed {Warehouse} (term {Term})", warehouseId, term);
    }

    private void End()
    {
        lock (_gate)
        {
            if (Volatile.Read(ref _current) is { } term)
            {
                term.End();
                Volatile.Write(ref _current, null);
                _held = new TaskCompletionSource<LeaseTerm>(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    private sealed class ReadDone(FeedLease lease) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref lease._reading);
            }
        }
    }
}

/// <summary>One holder's term of a feed: the fence its ledger batches carry, and a token cancelled when the term ends.</summary>
public sealed class LeaseTerm(WriterFence fence)
{
    private readonly CancellationTokenSource _ended = new();

    public WriterFence Fence => fence;

    public CancellationToken Ended => _ended.Token;

    internal void End() => _ended.Cancel();
}
