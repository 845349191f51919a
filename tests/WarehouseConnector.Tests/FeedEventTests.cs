using System.Net;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Stockcast.Connector.Events;
using Stockcast.Connector.V1;
using Stockcast.ServiceDefaults.Redis;
using Stockcast.Testing;
using StackExchange.Redis;

namespace Stockcast.Connector.Tests;

/// <summary>Anomalies and stale feeds raised as events on WatchFeedEvents, for alerting.</summary>
public sealed class FeedEventTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private ConnectorHost _host = null!;

    public async Task InitializeAsync() => _host = await ConnectorHost.StartAsync(redis.Configuration, clock: _clock);

    public Task DisposeAsync()
    {
        _host.Dispose();
        return Task.CompletedTask;
    }

    private string Now() => _clock.GetUtcNow().AddSeconds(-1).ToString("O");

    private async Task PushAsync(params object[] records)
        => Assert.Equal(HttpStatusCode.OK, (await ConnectorHost.PushAsync(_host.Pusher(), "us-erp", records)).StatusCode);

    [Fact]
    public async Task FallsToZeroAndJumpsThatTheFiguresDoNotExplainAreRaisedAndExplainedOnesAreNot()
    {
        using var call = _host.Client().WatchFeedEvents(new WatchFeedEventsRequest { AfterId = "0", WarehouseId = "us-erp" });
        await PushAsync(
            new { sku = "LOST", onHand = 50, available = 50, sourceTime = Now(), sourceVersion = 1 },
            new { sku = "SHIPPED", onHand = 40, available = 0, reserved = 40, sourceTime = Now(), sourceVersion = 1 },
            new { sku = "DOUBLED", onHand = 20, available = 20, sourceTime = Now(), sourceVersion = 1 },
            new { sku = "RESTOCKED", onHand = 20, available = 20, inbound = 5000, sourceTime = Now(), sourceVersion = 1 });

        await PushAsync(
            new { sku = "LOST", onHand = 0, sourceTime = Now(), sourceVersion = 2 },
            new { sku = "SHIPPED", onHand = 0, sourceTime = Now(), sourceVersion = 2 },
            new { sku = "DOUBLED", onHand = 5000, available = 5000, sourceTime = Now(), sourceVersion = 2 },
            new { sku = "RESTOCKED", onHand = 5020, available = 5020, sourceTime = Now(), sourceVersion = 2 },
            new { sku = "LAST", onHand = 9, sourceTime = Now(), sourceVersion = 1 });
        await PushAsync(new { sku = "LAST", type = "delta", eventId = "shrink-1", onHand = -9, sourceTime = Now() });

        var events = await call.ResponseStream.ReadUntilAsync(e => e.Sku == "LAST");
        Assert.Collection(events,
            e => Assert.Equal((FeedEventKind.UnexplainedZero, "LOST", 50L, 0L, 0L), (e.Kind, e.Sku, e.PreviousOnHand, e.OnHand, e.ExplainedUnits)),
            e => Assert.Equal((FeedEventKind.ImplausibleJump, "DOUBLED", 20L, 5000L), (e.Kind, e.Sku, e.PreviousOnHand, e.OnHand)),
            e => Assert.Equal((FeedEventKind.UnexplainedZero, "LAST", 9L, 0L), (e.Kind, e.Sku, e.PreviousOnHand, e.OnHand)));
        Assert.Contains("50 units are unexplained", events[0].Detail);
        Assert.Equal(0, (await _host.LedgerRecordAsync("us-erp", "LOST"))!.Quantities.OnHand);
    }

    [Fact]
    public async Task AGarbageEntryInTheEventStreamIsSkippedByTheWatchAndCountedOnce()
    {
        var events = _host.Services.GetRequiredService<FeedEventStore>();
        await events.AppendAsync(new FeedEvent { Kind = FeedEventKind.FeedStale, WarehouseId = "us-erp", Detail = "before" });
        await _host.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase()
            .StreamAddAsync(events.Stream.Key, MessageStream<FeedEvent>.Field, new byte[] { 0xFF, 0xFE, 0x00, 0x01 });
        await events.AppendAsync(new FeedEvent { Kind = FeedEventKind.FeedStale, WarehouseId = "us-erp", Detail = "after" });

        using var call = _host.Client().WatchFeedEvents(new WatchFeedEventsRequest { AfterId = "0", WarehouseId = "us-erp" });
        var read = await call.ResponseStream.ReadUntilAsync(e => e.Detail == "after");

        Assert.Equal(["before", "after"], read.Select(e => e.Detail));
        Assert.Contains("stockcast_malformed_entries_total{stream=\"feed-events\"} 1\n", await _host.MetricsAsync());
    }

    [Fact]
    public async Task AFeedSilentBeyondItsBoundIsReportedStaleOnceAndRecoveredWhenItSyncsAgain()
    {
        using var call = _host.Client().WatchFeedEvents(new WatchFeedEventsRequest { AfterId = "0", WarehouseId = "us-erp" });
        await PushAsync(new { sku = "S-1", onHand = 3, sourceTime = Now() });

        // us-erp's bound is 60 s; the monitor checks every 15 s of the connector's clock, which the
        // test moves on until the monitor has noticed.
        var staleRead = call.ResponseStream.ReadUntilAsync(e => e.Kind == FeedEventKind.FeedStale);
        await Eventually.TrueAsync(() =>
        {
            _clock.Advance(TimeSpan.FromSeconds(15));
            return staleRead.IsCompleted;
        }, "the monitor reports us-erp stale");
        var stale = await staleRead;
        Assert.Single(stale);
        Assert.NotNull(stale[0].LastSuccess);
        Assert.True((await _host.Client().ListFeedsAsync(new ListFeedsRequest())).Feeds.Single(f => f.WarehouseId == "us-erp").Stale);

        await PushAsync(new { sku = "S-1", onHand = 2, sourceTime = Now() });

        var next = await call.ResponseStream.ReadUntilAsync(_ => true);
        Assert.Equal(FeedEventKind.FeedRecovered, next.Single().Kind);
        Assert.False((await _host.Client().ListFeedsAsync(new ListFeedsRequest())).Feeds.Single(f => f.WarehouseId == "us-erp").Stale);
    }

    [Fact]
    public async Task AWatcherResumesAfterTheLastEventItSawAndABadResumeIdIsRefusedNamingTheField()
    {
        await PushAsync(new { sku = "R-1", onHand = 10, sourceTime = Now(), sourceVersion = 1 }, new { sku = "R-2", onHand = 10, sourceTime = Now(), sourceVersion = 1 });
        await PushAsync(new { sku = "R-1", onHand = 0, sourceTime = Now(), sourceVersion = 2 });
        FeedEvent first;
        using (var call = _host.Client().WatchFeedEvents(new WatchFeedEventsRequest { AfterId = "0" }))
        {
            first = (await call.ResponseStream.ReadUntilAsync(e => e.Sku == "R-1")).Last();
        }
        await PushAsync(new { sku = "R-2", onHand = 0, sourceTime = Now(), sourceVersion = 2 });

        using var resumed = _host.Client().WatchFeedEvents(new WatchFeedEventsRequest { AfterId = first.Id });
        var after = await resumed.ResponseStream.ReadUntilAsync(_ => true);
        Assert.Equal("R-2", after.Single().Sku);

        var bad = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = _host.Client().WatchFeedEvents(new WatchFeedEventsRequest { AfterId = "yesterday" });
            await call.ResponseStream.MoveNext();
        });
        Assert.Equal(StatusCode.InvalidArgument, bad.StatusCode);
        Assert.Equal("after_id", bad.Trailers.GetValue("stockcast-field"));
    }
}
