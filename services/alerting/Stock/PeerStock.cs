using Microsoft.Extensions.Options;
using Stockcast.LedgerClient;

namespace Stockcast.Alerting.Stock;

/// <summary>A peer region's warehouse holding a SKU: a transfer source across regions.</summary>
public sealed record PeerDonor(string Region, string WarehouseId, long Atp)
{
    /// <summary>How an alert names it: "de-fra-ck1 (eu region)".</summary>
    public override string ToString() => $"{WarehouseId} ({Region} region)";
}

/// <summary>
/// Peer regions' stock: one ledger mirror per peer (Alerting:PeerLedgers, named by its region), kept
/// apart from the local view so a peer's stock never changes this region's ATP, LOW_STOCK or anything
/// viewers see: it is only a transfer source and part of the global total. A peer not heard from
/// within Alerting:PeerStaleSeconds counts for nothing until it answers again; nothing local waits
/// for a peer.
/// </summary>
public sealed class PeerStock(LedgerMirrors ledgers, IOptions<AlertingOptions> options, TimeProvider clock) : BackgroundService
{
    private readonly IReadOnlyList<StockMirror> _peers = [.. options.Value.PeerLedgers.Select(p => ledgers.Mirror(p.Region))];

    /// <summary>Warehouses of peers heard from recently that hold the SKU, the most first.</summary>
    public IReadOnlyList<PeerDonor> Donors(string sku)
        => [.. Fresh().SelectMany(peer => peer.Records(sku).Where(r => r.AvailableToPromise > 0).Select(r => new PeerDonor(peer.Name, r.WarehouseId, r.AvailableToPromise)))
            .OrderByDescending(d => d.Atp).ThenBy(d => d.Region, StringComparer.Ordinal).ThenBy(d => d.WarehouseId, StringComparer.Ordinal)];

    /// <summary>The SKU's ATP over every warehouse of the peers heard from recently.</summary>
    public long TotalAtp(string sku) => Fresh().Sum(peer => peer.TotalAtp(sku));

    // Peer changes mark nothing for evaluation: the engine's tick picks them up, so a busy peer
    // never crowds out this region's own changes.
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
        => Task.WhenAll(_peers.Select(peer => ledgers.FollowAsync(new LedgerFollow(peer.Name), _ => { }, stoppingToken)));

    private IEnumerable<StockMirror> Fresh()
    {
        var oldest = clock.GetUtcNow() - TimeSpan.FromSeconds(options.Value.PeerStaleSeconds);
        return _peers.Where(peer => peer.HeardAt >= oldest);
    }
}
