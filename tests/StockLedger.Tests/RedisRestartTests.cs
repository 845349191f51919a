using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Stockcast.Ledger.V1;
using Stockcast.Testing;

namespace Stockcast.Ledger.Tests;

/// <summary>
/// The ledger while its Redis is gone and when it comes back, possibly without its latest writes (a
/// crash after the last snapshot to disk, a failover to a replica behind): the revision counter goes
/// back, and the ledger must say so instead of letting watchers skip the revisions written again.
/// </summary>
[Trait(Lane.Name, Lane.Slow)]
public sealed class RedisRestartTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task OpenWatchesAndResumesFromTheOldHistoryAreEndedWithRevisionRegressedWhenRedisLosesItsLatestWrites()
    {
        using var host = await new LedgerHost(redis.Configuration).ReadyAsync();
        var client = host.Client();
        var kept = (await client.ApplyAsync(Stock.Snapshot("us-east", "REG-KEPT", 5, version: 1))).Revision;
        await redis.Server.SaveAsync();

        using var cts = new CancellationTokenSource(Eventually.DefaultDeadline);
        using var watch = client.Watch(new WatchRequest(), cancellationToken: cts.Token);
        Assert.True(await watch.ResponseStream.MoveNext(cts.Token));
        var history = watch.ResponseStream.Current.HistoryId;
        var lost = (await client.ApplyAsync(Stock.Snapshot("us-east", "REG-LOST", 7, version: 1))).Revision;
        var served = new List<long>();
        while (!served.Contains(lost) && await watch.ResponseStream.MoveNext(cts.Token))
        {
            served.AddRange(watch.ResponseStream.Current.Changes.Select(c => c.Revision));
        }

        redis.Server.Stop();
        redis.Server.Start();
        var ended = await Stock.FailsAsync(async () =>
        {
            while (await watch.ResponseStream.MoveNext(cts.Token))
            {
                Assert.Empty(watch.ResponseStream.Current.Changes); // progress only: nothing from the new history
            }
        });

        Assert.Equal(StatusCode.FailedPrecondition, ended.StatusCode);
        Assert.StartsWith("regressed", ended.Status.Detail);
        Assert.Equal(kept.ToString(System.Globalization.CultureInfo.InvariantCulture), ended.Trailers.GetValue(Grpc.Errors.CurrentRevisionTrailer));
        var regressions = host.Services.GetRequiredService<LedgerMetrics>().RevisionRegressions;
        Assert.Equal(1, regressions.WithLabels("change_feed").Value);

        // The next write takes the lost revision with another change; a watcher resuming from the
        // old history is told, though its revision exists again.
        var rewritten = (await client.ApplyAsync(Stock.Snapshot("us-east", "REG-NEW", 3, version: 1))).Revision;
        Assert.Equal(lost, rewritten);
        using var resumed = client.Watch(new WatchRequest { StartRevision = lost, HistoryId = history }, cancellationToken: cts.Token);
        var refused = await Stock.FailsAsync(() => resumed.ResponseStream.MoveNext(cts.Token));
        Assert.Equal((StatusCode.FailedPrecondition, 1.0), (refused.StatusCode, regressions.WithLabels("watch_request").Value));

        // Listing again gives the new history, which a watch from the list's revision follows.
        var listed = await client.ListStockAsync(new ListStockRequest());
        Assert.Equal(["REG-KEPT", "REG-NEW"], listed.Records.Select(r => r.Sku).Order());
        using var again = client.Watch(new WatchRequest { StartRevision = listed.Revision + 1 }, cancellationToken: cts.Token);
        Assert.True(await again.ResponseStream.MoveNext(cts.Token));
        Assert.NotEqual(history, again.ResponseStream.Current.HistoryId);
    }

    [Fact]
    public async Task AWatchGetsNoProgressNotificationsWhileItsReplicaCannotReadTheChangeLogAndGetsThemAgainAfter()
    {
        using var host = await new LedgerHost(redis.Configuration).ReadyAsync();
        var feed = host.Services.GetRequiredService<Watch.ChangeFeed>();
        using var cts = new CancellationTokenSource(Eventually.DefaultDeadline);
        using var watch = host.Client().Watch(new WatchRequest { ProgressIntervalSeconds = 1 }, cancellationToken: cts.Token);
        Assert.True(await watch.ResponseStream.MoveNext(cts.Token));

        var arrivals = new List<long>();
        var reading = Task.Run(async () =>
        {
            while (await watch.ResponseStream.MoveNext(cts.Token))
            {
                lock (arrivals)
                {
                    arrivals.Add(Environment.TickCount64);
                }
            }
        });

        redis.Server.Stop();
        await Eventually.TrueAsync(() => !feed.IsLive, "the change feed notices Redis is gone");
        var noticed = Environment.TickCount64;
        // Three intervals in which a live replica sends three notifications (one may have been in flight).
        await Task.Delay(TimeSpan.FromSeconds(3), cts.Token);
        int whileDown;
        lock (arrivals)
        {
            whileDown = arrivals.Count(t => t > noticed);
        }
        redis.Server.Start();
        var before = arrivals.Count;

        Assert.InRange(whileDown, 0, 1);
        await Eventually.TrueAsync(() => { lock (arrivals) { return arrivals.Count > before; } }, "progress again once Redis is back");
        Assert.False(reading.IsCompleted);
    }

    [Fact]
    public async Task AReplicaStartedAfterTheLossRefusesAResumeFromBeyondTheLog()
    {
        using var host = await new LedgerHost(redis.Configuration).ReadyAsync();
        var client = host.Client();
        var current = (await client.ApplyAsync(Stock.Snapshot("us-east", "REG-AHEAD", 1, version: 1))).Revision;

        using var cts = new CancellationTokenSource(Eventually.DefaultDeadline);
        using var watch = client.Watch(new WatchRequest { StartRevision = current + 5 }, cancellationToken: cts.Token);
        var refused = await Stock.FailsAsync(() => watch.ResponseStream.MoveNext(cts.Token));

        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.StartsWith("regressed", refused.Status.Detail);
    }
}
