using Xunit;

namespace Stockcast.Testing;

/// <summary>
/// A test class on one redis-server whose every test gets a ledger process of its own (tests stop,
/// restart and write it), started the way the service's tests want it.
/// </summary>
public abstract class LedgerPerTest(RedisServerFixture redis, Func<string, Task<LedgerProcess>> startLedger) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    protected RedisServerFixture Redis => redis;

    protected LedgerProcess Ledger { get; private set; } = null!;

    public virtual async Task InitializeAsync() => Ledger = await startLedger(redis.Configuration);

    public virtual Task DisposeAsync()
    {
        Ledger.Dispose();
        return Task.CompletedTask;
    }
}
