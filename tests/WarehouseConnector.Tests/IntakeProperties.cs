using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CsCheck;
using Microsoft.Extensions.DependencyInjection;
using Stockcast.Ledger.V1;
using Stockcast.LedgerClient;
using Stockcast.Testing;

namespace Stockcast.Connector.Tests;

/// <summary>
/// For any mix of good and bad records pushed through the canonical push API into the intake: every
/// record is either applied or dead-lettered, exactly the bad ones are dead-lettered, the counts add
/// up, and every good record reaches the ledger whatever came before it in the batch.
/// </summary>
public sealed class IntakeProperties(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    /// <summary>One way a warehouse sends a record: how to write it, and whether the intake must take it.</summary>
    private sealed record Shape(string Name, bool Good, Func<string, long, string> Json);

    private static readonly Shape[] Shapes =
    [
        new("number", true, (sku, n) => $$"""{"sku":"{{sku}}","available":{{n}},"sourceTime":"{{Now}}"}"""),
        new("string of digits", true, (sku, n) => $$"""{"sku":"{{sku}}","available":" {{n}} ","sourceTime":"{{Now}}"}"""),
        new("no usable time", true, (sku, n) => $$"""{"sku":"{{sku}}","available":{{n}},"sourceTime":"soon"}"""),
        new("negative", false, (sku, n) => $$"""{"sku":"{{sku}}","available":{{-n - 1}},"sourceTime":"{{Now}}"}"""),
        new("words", false, (sku, n) => $$"""{"sku":"{{sku}}","available":"{{n}} pcs","sourceTime":"{{Now}}"}"""),
        new("no sku", false, (_, n) => $$"""{"available":{{n}},"sourceTime":"{{Now}}"}"""),
        new("control character", false, (sku, n) => $$"""{"sku":"{{sku}}\u0001","available":{{n}},"sourceTime":"{{Now}}"}"""),
        new("beyond the limit", false, (sku, _) => $$"""{"sku":"{{sku}}","available":2000000000,"sourceTime":"{{Now}}"}"""),
        new("bad event id", false, (sku, n) => $$"""{"sku":"{{sku}}","type":"delta","eventId":"e {{n}}","available":1,"sourceTime":"{{Now}}"}"""),
        new("not an object", false, (_, n) => $"[{n}]"),
    ];

    private ConnectorHost _host = null!;

    // Quantity limits laxer than the ledger's, so "beyond the limit" is refused by the ledger itself
    // and its batches take the isolating path, while the other bad shapes are the connector's refusals.
    public async Task InitializeAsync() => _host = await ConnectorHost.StartAsync(redis.Configuration,
        replace: s => s.AddSingleton(new StockEventRules(TimeProvider.System, maxQuantity: long.MaxValue)));

    public Task DisposeAsync()
    {
        _host.Dispose();
        return Task.CompletedTask;
    }

    private static string Now => DateTimeOffset.UtcNow.AddSeconds(-1).ToString("O");

    [Fact]
    public async Task EveryRecordIsAppliedOrDeadLetteredAndBadOnesNeverHoldBackGoodOnes()
    {
        var batches = Gen.Select(Gen.Int[0, Shapes.Length - 1], Gen.Long[0, 1000]).Array[1, 25];

        await batches.SampleAsync(async batch =>
        {
            var prefix = Guid.NewGuid().ToString("N")[..8];
            var records = batch.Select((r, i) => (Shape: Shapes[r.Item1], Sku: $"P{prefix}-{i}", Quantity: r.Item2)).ToList();
            using var response = await _host.Pusher().PostAsync("/v1/warehouses/us-erp/stock",
                new StringContent($"{{\"records\":[{string.Join(",", records.Select(r => r.Shape.Json(r.Sku, r.Quantity)))}]}}", Encoding.UTF8, "application/json"));

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var result = await response.Content.ReadFromJsonAsync<JsonElement>();
            var deadLettered = result.GetProperty("deadLettered").EnumerateArray().Select(d => d.GetProperty("index").GetInt32()).ToList();
            int Count(string outcome) => result.GetProperty(outcome).GetInt32();
            Assert.Equal(records.Count, Count("received"));
            Assert.Equal(records.Count, Count("applied") + Count("unchanged") + Count("duplicate") + Count("stale") + deadLettered.Count);
            Assert.Equal(Enumerable.Range(0, records.Count).Where(i => !records[i].Shape.Good), deadLettered);

            var good = records.Where(r => r.Shape.Good).ToList();
            if (good.Count > 0)
            {
                var held = (await _host.LedgerClient().BatchGetStockAsync(new BatchGetStockRequest { Keys = { good.Select(r => new StockKey { WarehouseId = "us-erp", Sku = r.Sku }) } }))
                    .Records.ToDictionary(r => r.Sku, r => r.Quantities.Available);
                Assert.All(good, r => Assert.Equal(r.Quantity, held.GetValueOrDefault(r.Sku, -1)));
            }
        }, iter: 60, threads: 1, print: batch => string.Join(", ", batch.Select(r => $"{Shapes[r.Item1].Name} {r.Item2}")));
    }
}
