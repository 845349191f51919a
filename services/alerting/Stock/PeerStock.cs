using Microsoft.Extensions.Options;

namespace Stockcast.Alerting.Stock;

/// <summary>A peer region's warehouse holding a SKU: a transfer source across regions.</summary>
public sealed record PeerDonor(string Region, string WarehouseId, long Atp)
{
    /// <summary>How an alert names it: "de-fra-ck1 (eu region)".</summary>
    public override string ToString() => $"{WarehouseId} ({Region} region)";
}

/// <summary>
/// Peer regions' stock: one <see cref="StockView"/> per peer (Alerting:PeerLedgers), each followed by
/// its own <see cref="LedgerFollower"/>, kept apart from the local view so a peer's stock never
/// changes this region's ATP, LOW_STOCK or anything viewers see: it is only a transfer source and
/// part of the global total. A peer not heard from within Alerting:PeerStaleSeconds counts for
/// nothing until it answers again; nothing local waits for a peer.
/// </summary>
public sealed class PeerStock(AlertingMetrics metrics, IOptions<AlertingOptions> options, TimeProvider clock, ILogger<PeerStock> log) : BackgroundService
{
    private readonly IReadOnlyList<(LedgerSource Source, StockView View)> _peers =
        [.. options.Value.PeerLedgers.Select(p => (new LedgerSource(p.Region, p.Address!, p.ApiKey), new StockView()))];

    /// <summary>Warehouses of peers heard from recently that hold the SKU, the most first.</summary>
    public IReadOnlyList<PeerDonor> Donors(string sku)
        => [.. Fresh().SelectMany(p => p.View.Records(sku).Where(r => r.AvailableToPromise > 0).Select(r => new PeerDonor(p.Source.Name, r.WarehouseId, r.AvailableToPromise)))
            .OrderByDescending(d => d.Atp).ThenBy(d => d.Region, StringComparer.Ordinal).ThenBy(d => d.WarehouseId, StringComparer.Ordinal)];

    /// <summary>The SKU's ATP over every warehouse of the peers heard from recently.</summary>
    public long TotalAtp(string sku) => Fresh().Sum(p => p.View.TotalAtp(sku));

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
        => Task.WhenAll(_peers.Select(peer =>
        {
            var up = metrics.PeerUp.WithLabels(peer.Source.Name);
            up.Set(0);
            // Peer changes mark nothing for evaluation: the engine's tick picks them up, so a busy
            // peer never crowds out this region's own changes.
            return new LedgerFollower(peer.Source, peer.View, clock, log).FollowAsync(_ => { }, reachable => up.Set(reachable ? 1 : 0), stoppingToken);
        }));

    private IEnumerable<(LedgerSource Source, StockView View)> Fresh()
    {
        var oldest = clock.GetUtcNow() - TimeSpan.FromSeconds(options.Value.PeerStaleSeconds);
        return _peers.Where(p => p.View.HeardAt >= oldest);
    }
}
