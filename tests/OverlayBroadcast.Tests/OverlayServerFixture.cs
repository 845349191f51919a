using Stockcast.Testing;

namespace Stockcast.Overlay.Tests;

/// <summary>
/// The overlay service on Kestrel with its real ledger process and redis-server, shared by a class of
/// page tests: starting a ledger and a host per test would take longer than the tests themselves.
/// Tests keep apart by room and SKU names; one that stops the ledger starts it again.
/// </summary>
public sealed class OverlayServerFixture : IAsyncLifetime
{
    private LedgerProcess? _ledger;
    private OverlayHost? _host;

    public RedisServerFixture Redis { get; } = new();

    public LedgerProcess Ledger => _ledger ?? throw new InvalidOperationException("not started");

    public OverlayHost Host => _host ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        _ledger = await OverlayHost.StartLedgerAsync(Redis.Configuration);
        // A heartbeat each second, so an open page notices a revoked token within a second or two.
        _host = OverlayHost.OnSockets(Redis.Configuration, _ledger, new Dictionary<string, string?> { ["Overlay:HeartbeatSeconds"] = "1" });
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
        _ledger?.Dispose();
        Redis.Dispose();
    }
}
