using Microsoft.Extensions.Options;
using Stockcast.ServiceDefaults.Redis;
using StackExchange.Redis;

namespace Stockcast.Alerting.Leadership;

/// <summary>
/// One replica at a time evaluates rules and delivers alerts: the holder of a Redis lease
/// (SET NX PX, renewed at a third of its life). Each new holder takes a fencing token (INCR), and
/// every alert write checks it in the same script, so a replica that lost the lease while paused
/// (GC, network) cannot write after its successor started. Redis time, not the app's clock, bounds
/// the lease, so it runs on real time even when tests move the app's clock.
/// </summary>
public sealed class LeaderLease(IConnectionMultiplexer redis, IOptions<RedisOptions> redisOptions, IOptions<AlertingOptions> options, ILogger<LeaderLease> log)
    : BackgroundService
{
    private const string RenewScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          return redis.call('PEXPIRE', KEYS[1], ARGV[2])
        end
        return 0
        """;
    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          return redis.call('DEL', KEYS[1])
        end
        return 0
        """;

    private readonly RedisKey _lease = redisOptions.Value.KeyPrefix + "al:leader";
    private readonly string _holder = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
    private readonly Lock _gate = new();
    private TaskCompletionSource<LeaderTerm> _elected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private LeaderTerm? _current;

    /// <summary>The fencing token's key: every fenced write compares it with the writer's token.</summary>
    public RedisKey FenceKey { get; } = redisOptions.Value.KeyPrefix + "al:fence";

    /// <summary>The current term, or null when this replica is not the leader.</summary>
    public LeaderTerm? Current => Volatile.Read(ref _current);

    /// <summary>Completes when this replica holds the lease.</summary>
    public Task<LeaderTerm> ElectedAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return _elected.Task.WaitAsync(cancellationToken);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var lease = TimeSpan.FromSeconds(options.Value.LeaseSeconds);
        using var timer = new PeriodicTimer(lease / 3);
        do
        {
            try
            {
                await TryHoldAsync(lease);
            }
            catch (Exception ex) when (RedisFaults.IsRedis(ex))
            {
                // Cannot tell whether the lease still holds: stop acting as leader until it is known.
                // Any Redis fault (a timeout, LOADING, READONLY, BUSY, even an unexpected error reply)
                // ends the term, never the lease loop: the next round tries again.
                log.LogWarning("Leader lease check failed: {Error}", ex.Message);
                StepDown();
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        var term = Current;
        StepDown();
        await base.StopAsync(cancellationToken);
        if (term is not null)
        {
            // Hand over at once rather than after the lease runs out.
            try
            {
                await redis.GetDatabase().ScriptEvaluateAsync(ReleaseScript, [_lease], [_holder]);
            }
            catch (Exception ex) when (RedisFaults.IsRedis(ex) || ex is ObjectDisposedException)
            {
                // It expires by itself. (Disposed: the host is being torn down around this stop.)
            }
        }
    }

    private async Task TryHoldAsync(TimeSpan lease)
    {
        var db = redis.GetDatabase();
        if (Current is not null)
        {
            if ((long)await db.ScriptEvaluateAsync(RenewScript, [_lease], [_holder, (long)lease.TotalMilliseconds]) == 1)
            {
                return;
            }
            log.LogWarning("Lost the leader lease");
            StepDown();
        }
        if (await db.StringSetAsync(_lease, _holder, lease, When.NotExists))
        {
            var token = (long)await db.StringIncrementAsync(FenceKey);
            var term = new LeaderTerm(token);
            lock (_gate)
            {
                Volatile.Write(ref _current, term);
                _elected.TrySetResult(term);
            }
            log.LogInformation("Elected leader (fencing token {Token})", token);
        }
    }

    private void StepDown()
    {
        lock (_gate)
        {
            if (Volatile.Read(ref _current) is { } term)
            {
                term.End();
                Volatile.Write(ref _current, null);
                _elected = new TaskCompletionSource<LeaderTerm>(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}

/// <summary>One term as leader: its fencing token, and a token cancelled when the term ends.</summary>
public sealed class LeaderTerm(long token)
{
    private readonly CancellationTokenSource _ended = new();

    public long Token => token;

    public CancellationToken Ended => _ended.Token;

    internal void End() => _ended.Cancel();
}
