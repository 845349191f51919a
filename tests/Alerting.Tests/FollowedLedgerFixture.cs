using Stockcast.Testing;

namespace Stockcast.Alerting.Tests;

/// <summary>
/// A redis-server and a ledger process shared by a class whose tests never change the ledger: the
/// alerting service needs one to follow, and starting a ledger per test would take longer than the tests.
/// </summary>
public sealed class FollowedLedgerFixture : IAsyncLifetime
{
    private LedgerProcess? _ledger;

    public RedisServerFixture Redis { get; } = new();

    public LedgerProcess Ledger => _ledger ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() => _ledger = await AlertingHost.StartLedgerAsync(Redis.Configuration);

    public Task DisposeAsync()
    {
        _ledger?.Dispose();
        Redis.Dispose();
        return Task.CompletedTask;
    }
}
