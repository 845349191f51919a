using Microsoft.Extensions.Options;
using Stockcast.Ledger.Store;
using Stockcast.Ledger.V1;
using Stockcast.ServiceDefaults.Resilience;
using StackExchange.Redis;

namespace Stockcast.Ledger.Watch;

/// <summary>
/// Tails the change log into a fixed-size ring of recent changes that every watcher of this
/// process reads at its own pace. Woken by the scripts' pub/sub notice, and polls once a second
/// in case a notice was lost. Memory is bounded by the ring; a watcher that falls behind it reads
/// the log from Redis instead, so a slow watcher never holds back the feed or other watchers.
/// Runs on the stream loop ("changes"): while Redis is away it backs off, and resumes where it was.
/// Redis may come back with fewer writes than were served (a failover, a restart without the latest
/// AOF): every read starts at the last change served, so a log that lost it or holds another change
/// at its revision is seen at once; the feed then starts a new history in Redis (for watchers that
/// resume later) and a new <see cref="Epoch"/>, which ends every open Watch with REVISION_REGRESSED
/// (its client lists again).
/// </summary>
public sealed class ChangeFeed(LedgerMetrics metrics, StockStore store, IConnectionMultiplexer redis, IOptions<LedgerOptions> options, Streams streams, ILogger<ChangeFeed> log) : BackgroundService
{
    private const int ReadEntries = 64;
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    private readonly StreamLoop _loop = streams.Loop("changes");
    private readonly StockChange[] _ring = new StockChange[options.Value.WatchBufferSize];
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _wake = new(0, 1);
    private TaskCompletionSource _advanced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _head = -1;   // last revision in the ring; -1 until the first read of the log
    private long _oldest = 1;  // first revision in the ring
    private int _epoch;

    /// <summary>The latest revision known to this process, or -1 before the feed has started.</summary>
    public long Head => Volatile.Read(ref _head);

    /// <summary>Whether the feed reads the log now: false from its first failed read until one succeeds.</summary>
    public bool IsLive => _loop.Health.IsUp;

    /// <summary>Counts the regressions this feed has found: revisions a Watch got in an earlier epoch may now name other changes.</summary>
    public int Epoch => Volatile.Read(ref _epoch);

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var subscribed = false;
        return _loop.RunAsync(async cancellationToken =>
        {
            if (!subscribed)
            {
                // Once subscribed, the multiplexer re-subscribes by itself after a reconnect; until
                // then, a failed subscription is retried like any other failure.
                await redis.GetSubscriber().SubscribeAsync(store.ChangesChannel, (_, _) => Wake());
                subscribed = true;
            }
            while (true)
            {
                await CatchUpAsync();
                _loop.Heard();
                await _wake.WaitAsync(PollInterval, cancellationToken);
            }
        }, stoppingToken);
    }

    private void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already signalled: one wake-up is enough.
            }
        }
    }

    private async Task CatchUpAsync()
    {
        if (Head < 0)
        {
            // Start at the present: older revisions are read from Redis by the watchers that ask.
            var current = await store.CurrentRevisionAsync();
            lock (_gate)
            {
                _head = current;
                _oldest = current + 1;
            }
            metrics.Revision.Set(current);
            Signal();
        }
        while (true)
        {
            var changes = await ReadBeyondHeadAsync();
            if (changes is null)
            {
                await RegressedAsync();
                continue;
            }
            if (changes.Count == 0)
            {
                return;
            }
            if (changes[0].Revision != Head + 1)
            {
                // The log was trimmed past us (a long Redis outage): restart the ring there.
                log.LogWarning("Change feed skipped from revision {Head} to {Next}: the log was compacted meanwhile", Head, changes[0].Revision);
                lock (_gate)
                {
                    _oldest = changes[0].Revision;
                    _head = changes[0].Revision - 1;
                }
            }
            foreach (var change in changes.Where(StockStore.IsMalformed))
            {
                metrics.MalformedChanges.Inc();
                log.LogError("Change log entry {EntryId}: the line for revision {Revision} does not parse; skipped for every Watch", change.Reference, change.Revision);
            }
            lock (_gate)
            {
                foreach (var change in changes)
                {
                    _ring[change.Revision & (_ring.Length - 1)] = change;
                }
                _head = changes[^1].Revision;
                _oldest = Math.Max(_oldest, _head - _ring.Length + 1);
            }
            metrics.Revision.Set(changes[^1].Revision);
            Signal();
        }
    }

    /// <summary>
    /// The changes after the head, read together with the head's own change when the ring holds it;
    /// null when the log went back: it lost that change, or holds another one at its revision.
    /// </summary>
    private async Task<List<StockChange>?> ReadBeyondHeadAsync()
    {
        var head = Head;
        StockChange? served;
        lock (_gate)
        {
            served = head >= _oldest ? _ring[head & (_ring.Length - 1)] : null;
        }
        if (served is null)
        {
            var fresh = await store.ReadChangesAsync(head + 1, ReadEntries);
            // Nothing served yet by this process: only the revision counter can tell.
            return fresh.Count == 0 && await store.CurrentRevisionAsync() < head ? null : fresh;
        }
        var changes = await store.ReadChangesAsync(head, ReadEntries);
        if (changes.Count > 0 && changes[0].Revision > head)
        {
            return changes; // compacted past the head, handled by the caller
        }
        if (changes.Count == 0 || !served.Equals(changes[0]))
        {
            return null;
        }
        changes.RemoveAt(0);
        return changes;
    }

    private async Task RegressedAsync()
    {
        var head = Head;
        var current = await store.CurrentRevisionAsync();
        await store.NewHistoryAsync();
        // What this process answered before may be ahead of the new history: reads no longer wait for it.
        store.ResetFloor();
        metrics.RevisionRegressions.WithLabels("change_feed").Inc();
        log.LogError("The change log went back: this replica served revision {Head}, the store now holds revision {Current} and not the same changes. Redis lost its latest writes (a failover, or a restart without them); every Watch is ended with REVISION_REGRESSED so its client lists again", head, current);
        lock (_gate)
        {
            _head = current;
            _oldest = current + 1;
            _epoch++;
        }
        metrics.Revision.Set(current);
        Signal();
    }

    private void Signal()
    {
        var previous = Interlocked.Exchange(ref _advanced, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        previous.TrySetResult();
    }

    /// <summary>Completes when the head moves past <paramref name="revision"/>, or at the timeout.</summary>
    public async Task WaitBeyondAsync(long revision, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var advanced = Volatile.Read(ref _advanced).Task;
        if (Head > revision)
        {
            return;
        }
        try
        {
            await advanced.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            // The caller sends a progress notification.
        }
    }

    /// <summary>
    /// Copies up to <paramref name="max"/> changes starting at <paramref name="from"/> into
    /// <paramref name="into"/>. False when <paramref name="from"/> is older than the ring holds.
    /// </summary>
    public bool TryRead(long from, int max, List<StockChange> into)
    {
        lock (_gate)
        {
            if (_head < 0)
            {
                return true; // not started yet: nothing to read, wait
            }
            if (from < _oldest)
            {
                return false;
            }
            for (var rev = from; rev <= _head && into.Count < max; rev++)
            {
                into.Add(_ring[rev & (_ring.Length - 1)]);
            }
            return true;
        }
    }
}
