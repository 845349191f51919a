using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Prometheus;
using Stockcast.Ledger.V1;
using Stockcast.ServiceDefaults.Resilience;
using Stockcast.Testing;
using Stockcast.ServiceDefaults.Clients;

namespace Stockcast.LedgerClient.Tests;

/// <summary>The mirror as a service following a set of SKUs sees it, against the real ledger.</summary>
public sealed class StockMirrorTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private readonly Metadata _writer = new() { { "Authorization", "Bearer " + LedgerProcess.WriterKey } };
    private LedgerProcess _ledger = null!;
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        _ledger = new LedgerProcess(redis.Configuration, new Dictionary<string, string>
        {
            ["Ledger:Warehouses:0:Id"] = "us-east",
            ["Ledger:Warehouses:0:Region"] = "us-east",
            ["Ledger:Warehouses:0:Markets:0"] = "US",
        });
        await _ledger.StartAsync();
        // What AddServiceDefaults gives a service: a clock, logging, metrics of its own, the stream loops.
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton(TimeProvider.System)
            .AddSingleton<IMetricFactory>(Metrics.WithCustomRegistry(Metrics.NewCustomRegistry()))
            .AddSingleton<StreamMetrics>()
            .AddSingleton<Streams>();
        services.AddLedgerClient(LedgerMirrors.Local, _ => new ServiceEndpoint(_ledger.GrpcAddress, LedgerProcess.ReaderKey));
        _services = services.BuildServiceProvider();
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        _ledger.Dispose();
    }

    [Fact]
    public async Task StockAtAWarehouseRegisteredAfterTheFirstReadCountsForTheMarketsThatWarehouseServes()
    {
        var mirrors = _services.GetRequiredService<LedgerMirrors>();
        var mirror = mirrors.Mirror(LedgerMirrors.Local);
        var taken = new List<TakenRecord>();
        using var stop = new CancellationTokenSource();
        var following = mirrors.FollowAsync(new LedgerFollow(LedgerMirrors.Local) { Skus = new FixedSkus("TEE-NEW-WH"), ProgressIntervalSeconds = 1 }, change => { lock (taken) { taken.Add(change); } }, stop.Token);
        await mirror.Loaded.WaitAsync(Eventually.DefaultDeadline);

        using var channel = GrpcChannel.ForAddress(_ledger.GrpcAddress);
        var ledger = new StockLedger.StockLedgerClient(channel);
        await ledger.RegisterWarehouseAsync(new RegisterWarehouseRequest { Warehouse = new Warehouse { WarehouseId = "de-fra", Region = "eu-central", Markets = { "DE", "FR" } } }, _writer);
        await SetStockAsync(ledger, "de-fra", "TEE-NEW-WH", 7);
        await Eventually.TrueAsync(() => mirror.ForMarket("TEE-NEW-WH", "DE").Count == 1, "the new warehouse's stock counts for DE");
        await stop.CancelAsync();
        await following;

        Assert.True(mirror.IsLoaded("TEE-NEW-WH"));
        Assert.Equal([("de-fra", 7L)], mirror.ForMarket("TEE-NEW-WH", "FR").Select(r => (r.WarehouseId, r.AvailableToPromise)));
        Assert.Empty(mirror.ForMarket("TEE-NEW-WH", "US"));
        // Taken once, as new: watched (Snapshot) or, when a warehouse refresh read it before its
        // change came through the Watch, read (Unspecified); the Watch's copy is then not taken again.
        var change = Assert.Single(taken);
        Assert.Null(change.Previous);
        Assert.Equal(7, change.Record.Quantities.Available);
        Assert.Contains(change.Cause, new[] { ChangeCause.Snapshot, ChangeCause.Unspecified });
    }

    [Fact]
    [Trait(Lane.Name, Lane.Slow)]
    public async Task WhenRedisComesBackWithoutItsLatestWritesTheMirrorListsAgainAndTakesTheLedgersFiguresAtLowerRevisions()
    {
        var mirrors = _services.GetRequiredService<LedgerMirrors>();
        var mirror = mirrors.Mirror(LedgerMirrors.Local);
        using var stop = new CancellationTokenSource();
        var following = mirrors.FollowAsync(new LedgerFollow(LedgerMirrors.Local) { Skus = new FixedSkus("TEE-REGRESS"), ProgressIntervalSeconds = 1 }, _ => { }, stop.Token);
        await mirror.Loaded.WaitAsync(Eventually.DefaultDeadline);
        using var channel = GrpcChannel.ForAddress(_ledger.GrpcAddress);
        var ledger = new StockLedger.StockLedgerClient(channel);
        await SetStockAsync(ledger, "us-east", "TEE-REGRESS", 5);
        await redis.Server.SaveAsync();
        await SetStockAsync(ledger, "us-east", "TEE-REGRESS", 9, version: 2);
        await Eventually.TrueAsync(() => mirror.TotalAtp("TEE-REGRESS") == 9, "the mirror holds the write Redis is about to lose");

        // A crash after the last snapshot to disk: Redis comes back holding 5, at a lower revision.
        redis.Server.Stop();
        redis.Server.Start();
        await Eventually.TrueAsync(() => mirror.TotalAtp("TEE-REGRESS") == 5, "the mirror takes what the ledger holds again");
        // The next write reuses the lost revision with another figure: the mirror follows it.
        await SetStockAsync(ledger, "us-east", "TEE-REGRESS", 3, version: 2);
        await Eventually.TrueAsync(() => mirror.TotalAtp("TEE-REGRESS") == 3, "the mirror follows the ledger's new history");
        await stop.CancelAsync();
        await following;
    }

    private Task SetStockAsync(StockLedger.StockLedgerClient ledger, string warehouse, string sku, long available, long version = 1)
        => ledger.SetStockAsync([new StockFigure(warehouse, sku, available, version)], headers: _writer);

    private sealed class FixedSkus(params string[] skus) : IFollowedSkus
    {
        public IReadOnlySet<string> Current() => skus.ToHashSet(StringComparer.Ordinal);

        public CancellationToken NextChange => CancellationToken.None;
    }
}
