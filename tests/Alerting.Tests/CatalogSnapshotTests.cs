using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Prometheus;
using Stockcast.Alerting.Catalog;
using Stockcast.Alerting.V1;
using Stockcast.ServiceDefaults.Redis;
using Stockcast.Testing;
using StackExchange.Redis;

namespace Stockcast.Alerting.Tests;

/// <summary>
/// ListStreams and UpsertStream serialise the catalogue's stream objects while the engine records
/// start stock: a stream once served must never change under them (make bench's alerting set-up
/// saw ListStreams replies cut short and "Collection was modified" while a room's SKUs started).
/// </summary>
public sealed class CatalogSnapshotTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task RecordingAStreamsStartStockPublishesItWithoutTouchingTheStreamAlreadyServed()
    {
        using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Configuration);
        var catalog = new CatalogStore(connection, new MalformedEntries(Metrics.WithCustomRegistry(Metrics.NewCustomRegistry()), NullLoggerFactory.Instance), Options.Create(new RedisOptions { Namespace = "a" + Guid.NewGuid().ToString("N")[..12] }), NullLogger<CatalogStore>.Instance);
        await catalog.StartAsync();
        await catalog.UpsertStreamAsync(new LiveStream
        {
            Id = "room-1",
            Market = "US",
            Skus = { "TEE-1" },
            StartsAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddMinutes(-1)),
            EndsAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(1)),
        });
        var served = catalog.Streams["room-1"];

        var recorded = await catalog.RecordStartStockAsync(served, "TEE-1", 40);
        var again = await catalog.RecordStartStockAsync(served, "TEE-1", 7); // the first record stands
        await catalog.ReloadAsync();

        Assert.Empty(served.StartStock);
        Assert.Equal((40L, 40L), (recorded.StartStock["TEE-1"], again.StartStock["TEE-1"]));
        Assert.Equal(40, catalog.Streams["room-1"].StartStock["TEE-1"]);
    }
}
