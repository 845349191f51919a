using System.Text.RegularExpressions;
using Stockcast.Ledger.V1;
using Stockcast.Testing;

namespace Stockcast.Ledger.Tests;

/// <summary>
/// GetAvailability from the in-memory view: the same answers Redis gives, never missing a write this
/// replica acknowledged, another replica's write held when asked for by its revision, and a revision
/// that never goes back on one connection. A second host on the same namespace with the view off
/// (Ledger:ReadViewMaxRecords = 0) answers from Redis alone: the reference.
/// </summary>
public sealed class AvailabilityViewTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private static readonly string[] Markets = ["US", "CA", "DE", "FR", "JP"];

    private static readonly Dictionary<string, string?> ViewOff = new() { ["Ledger:ReadViewMaxRecords"] = "0" };

    [Fact]
    public async Task OnceLoadedTheViewAnswersWithTheFiguresRedisGivesForEveryMarket()
    {
        using var host = await new LedgerHost(redis.Configuration).ReadyAsync();
        var client = host.Client();
        for (var i = 0; i < 20; i++)
        {
            await client.ApplyAsync(Stock.Snapshot("us-east", $"TEE-{i}", 10 + i, 1), Stock.Snapshot("eu-de", $"TEE-{i}", 3 * i, 1));
            if (i % 3 == 0)
            {
                await client.ApplyAsync(Stock.Snapshot("us-west", $"TEE-{i}", 7, 1));
                await client.ReserveAsync(new ReserveRequest { OrderId = $"o-{i}", Sku = $"TEE-{i}", Market = "US", Quantity = 2, HoldSeconds = 600 });
            }
        }
        using var redisOnly = await new LedgerHost(redis.Configuration, host.Namespace, ViewOff).ReadyAsync();
        await ViewAnswersAsync(host, "TEE-0", 15);
        var before = await ReadsAsync(host, "view");

        foreach (var sku in Enumerable.Range(0, 21).Select(i => $"TEE-{i}"))
        {
            foreach (var market in Markets)
            {
                var request = new GetAvailabilityRequest { Sku = sku, Market = market };
                var fromView = await client.GetAvailabilityAsync(request);
                var fromRedis = await redisOnly.Client().GetAvailabilityAsync(request);
                fromView.Revision = fromRedis.Revision = 0;
                Assert.Equal(fromRedis, fromView);
            }
        }
        Assert.Equal(0, await ReadsAsync(redisOnly, "view"));
        // 20 SKUs in us-east and eu-de, 7 of them in us-west too: listed or taken from the feed, each counted once.
        Assert.Matches("(?m)^stockcast_ledger_read_view_records 47$", await host.MetricsAsync());
        Assert.Equal(before + 21 * Markets.Length, await ReadsAsync(host, "view"));
    }

    [Fact]
    public async Task AReadRightAfterAWriteThroughTheSameReplicaHoldsIt()
    {
        using var host = await new LedgerHost(redis.Configuration).ReadyAsync();
        var client = host.Client();
        await client.ApplyAsync(Stock.Snapshot("us-east", "TEE-1", 1000, 1));
        await ViewAnswersAsync(host, "TEE-1", 1000);

        for (var i = 1; i <= 40; i++)
        {
            var held = await client.ReserveAsync(new ReserveRequest { OrderId = $"o-{i}", Sku = "TEE-1", Market = "US", Quantity = 1, HoldSeconds = 600 });
            var afterReserve = await client.GetAvailabilityAsync(new GetAvailabilityRequest { Sku = "TEE-1", Market = "US" });
            Assert.Equal((1000 - i, true), (afterReserve.AvailableToPromise, afterReserve.Revision >= held.Revision));

            var applied = await client.ApplyAsync(Stock.Snapshot("eu-de", "TEE-1", i, i + 1));
            var afterApply = await client.GetAvailabilityAsync(new GetAvailabilityRequest { Sku = "TEE-1", Market = "DE" });
            Assert.Equal((i, true), (afterApply.AvailableToPromise, afterApply.Revision >= applied.Revision));
        }
    }

    [Fact]
    public async Task AWriteThroughAnotherReplicaIsHeldWhenTheReaderAsksForItsRevision()
    {
        using var writer = await new LedgerHost(redis.Configuration).ReadyAsync();
        using var reader = await new LedgerHost(redis.Configuration, writer.Namespace).ReadyAsync();
        await writer.Client().ApplyAsync(Stock.Snapshot("us-east", "TEE-1", 500, 1));
        await ViewAnswersAsync(reader, "TEE-1", 500);

        for (var i = 1; i <= 30; i++)
        {
            var held = await writer.Client().ReserveAsync(new ReserveRequest { OrderId = $"o-{i}", Sku = "TEE-1", Market = "US", Quantity = 1, HoldSeconds = 600 });
            var read = await reader.Client().GetAvailabilityAsync(new GetAvailabilityRequest { Sku = "TEE-1", Market = "US", MinRevision = held.Revision });
            Assert.Equal((500 - i, true), (read.AvailableToPromise, read.Revision >= held.Revision));
        }
    }

    [Fact]
    public async Task AWarehouseRegisteredThroughAnotherReplicaCountsForItsMarkets()
    {
        using var admin = await new LedgerHost(redis.Configuration).ReadyAsync();
        using var reader = await new LedgerHost(redis.Configuration, admin.Namespace).ReadyAsync();
        await admin.Client().ApplyAsync(Stock.Snapshot("us-east", "TEE-1", 5, 1));
        await ViewAnswersAsync(reader, "TEE-1", 5);

        // A new warehouse and its figures: its markets are read before its figures count.
        await admin.Client().RegisterWarehouseAsync(new RegisterWarehouseRequest { Warehouse = new Warehouse { WarehouseId = "jp-osaka", Region = "ap-northeast", Markets = { "JP" } } });
        var applied = await admin.Client().ApplyAsync(Stock.Snapshot("jp-osaka", "TEE-1", 12, 1));
        var japan = await reader.Client().GetAvailabilityAsync(new GetAvailabilityRequest { Sku = "TEE-1", Market = "JP", MinRevision = applied.Revision });
        Assert.Equal((12L, "jp-osaka"), (japan.AvailableToPromise, Assert.Single(japan.Warehouses).WarehouseId));

        // A known warehouse that starts serving another market: announced, and read again.
        await admin.Client().RegisterWarehouseAsync(new RegisterWarehouseRequest { Warehouse = new Warehouse { WarehouseId = "jp-osaka", Region = "ap-northeast", Markets = { "JP", "KR" } } });
        await Eventually.TrueAsync(async () => await reader.Client().AtpAsync("TEE-1", "KR") == 12, "the reader counts jp-osaka for KR");
    }

    [Fact]
    public async Task RevisionsNeverGoBackOnOneConnectionWhileAnotherReplicaWrites()
    {
        using var writer = await new LedgerHost(redis.Configuration).ReadyAsync();
        using var reader = await new LedgerHost(redis.Configuration, writer.Namespace).ReadyAsync();
        await writer.Client().ApplyAsync(Stock.Snapshot("us-east", "TEE-1", 1, 1));
        var client = reader.Client();
        using var stop = new CancellationTokenSource();
        var writes = Task.Run(async () =>
        {
            for (var version = 2; version < 200 && !stop.IsCancellationRequested; version++)
            {
                await writer.Client().ApplyAsync(Stock.Snapshot("us-east", "TEE-1", version, version));
            }
        });

        var last = (Revision: 0L, Atp: 0L);
        while (!writes.IsCompleted)
        {
            var read = await client.GetAvailabilityAsync(new GetAvailabilityRequest { Sku = "TEE-1", Market = "US" });
            Assert.True(read.Revision >= last.Revision && read.AvailableToPromise >= last.Atp, $"revision {read.Revision} (ATP {read.AvailableToPromise}) after {last.Revision} ({last.Atp})");
            last = (read.Revision, read.AvailableToPromise);
        }
        await writes;
        await Eventually.TrueAsync(async () => await client.AtpAsync("TEE-1", "US") == 199, "the last write is read");
    }

    [Fact]
    public async Task WhenRedisLosesItsLatestWritesTheViewForgetsThemAndAnswersFromTheNewHistory()
    {
        using var host = await new LedgerHost(redis.Configuration).ReadyAsync();
        var client = host.Client();
        await client.ApplyAsync(Stock.Snapshot("us-east", "REG-KEPT", 5, version: 1));
        await redis.Server.SaveAsync();
        await client.ApplyAsync(Stock.Snapshot("us-east", "REG-LOST", 7, version: 1));
        Assert.Equal(7, await client.AtpAsync("REG-LOST", "US"));

        redis.Server.Stop();
        redis.Server.Start();

        // Listed again from what Redis holds now, and answering from memory: the revisions this replica
        // served from the lost history no longer hold the view back.
        await Eventually.TrueAsync(async () =>
        {
            var before = await ReadsAsync(host, "view");
            return await client.AtpAsync("REG-LOST", "US") == 0 && await ReadsAsync(host, "view") > before;
        }, "the view answers without the lost write");
        Assert.Equal(5, await client.AtpAsync("REG-KEPT", "US"));
    }

    [Fact]
    public async Task WhileRedisIsAwayTheViewAnswersWithTheRevisionItHoldsAndANewerOneIsUnavailable()
    {
        using var host = await new LedgerHost(redis.Configuration).ReadyAsync();
        var client = host.Client();
        var applied = await client.ApplyAsync(Stock.Snapshot("us-east", "OUT-1", 9, version: 1));
        await ViewAnswersAsync(host, "OUT-1", 9);
        await redis.Server.SaveAsync();

        redis.Server.Stop();
        try
        {
            var during = await client.GetAvailabilityAsync(new GetAvailabilityRequest { Sku = "OUT-1", Market = "US" });
            Assert.Equal((9L, true), (during.AvailableToPromise, during.Revision >= applied.Revision));
            var newer = await Assert.ThrowsAsync<global::Grpc.Core.RpcException>(async () =>
                await client.GetAvailabilityAsync(new GetAvailabilityRequest { Sku = "OUT-1", Market = "US", MinRevision = during.Revision + 1 }));
            Assert.Equal(global::Grpc.Core.StatusCode.Unavailable, newer.StatusCode);
        }
        finally
        {
            redis.Server.Start();
        }
        // The ledger reconnects by itself; until it has, a write is UNAVAILABLE (and a snapshot may be sent again).
        ApplyStockEventsResponse? after = null;
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                after = await client.ApplyAsync(Stock.Snapshot("us-east", "OUT-1", 4, version: 2));
                return true;
            }
            catch (global::Grpc.Core.RpcException e) when (e.StatusCode == global::Grpc.Core.StatusCode.Unavailable)
            {
                return false;
            }
        }, "the ledger writes again");
        var read = await client.GetAvailabilityAsync(new GetAvailabilityRequest { Sku = "OUT-1", Market = "US" });
        Assert.Equal((4L, true), (read.AvailableToPromise, read.Revision >= after!.Revision));
    }

    [Fact]
    public async Task ANegativeMinRevisionIsRefusedNamingTheField()
    {
        using var host = await new LedgerHost(redis.Configuration).ReadyAsync();

        var refused = await Assert.ThrowsAsync<global::Grpc.Core.RpcException>(async () => await host.Client().GetAvailabilityAsync(new GetAvailabilityRequest { Sku = "TEE-1", Market = "US", MinRevision = -1 }));

        Assert.Equal((global::Grpc.Core.StatusCode.InvalidArgument, "min_revision"), (refused.StatusCode, refused.Trailers.GetValue("stockcast-field")));
    }

    /// <summary>Until the host's view answers reads (counted as from memory) and gives the SKU's US figure.</summary>
    private static Task ViewAnswersAsync(LedgerHost host, string sku, long atp)
        => Eventually.TrueAsync(async () => await host.Client().AtpAsync(sku, "US") == atp && await ReadsAsync(host, "view") > 0, $"{host.Namespace}'s view answers {atp} for {sku}");

    private static async Task<long> ReadsAsync(LedgerHost host, string source)
        => Regex.Match(await host.MetricsAsync(), $"(?m)^stockcast_ledger_availability_reads_total{{source=\"{source}\"}} (\\d+)") is { Success: true } m ? long.Parse(m.Groups[1].Value) : 0;
}
