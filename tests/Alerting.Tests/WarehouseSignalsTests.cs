using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.Time.Testing;
using Stockcast.Alerting.V1;
using Stockcast.Testing;

namespace Stockcast.Alerting.Tests;

/// <summary>Alerts from the connector's feed events and from reservations the warehouse never reflects.</summary>
public sealed class WarehouseSignalsTests(RedisServerFixture redis) : LedgerPerTest(redis, r => AlertingHost.StartLedgerAsync(r))
{
    [Fact]
    [Trait(Lane.Name, Lane.Slow)]
    public async Task AFeedsUnexplainedZeroAndStalenessReachTheConsoleAndAcknowledgingClosesTheOneOff()
    {
        using var connector = new ConnectorProcess(Redis.Configuration, Ledger.GrpcAddress, LedgerProcess.WriterKey, new Dictionary<string, string>
        {
            ["Connector:Feeds:0:WarehouseId"] = "us-east",
            ["Connector:Feeds:0:StaleAfterSeconds"] = "1",
        });
        await connector.StartAsync();
        using var host = new AlertingHost(Redis.Configuration, Ledger, settings: new Dictionary<string, string?>
        {
            ["Alerting:ConnectorAddress"] = connector.GrpcAddress.ToString(),
        });
        using var console = host.Client().WatchAlerts(new WatchAlertsRequest { AfterId = "0" });
        using var erp = new HttpClient { BaseAddress = connector.HttpAddress };
        erp.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ConnectorProcess.WriterKey);
        async Task PushAsync(long onHand, long version)
            => Assert.Equal(HttpStatusCode.OK, (await erp.PostAsJsonAsync("/v1/warehouses/us-east/stock", new { records = new[] { new { sku = "LAMP-1", onHand, available = onHand, sourceTime = DateTimeOffset.UtcNow.AddSeconds(-1).ToString("O"), sourceVersion = version } } })).StatusCode);

        await PushAsync(50, 1);
        await PushAsync(0, 2);
        var zero = (await AlertingHost.ReadUntilAsync(console, n => n.Alert.Kind == AlertKind.UnexplainedZero)).Last().Alert;
        var acknowledged = await host.Client().AcknowledgeAsync(new AcknowledgeRequest { AlertId = zero.Id, Who = "ops@shop.example" });
        var stale = (await AlertingHost.ReadUntilAsync(console, n => n.Alert.Kind == AlertKind.FeedStale)).Last().Alert;
        await PushAsync(0, 3);
        var recovered = (await AlertingHost.ReadUntilAsync(console, n => n.Alert.Kind == AlertKind.FeedStale && n.Type == NotificationType.Resolved)).Last().Alert;

        Assert.Equal((Severity.Critical, "us-east", "LAMP-1", 50.0), (zero.Severity, zero.WarehouseId, zero.Sku, zero.Figures["previous_on_hand"]));
        Assert.StartsWith("LAMP-1 at us-east fell to 0", zero.Message);
        Assert.Equal((AlertState.Resolved, "ops@shop.example", "acknowledged"), (acknowledged.State, acknowledged.AcknowledgedBy, acknowledged.Resolution));
        Assert.Equal((Severity.Critical, "us-east", AlertState.Firing), (stale.Severity, stale.WarehouseId, stale.State));
        Assert.Equal(stale.Id, recovered.Id);
        Assert.DoesNotContain((await host.Client().ListAlertsAsync(new ListAlertsRequest())).Alerts, a => a.Id == zero.Id);
    }

    [Fact]
    public async Task CommittedReservationsTheWarehouseNeverReflectsRaiseAnAlertThatResolvesOnceSettled()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var host = new AlertingHost(Redis.Configuration, Ledger, settings: new Dictionary<string, string?>
        {
            ["Alerting:UnsettledAfterSeconds"] = "60",
            ["Alerting:EvaluateEverySeconds"] = "5",
        }, clock: clock);
        await host.SetStockAsync("us-east", "SOCK-1", 50, 1);
        _ = host.Server;
        var ledger = host.LedgerWriter(out var auth);
        await ledger.ReserveAsync(new Ledger.V1.ReserveRequest { OrderId = "live-order-1", Sku = "SOCK-1", Market = "US", Quantity = 3 }, auth);
        await ledger.CommitAsync(new Ledger.V1.CommitRequest { OrderId = "live-order-1" }, auth);

        await Eventually.TrueAsync(async () =>
        {
            clock.Advance(TimeSpan.FromSeconds(10));
            return (await host.Client().ListAlertsAsync(new ListAlertsRequest { Kind = AlertKind.ReservationUnsettled })).Alerts.Count == 1;
        }, "the unsettled reservation is reported");
        var unsettled = (await host.Client().ListAlertsAsync(new ListAlertsRequest { Kind = AlertKind.ReservationUnsettled })).Alerts.Single();
        await host.SetStockAsync("us-east", "SOCK-1", 47, 2, sourceTime: DateTimeOffset.UtcNow.AddSeconds(1)); // the warehouse's figures now include the order

        await Eventually.TrueAsync(async () =>
        {
            clock.Advance(TimeSpan.FromSeconds(5));
            return (await host.Client().ListAlertsAsync(new ListAlertsRequest { Kind = AlertKind.ReservationUnsettled })).Alerts.Count == 0;
        }, "the settled reservation's alert resolves");
        Assert.Equal(("us-east", "SOCK-1", 3.0), (unsettled.WarehouseId, unsettled.Sku, unsettled.Figures["committed"]));
        Assert.StartsWith("3 units of SOCK-1 handed to us-east", unsettled.Message);
    }
}
