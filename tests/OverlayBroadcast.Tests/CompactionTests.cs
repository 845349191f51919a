using Stockcast.Testing;

namespace Stockcast.Overlay.Tests;

/// <summary>The ledger trimmed its change log past where the overlay would resume: it reads again and carries on.</summary>
[Trait(Lane.Name, Lane.Slow)]
public sealed class CompactionTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task AfterMissingMoreChangesThanTheLedgerKeepsTheOverlayReadsAgainAndShowsTheCurrentCount()
    {
        // Two ledger replicas on one Redis namespace, keeping only ~1000 changes: the overlay follows
        // the first; while it is down, the second takes 1200 changes.
        var shared = new Dictionary<string, string> { ["Redis:Namespace"] = "l" + Guid.NewGuid().ToString("N")[..12], ["Ledger:ChangeLogMaxLength"] = "1000" };
        using var followed = await OverlayHost.StartLedgerAsync(redis.Configuration, shared);
        using var other = await OverlayHost.StartLedgerAsync(redis.Configuration, shared);
        using var host = new OverlayHost(redis.Configuration, followed);
        await host.SetStockAsync("us-east", "TEE-CMP", 50, 1);
        var room = OverlayHost.LiveRoom("compacted", "US", "TEE-CMP");
        using var viewer = await host.OpenOverlayAsync(room);
        await viewer.ReadUntilAsync(u => u.Skus[0] is { AvailableToPromise: 50, Stale: false });

        followed.Stop();
        await viewer.ReadUntilAsync(u => u.Stale);
        await host.ApplyAsync([.. Enumerable.Range(1, 1200).Select(i => ("us-west", $"FILL-{i}", 1L, 1L)), ("us-east", "TEE-CMP", 37, 2)], via: other);
        await followed.StartAsync();
        var shown = (await viewer.ReadUntilAsync(u => u.Skus[0] is { AvailableToPromise: 37, Stale: false })).Last().Update;

        Assert.Equal(("37 in stock", false), (shown.Skus[0].Label, shown.Stale));
        // How many of the overlay's resumes met the trimmed log is its follow loop's business: only "some".
        Assert.Matches(@"stockcast_ledger_watch_compacted_total [1-9]", await followed.MetricsAsync());
    }
}
