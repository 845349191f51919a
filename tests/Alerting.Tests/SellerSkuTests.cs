using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Stockcast.Alerting.V1;
using Stockcast.Testing;

namespace Stockcast.Alerting.Tests;

/// <summary>Rules, products, streams, signals, alerts and preflight for SKUs as sellers write them (<see cref="SellerSkus"/>).</summary>
public sealed class SellerSkuTests(RedisServerFixture redis) : LedgerPerTest(redis, r => AlertingHost.StartLedgerAsync(r))
{
    private static Rule LowAt10(string sku) => new() { Sku = sku, LowStockUnits = 10, LowStockPercent = 0, CoolDown = Duration.FromTimeSpan(TimeSpan.Zero) };

    [Fact]
    public async Task LowStockRulesOnSkusWithSpacesAndMarkupFireNamingThemAndPreflightJudgesEachByItsExactText()
    {
        using var host = new AlertingHost(Redis.Configuration, Ledger);
        var client = host.Client();
        foreach (var sku in SellerSkus.All)
        {
            await host.SetStockAsync("us-east", sku, 100, 1);
            await client.SetRuleAsync(LowAt10(sku));
        }
        // Same words, other letters: another product, with no rule of its own.
        await host.SetStockAsync("us-east", "stroller black 2025", 50, 1);
        await client.UpsertProductsAsync(new UpsertProductsRequest
        {
            Products = { new Product { Sku = SellerSkus.Stroller, Category = "strollers" }, new Product { Sku = SellerSkus.Sweater, Category = "strollers" } },
        });
        await client.UpsertStreamAsync(AlertingHost.LiveNow("seller-skus", "US", 3, [.. SellerSkus.All, "stroller black 2025"]));
        await Eventually.TrueAsync(async () => (await client.ListStreamsAsync(new ListStreamsRequest())).Streams.Single().StartStock.Count == SellerSkus.All.Length + 1, "the stream's start stock is recorded");
        using var console = client.WatchAlerts(new WatchAlertsRequest { AfterId = "0", Sku = SellerSkus.Deluxe });
        var now = DateTimeOffset.UtcNow;
        var sales = await client.IngestAsync(new IngestRequest
        {
            Signals = { Enumerable.Range(0, 3).Select(i => new Signal { EventId = $"order-{i}", Kind = SignalKind.Sale, Sku = SellerSkus.Dress, OccurredAt = Timestamp.FromDateTimeOffset(now.AddMinutes(-i)) }) },
        });

        await host.SetStockAsync("us-east", SellerSkus.Stroller, 0, 2);
        foreach (var sku in SellerSkus.All.Where(s => s is not SellerSkus.Stroller and not SellerSkus.Sweater))
        {
            await host.SetStockAsync("us-east", sku, 9, 2);
        }

        Assert.Equal(3, sales.Accepted);
        var raised = (await AlertingHost.ReadUntilAsync(console, n => n.Alert.Kind == AlertKind.LowStock)).Last();
        Assert.Equal((SellerSkus.Deluxe, $"{SellerSkus.Deluxe}: only 9 left for US (threshold 10)"), (raised.Alert.Sku, raised.Alert.Message));
        string[] low = [.. SellerSkus.All.Where(s => s != SellerSkus.Sweater)];
        await Eventually.TrueAsync(async () =>
            (await client.ListAlertsAsync(new ListAlertsRequest { Kind = AlertKind.LowStock })).Alerts.Select(a => a.Sku).Order(StringComparer.Ordinal).SequenceEqual(low.Order(StringComparer.Ordinal)),
            "a low-stock alert is open for each SKU at or below its rule, and none for the others");
        var soldOut = Assert.Single((await client.ListAlertsAsync(new ListAlertsRequest { Sku = SellerSkus.Stroller })).Alerts);
        Assert.Equal($"{SellerSkus.Stroller} is sold out for US", soldOut.Message);

        var verdicts = (await client.PreflightAsync(new PreflightRequest { RoomId = "seller-skus" })).Verdicts;

        Assert.Equal([.. SellerSkus.All, "stroller black 2025"], verdicts.Select(v => v.Sku));
        var byText = verdicts.ToDictionary(v => v.Sku, StringComparer.Ordinal);
        Assert.Equal((Verdict.Out, SellerSkus.Sweater, $"replace the featured SKU with {SellerSkus.Sweater}"),
            (byText[SellerSkus.Stroller].Verdict, byText[SellerSkus.Stroller].ReplacementSku, byText[SellerSkus.Stroller].SuggestedAction));
        Assert.Equal((Verdict.Low, "9 available, at or below the low-stock level 10"), (byText[SellerSkus.Deluxe].Verdict, byText[SellerSkus.Deluxe].Reason));
        Assert.Equal((Verdict.Ok, 100L), (byText[SellerSkus.Sweater].Verdict, byText[SellerSkus.Sweater].AvailableToPromise));
        Assert.Equal((Verdict.Ok, 50L), (byText["stroller black 2025"].Verdict, byText["stroller black 2025"].AvailableToPromise));
        // Label values are bounded sets (kinds, severities, sinks): a SKU is never one.
        var metrics = await host.MetricsAsync();
        Assert.All(SellerSkus.All, sku => Assert.DoesNotContain(sku, metrics, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(SellerSkus.Refused), MemberType = typeof(SellerSkus))]
    public async Task ASkuTheRuleRefusesIsInvalidArgumentNamingTheFieldWithTheRulesReasonWhereverItIsGivenAndNothingIsKept(string sku, string reason)
    {
        using var host = new AlertingHost(Redis.Configuration, Ledger);
        var client = host.Client();
        var sale = new Signal { EventId = "order-1", Kind = SignalKind.Sale, Sku = SellerSkus.Stroller, OccurredAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow) };

        (string Field, string Reason)[] refused =
        [
            await RefusedAsync(() => client.SetRuleAsync(LowAt10(sku)).ResponseAsync),
            await RefusedAsync(() => client.UpsertProductsAsync(new UpsertProductsRequest { Products = { new Product { Sku = SellerSkus.Stroller }, new Product { Sku = sku } } }).ResponseAsync),
            await RefusedAsync(() => client.UpsertStreamAsync(AlertingHost.LiveNow("refused", "US", 1, SellerSkus.Stroller, sku)).ResponseAsync),
            await RefusedAsync(() => client.IngestAsync(new IngestRequest { Signals = { sale, new Signal(sale) { EventId = "order-2", Sku = sku } } }).ResponseAsync),
            await RefusedAsync(() => client.PreflightAsync(new PreflightRequest { Skus = { SellerSkus.Stroller, sku }, Market = "US" }).ResponseAsync),
        ];

        Assert.Equal([("sku", reason), ("products[1].sku", reason), ("skus[1]", reason), ("signals[1].sku", reason), ("skus[1]", reason)], refused);
        Assert.Empty((await client.ListRulesAsync(new ListRulesRequest())).Rules);
        Assert.Empty((await client.ListStreamsAsync(new ListStreamsRequest())).Streams);
        Assert.Equal(1, (await client.IngestAsync(new IngestRequest { Signals = { sale } })).Accepted); // nothing of the refused batch was kept
    }

    private static async Task<(string Field, string Reason)> RefusedAsync<T>(Func<Task<T>> call)
    {
        var error = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var violation = Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations);
        Assert.Equal($"{violation.Field}: {violation.Description}", error.Status.Detail);
        return (violation.Field, violation.Description);
    }
}
