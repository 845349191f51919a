using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Stockcast.Ledger.V1;
using Stockcast.Testing;

namespace Stockcast.Ledger.Tests;

public sealed class WatchTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task AQuietWatchReceivesProgressNotificationsAtTheCurrentRevision()
    {
        using var host = await new LedgerHost(redis.Configuration).ReadyAsync();
        var client = host.Client();
        var revision = (await client.ApplyAsync(Stock.Snapshot("us-east", "QUIET", 1, version: 1))).Revision;

        using var cts = new CancellationTokenSource(Eventually.DefaultDeadline);
        using var watch = client.Watch(new WatchRequest { ProgressIntervalSeconds = 1 }, cancellationToken: cts.Token);
        Assert.True(await watch.ResponseStream.MoveNext(cts.Token));
        Assert.True(await watch.ResponseStream.MoveNext(cts.Token));

        Assert.Empty(watch.ResponseStream.Current.Changes);
        Assert.Equal(revision, watch.ResponseStream.Current.HeaderRevision);
    }

    [Fact]
    public async Task ChangeLogEntriesFromAPreReleaseBuildDoNotBreakEveryWatch()
    {
        var ns = "t" + Guid.NewGuid().ToString("N")[..16];
        using (var redisClient = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redis.Configuration))
        {
            // One change per entry, fields named by the old layout ("f" was not the first revision then).
            var db = redisClient.GetDatabase();
            await db.StreamAddAsync($"{{{ns}}}:log", [new("c", "S"), new("s", "OLD-1"), new("w", "us-east"), new("f", ""), new("oh", 5)], "1-0");
            await db.StringSetAsync($"{{{ns}}}:rev", 1);
        }
        using var host = await new LedgerHost(redis.Configuration, @namespace: ns).ReadyAsync();
        var client = host.Client();
        var revision = (await client.ApplyAsync(Stock.Snapshot("us-east", "NEW-1", 3, version: 1))).Results[0].Revision;

        using var cts = new CancellationTokenSource(Eventually.DefaultDeadline);
        using var watch = client.Watch(new WatchRequest { StartRevision = revision }, cancellationToken: cts.Token);
        var seen = new List<StockChange>();
        while (seen.Count == 0 && await watch.ResponseStream.MoveNext(cts.Token))
        {
            seen.AddRange(watch.ResponseStream.Current.Changes);
        }

        Assert.Equal((2L, "NEW-1"), (seen.Single().Revision, seen.Single().Record.Sku));
    }

    [Fact]
    public async Task AGarbageChangeLogEntryIsSkippedAndCountedAndTheWatchCarriesOn()
    {
        using var host = await new LedgerHost(redis.Configuration).ReadyAsync();
        var client = host.Client();
        using var cts = new CancellationTokenSource(Eventually.DefaultDeadline);
        using var watch = client.Watch(new WatchRequest { Skus = { "GOOD-1", "GOOD-2" } }, cancellationToken: cts.Token);
        Assert.True(await watch.ResponseStream.MoveNext(cts.Token));
        var first = (await client.ApplyAsync(Stock.Snapshot("us-east", "GOOD-1", 1, version: 1))).Revision;

        // What a bad write or a hand edit could leave: an entry at the next revision whose line does not parse.
        using (var redisClient = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redis.Configuration))
        {
            var db = redisClient.GetDatabase();
            var garbage = first + 1;
            await db.StreamAddAsync($"{{{host.Namespace}}}:log", [new("f", garbage), new("c", "S\tnot a change")], $"{garbage}-0");
            await db.StringSetAsync($"{{{host.Namespace}}}:rev", garbage);
        }
        var after = (await client.ApplyAsync(Stock.Snapshot("us-east", "GOOD-2", 2, version: 1))).Revision;

        var seen = new List<StockChange>();
        while (seen.Count < 2 && await watch.ResponseStream.MoveNext(cts.Token))
        {
            seen.AddRange(watch.ResponseStream.Current.Changes);
        }
        Assert.Equal([(first, "GOOD-1"), (after, "GOOD-2")], seen.Select(c => (c.Revision, c.Record.Sku)));
        Assert.Equal(first + 2, after);
        Assert.Equal(1, host.Services.GetRequiredService<LedgerMetrics>().MalformedChanges.Value);
    }

    [Fact]
    public async Task WatchDeliversOnlyTheSkusAndMarketAsked()
    {
        using var host = await new LedgerHost(redis.Configuration).ReadyAsync();
        var client = host.Client();
        using var cts = new CancellationTokenSource(Eventually.DefaultDeadline);
        using var watch = client.Watch(new WatchRequest { Skus = { "A", "B" }, Market = "DE" }, cancellationToken: cts.Token);
        Assert.True(await watch.ResponseStream.MoveNext(cts.Token));

        await client.ApplyAsync(
            Stock.Snapshot("us-east", "A", 1, version: 1), Stock.Snapshot("eu-de", "C", 1, version: 1),
            Stock.Snapshot("eu-de", "A", 2, version: 1), Stock.Snapshot("eu-de", "B", 3, version: 1));

        var got = new List<string>();
        while (got.Count < 2 && await watch.ResponseStream.MoveNext(cts.Token))
        {
            got.AddRange(watch.ResponseStream.Current.Changes.Select(c => $"{c.Record.WarehouseId}/{c.Record.Sku}"));
        }
        Assert.Equal(["eu-de/A", "eu-de/B"], got);
    }

    [Fact]
    public async Task AWatchFilteredToSkusWithSpacesAndAnyScriptGetsExactlyThoseLiveAndReplayedFromTheLog()
    {
        using var host = await new LedgerHost(redis.Configuration).ReadyAsync();
        var client = host.Client();
        string[] asked = [SellerSkus.Stroller, SellerSkus.Deluxe];
        using var cts = new CancellationTokenSource(Eventually.DefaultDeadline);
        using var live = client.Watch(new WatchRequest { Skus = { asked } }, cancellationToken: cts.Token);
        Assert.True(await live.ResponseStream.MoveNext(cts.Token));

        await client.ApplyAsync(
            Stock.Snapshot("us-east", "STROLLER BLACK", 1, version: 1), Stock.Snapshot("us-east", "stroller black 2025", 2, version: 1),
            Stock.Snapshot("us-east", SellerSkus.Stroller, 3, version: 1), Stock.Snapshot("eu-de", SellerSkus.Deluxe, 4, version: 1),
            Stock.Snapshot("us-west", SellerSkus.Dress, 5, version: 1));
        // A replica started now holds none of it in memory: it reads the changes back from the Redis log.
        using var replica = await new LedgerHost(redis.Configuration, host.Namespace).ReadyAsync();
        using var replayed = replica.Client().Watch(new WatchRequest { Skus = { asked }, StartRevision = 1 }, cancellationToken: cts.Token);

        string[] expected = [$"us-east/{SellerSkus.Stroller}", $"eu-de/{SellerSkus.Deluxe}"];
        Assert.Equal(expected, await ChangesAsync(live, 2, cts.Token));
        Assert.Equal(expected, await ChangesAsync(replayed, 2, cts.Token));
    }

    private static async Task<List<string>> ChangesAsync(AsyncServerStreamingCall<WatchResponse> watch, int count, CancellationToken cancellationToken)
    {
        var got = new List<string>();
        while (got.Count < count && await watch.ResponseStream.MoveNext(cancellationToken))
        {
            got.AddRange(watch.ResponseStream.Current.Changes.Select(c => $"{c.Record.WarehouseId}/{c.Record.Sku}"));
        }
        return got;
    }

    [Fact]
    public async Task ASlowWatcherDoesNotDelayAFastOneAndLaterCatchesUpWithoutAGap()
    {
        // Real sockets, so the slow watcher's HTTP/2 window really fills; a small ring so it falls out of memory.
        using var host = LedgerHost.OnSockets(redis.Configuration, new Dictionary<string, string?> { ["Ledger:WatchBufferSize"] = "1024" });
        await host.ReadyAsync();
        var client = host.Client();
        var start = (await client.ApplyAsync(Stock.Snapshot("us-east", "START", 1, version: 1))).Revision + 1;

        using var slow = host.Client().Watch(new WatchRequest { StartRevision = start });
        using var cts = new CancellationTokenSource(Eventually.DefaultDeadline);
        using var fast = host.Client().Watch(new WatchRequest { StartRevision = start }, cancellationToken: cts.Token);
        const int total = 6000;
        for (var b = 0; b < total / 500; b++)
        {
            await client.ApplyAsync(Enumerable.Range(0, 500).Select(i => Stock.Snapshot("us-west", $"SLOW-{b}-{i}-{new string('x', 60)}", i, version: 1)).ToArray());
        }

        var fastSeen = await CollectAsync(fast, total, cts.Token);
        Assert.Equal(Enumerable.Range(0, total).Select(i => start + i), fastSeen);

        // Only now does the slow client read: everything arrives, in order, read back from Redis.
        using var slowCts = new CancellationTokenSource(Eventually.DefaultDeadline);
        var slowSeen = await CollectAsync(slow, total, slowCts.Token);
        Assert.Equal(fastSeen, slowSeen);
    }

    private static async Task<List<long>> CollectAsync(AsyncServerStreamingCall<WatchResponse> call, int count, CancellationToken token)
    {
        var seen = new List<long>(count);
        while (seen.Count < count && await call.ResponseStream.MoveNext(token))
        {
            seen.AddRange(call.ResponseStream.Current.Changes.Select(c => c.Revision));
        }
        return seen;
    }

    [Fact]
    public async Task WatchStreamsEndWithUnavailableAndAResumeRevisionWhenTheLedgerShutsDown()
    {
        using var host = LedgerHost.OnSockets(redis.Configuration);
        await host.ReadyAsync();
        var client = host.Client();
        var revision = (await client.ApplyAsync(Stock.Snapshot("us-east", "BYE", 1, version: 1))).Revision;
        using var cts = new CancellationTokenSource(Eventually.DefaultDeadline);
        using var watch = client.Watch(new WatchRequest { StartRevision = revision }, cancellationToken: cts.Token);
        Assert.True(await watch.ResponseStream.MoveNext(cts.Token));

        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        var stopping = Task.Run(lifetime.StopApplication);
        var error = await Stock.FailsAsync(async () =>
        {
            while (await watch.ResponseStream.MoveNext(cts.Token))
            {
            }
        });
        await stopping;

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal((revision + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), error.Trailers.GetValue(Grpc.Errors.ResumeRevisionTrailer));
        Assert.Equal((revision + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), error.GetRpcStatus()!.GetDetail<Google.Rpc.ErrorInfo>().Metadata[Grpc.Errors.ResumeRevision]);
    }
}
