using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Stockcast.Connector.Feeds.Replicas;
using Stockcast.ServiceDefaults.Redis;
using Stockcast.Testing;
using StackExchange.Redis;

namespace Stockcast.Connector.Tests;

/// <summary>Feed leases and the shared vendor quotas against a real Redis, several "replicas" in one test.</summary>
public sealed class FeedLeaseTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Life = TimeSpan.FromSeconds(2);
    private readonly RedisOptions _options = new() { Namespace = "lt" + Guid.NewGuid().ToString("N")[..8] };
    private ConnectionMultiplexer _redis = null!;

    public async Task InitializeAsync() => _redis = await ConnectionMultiplexer.ConnectAsync(redis.Configuration);

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    private FeedLease Replica(string name) => new(_redis, _options.KeyPrefix, "us-shipbob", name, Life, NullLogger.Instance);

    [Fact]
    public async Task OnlyOneReplicaHoldsAFeedAndEachNewHolderHasAHigherTerm()
    {
        var a = Replica("a");
        var b = Replica("b");

        await a.KeepAsync();
        await b.KeepAsync();
        await a.KeepAsync();

        var first = Assert.IsType<LeaseTerm>(a.Current);
        Assert.Null(b.Current);
        Assert.Equal("feed:us-shipbob", first.Fence.Name);

        await a.ReleaseAsync();
        await b.KeepAsync();

        Assert.True(first.Ended.IsCancellationRequested);
        Assert.True(b.Current!.Fence.Term > first.Fence.Term);
    }

    [Fact]
    public async Task WhenTheHolderStopsRenewingAnotherReplicaTakesTheFeedAfterTheLeaseRunsOut()
    {
        var dead = Replica("dead");
        var alive = Replica("alive");
        await dead.KeepAsync();
        var clock = Stopwatch.StartNew();

        await Eventually.TrueAsync(async () =>
        {
            await alive.KeepAsync();
            return alive.Current is not null;
        }, "the living replica took the feed", TimeSpan.FromSeconds(10));

        Assert.True(clock.Elapsed >= Life - TimeSpan.FromMilliseconds(100), $"taken after {clock.Elapsed}, before the lease ran out");
        await dead.KeepAsync();
        Assert.Null(dead.Current);
        Assert.True(alive.Current!.Fence.Term > 0);
    }

    [Fact]
    public async Task AReplicaAskedToReadGetsTheFeedHandedOverOnceTheHoldersReadIsDone()
    {
        var holder = Replica("holder");
        var asker = Replica("asker");
        await holder.KeepAsync();
        var held = holder.Current!;
        var reading = holder.Reading();

        var taking = asker.TakeAsync(CancellationToken.None);
        await holder.KeepAsync();
        Assert.Same(held, holder.Current);
        Assert.False(taking.IsCompleted);

        reading.Dispose();
        await holder.KeepAsync();
        var term = await taking.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Null(holder.Current);
        Assert.True(held.Ended.IsCancellationRequested);
        Assert.True(term.Fence.Term > held.Fence.Term);
        // The holder does not take it back while the asker holds it.
        await holder.KeepAsync();
        Assert.Null(holder.Current);
    }

    [Fact]
    public async Task ReplicasSharingAnAccountShareOneQuota()
    {
        var options = Options.Create(_options);
        var replicas = Enumerable.Range(0, 3).Select(_ => new VendorQuotas(_redis, options)).ToArray();
        var quota = new VendorQuota("test-vendor", PerSecond: 5, Burst: 1);
        var clock = Stopwatch.StartNew();

        // 12 requests, 4 per replica, at 5/s together: the last may go 11 refills (2.2 s) after the first.
        await Task.WhenAll(replicas.Select(async r =>
        {
            for (var i = 0; i < 4; i++)
            {
                await r.TakeAsync(quota, "same-token", CancellationToken.None);
            }
        }));

        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(2.1), $"12 requests went in {clock.Elapsed}: the replicas did not share the quota");
    }

    [Fact]
    public async Task DifferentAccountsHaveTheirOwnQuota()
    {
        var quotas = new VendorQuotas(_redis, Options.Create(_options));
        var quota = new VendorQuota("test-vendor", PerSecond: 1, Burst: 1);
        var clock = Stopwatch.StartNew();

        await Task.WhenAll(Enumerable.Range(0, 5).Select(i => quotas.TakeAsync(quota, $"token-{i}", CancellationToken.None)));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(0.9), $"five accounts' first requests took {clock.Elapsed}");
    }
}
