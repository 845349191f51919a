using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Stockcast.Alerting.Leadership;
using Stockcast.Alerting.V1;
using Stockcast.Testing;

namespace Stockcast.Alerting.Tests;

/// <summary>
/// Alerts delivered to HTTP webhooks: a real receiver on loopback, the service in-process on a real
/// Redis, following the real stock-ledger; alerts raised by moving stock in the ledger.
/// </summary>
public sealed class WebhookTests(RedisServerFixture redis) : LedgerPerTest(redis, r => AlertingHost.StartLedgerAsync(r))
{
    private const string Secret = "webhook-secret-for-tests-0123456789";

    private static Dictionary<string, string?> Webhook(string name, string url, string? minSeverity = null) => new()
    {
        ["Alerting:Webhooks:0:Name"] = name,
        ["Alerting:Webhooks:0:Url"] = url,
        ["Alerting:Webhooks:0:Secret"] = Secret,
        ["Alerting:Webhooks:0:MinSeverity"] = minSeverity,
    };

    [Fact]
    [Trait(Lane.Name, Lane.Slow)]
    public async Task AWebhookThatFailsTwiceGetsTheAlertSignedOnTheThirdAttemptAndNoCopyAfterwards()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var host = new AlertingHost(Redis.Configuration, Ledger, settings: Webhook("flaky", receiver.Url));
        var room = await LowStockRoom.OpenAsync(host, "HOOK-RETRY");
        using var console = host.Client().WatchAlerts(new WatchAlertsRequest { AfterId = "0", Sku = room.Sku });
        receiver.FailNext(2, StatusCodes.Status503ServiceUnavailable, retryAfter: TimeSpan.FromSeconds(1));

        await room.SetAsync(8);
        var raised = (await AlertingHost.ReadUntilAsync(console, n => n.Type == NotificationType.Raised)).Last();
        await Eventually.TrueAsync(() => receiver.Deliveries.Any(d => d.Accepted), "the webhook accepts the raised alert");
        // The next notification reaching the webhook shows the pump has moved past the first for good.
        await room.SetAsync(100);
        var resolved = (await AlertingHost.ReadUntilAsync(console, n => n.Type == NotificationType.Resolved)).Last();
        await Eventually.TrueAsync(() => receiver.Deliveries.Any(d => d.EventId == resolved.Id), "the webhook gets the resolution");

        var deliveries = receiver.Deliveries;
        Assert.Equal([503, 503, 200, 200], deliveries.Select(d => d.Status));
        Assert.Equal([raised.Id, raised.Id, raised.Id, resolved.Id], deliveries.Select(d => d.EventId));
        Assert.All(deliveries, d =>
        {
            Assert.True(d.SignedWith(Secret), "signed with the shared secret over timestamp.body");
            Assert.False(d.SignedWith("some-other-secret-0123456789"));
            Assert.InRange(long.Parse(d.Timestamp, System.Globalization.CultureInfo.InvariantCulture), DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds());
            Assert.StartsWith("application/json", d.ContentType, StringComparison.Ordinal);
            Assert.Equal(d.EventId, d.Notification.Id);
        });
        var delivered = deliveries[2].Notification;
        Assert.Equal((NotificationType.Raised, AlertKind.LowStock, room.Sku, 8d), (delivered.Type, delivered.Alert.Kind, delivered.Alert.Sku, delivered.Alert.Figures["atp"]));
        // protobuf JSON: lowerCamelCase field names, enums by name.
        using var json = JsonDocument.Parse(deliveries[2].Body);
        Assert.Equal("NOTIFICATION_TYPE_RAISED", json.RootElement.GetProperty("type").GetString());
        Assert.True(json.RootElement.GetProperty("alert").TryGetProperty("suggestedAction", out _));
        // The receiver asked for a second's pause on the first failure; the retry waited for it.
        Assert.True(deliveries[1].ArrivedAt - deliveries[0].ArrivedAt >= TimeSpan.FromSeconds(1), "Retry-After was honoured");
    }

    [Fact]
    public async Task AWebhookThatRefusesANotificationIsNotAskedAgainAndStillGetsTheNextOne()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var host = new AlertingHost(Redis.Configuration, Ledger, settings: Webhook("refusing", receiver.Url));
        var room = await LowStockRoom.OpenAsync(host, "HOOK-REFUSE");
        using var console = host.Client().WatchAlerts(new WatchAlertsRequest { AfterId = "0", Sku = room.Sku });
        receiver.FailNext(1, StatusCodes.Status400BadRequest);

        await room.SetAsync(8);
        var raised = (await AlertingHost.ReadUntilAsync(console, n => n.Type == NotificationType.Raised)).Last();
        await Eventually.TrueAsync(() => receiver.Deliveries.Count == 1, "the webhook refuses the raised alert");
        await room.SetAsync(100);
        var resolved = (await AlertingHost.ReadUntilAsync(console, n => n.Type == NotificationType.Resolved)).Last();
        await Eventually.TrueAsync(() => receiver.Deliveries.Any(d => d.EventId == resolved.Id), "the webhook gets the resolution");

        Assert.Equal([(raised.Id, 400), (resolved.Id, 200)], receiver.Deliveries.Select(d => (d.EventId, d.Status)));
        var deliveries = host.Services.GetRequiredService<AlertingMetrics>().Deliveries;
        // The sink counts a delivery once the receiver has answered: the receiver can note it first.
        await Eventually.TrueAsync(() => deliveries.WithLabels("webhook:refusing", "delivered").Value > 0, "the sink counts the delivery");
        Assert.Equal(1, deliveries.WithLabels("webhook:refusing", "refused").Value);
        Assert.Equal(0, deliveries.WithLabels("webhook:refusing", "failed").Value);
        Assert.Equal(1, deliveries.WithLabels("webhook:refusing", "delivered").Value);
    }

    [Fact]
    public async Task ASlowWebhookDoesNotDelayTheConsoleAndStillGetsEverythingInOrder()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var host = new AlertingHost(Redis.Configuration, Ledger, settings: Webhook("slow", receiver.Url));
        var room = await LowStockRoom.OpenAsync(host, "HOOK-SLOW");
        using var console = host.Client().WatchAlerts(new WatchAlertsRequest { AfterId = "0", Sku = room.Sku });
        receiver.Hold();

        await room.SetAsync(8);
        var raised = (await AlertingHost.ReadUntilAsync(console, n => n.Type == NotificationType.Raised)).Last();
        await Eventually.TrueAsync(() => receiver.InFlight == 1, "the webhook is stuck on the raised alert");
        await room.SetAsync(100);
        var resolved = (await AlertingHost.ReadUntilAsync(console, n => n.Type == NotificationType.Resolved)).Last();

        // The console has the resolution while the webhook still holds the alert before it.
        Assert.Equal(1, receiver.InFlight);
        Assert.Equal([raised.Id], receiver.Deliveries.Select(d => d.EventId));
        receiver.Release();
        await Eventually.TrueAsync(() => receiver.Deliveries.Count == 2 && receiver.InFlight == 0, "the webhook catches up");
        Assert.Equal([raised.Id, resolved.Id], receiver.Deliveries.Select(d => d.EventId));
    }

    [Fact]
    public async Task AWebhookGetsOnlyAlertsAtLeastAsSevereAsItsMinimum()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var host = new AlertingHost(Redis.Configuration, Ledger, settings: Webhook("pager", receiver.Url, minSeverity: "critical"));
        var room = await LowStockRoom.OpenAsync(host, "HOOK-SEVERE");
        using var console = host.Client().WatchAlerts(new WatchAlertsRequest { AfterId = "0", Sku = room.Sku });

        await room.SetAsync(8);
        await AlertingHost.ReadUntilAsync(console, n => n.Type == NotificationType.Raised);
        await room.SetAsync(0);
        var escalated = (await AlertingHost.ReadUntilAsync(console, n => n.Type == NotificationType.Escalated)).Last();
        await room.SetAsync(100);
        var resolved = (await AlertingHost.ReadUntilAsync(console, n => n.Type == NotificationType.Resolved)).Last();
        await Eventually.TrueAsync(() => receiver.Deliveries.Any(d => d.EventId == resolved.Id), "the webhook gets the resolution");

        // The warning went to the console only; the sold-out escalation and its resolution are critical.
        Assert.Equal([escalated.Id, resolved.Id], receiver.Deliveries.Select(d => d.EventId));
        Assert.Equal(Severity.Critical, receiver.Deliveries[0].Notification.Alert.Severity);
    }

    [Fact]
    [Trait(Lane.Name, Lane.Slow)]
    public async Task TwoReplicasDeliverEachNotificationToTheWebhookExactlyOnceAcrossAHandOver()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        // A long lease: only the deliberate hand-over below moves the lead, not a slow test machine.
        var settings = new Dictionary<string, string?>(Webhook("ops", receiver.Url)) { ["Alerting:LeaseSeconds"] = "10" };
        var first = new AlertingHost(Redis.Configuration, Ledger, settings: settings);
        try
        {
            _ = first.Server;
            await Eventually.TrueAsync(() => Leads(first), "the first replica leads");
            using var second = new AlertingHost(Redis.Configuration, Ledger, redisNamespace: first.Namespace, settings: settings);
            using var console = second.Client().WatchAlerts(new WatchAlertsRequest { AfterId = "0", Sku = "HOOK-TWIN" });
            var room = await LowStockRoom.OpenAsync(first, "HOOK-TWIN");

            for (var cycle = 0; cycle < 2; cycle++)
            {
                await room.SetAsync(8);
                await AlertingHost.ReadUntilAsync(console, n => n.Type == NotificationType.Raised);
                await room.SetAsync(100);
                await AlertingHost.ReadUntilAsync(console, n => n.Type == NotificationType.Resolved);
            }
            await Eventually.TrueAsync(() => receiver.Deliveries.Count(d => d.Accepted) >= 4, "the webhook has the first four");

            // The leader stops (a rolling update); the other replica takes over from the sink's cursor.
            first.Dispose();
            await Eventually.TrueAsync(() => Leads(second), "the second replica leads");
            await room.SetAsync(8, via: second);
            var last = (await AlertingHost.ReadUntilAsync(console, n => n.Type == NotificationType.Raised)).Last();
            await Eventually.TrueAsync(() => receiver.Deliveries.Any(d => d.EventId == last.Id), "the webhook gets the alert raised after the hand-over");

            using var everything = second.Client().WatchAlerts(new WatchAlertsRequest { AfterId = "0" });
            var log = await AlertingHost.ReadUntilAsync(everything, n => n.Id == last.Id);
            Assert.Equal(5, log.Count);
            Assert.Equal(log.Select(n => n.Id), receiver.Deliveries.Select(d => d.EventId));
            Assert.All(receiver.Deliveries, d => Assert.True(d.Accepted && d.SignedWith(Secret)));
        }
        finally
        {
            first.Dispose();
        }
    }

    [Fact]
    public void AWebhookWithAnUnknownMinimumSeverityStopsTheServiceNamingTheKey()
    {
        var settings = Webhook("typo", "http://127.0.0.1:9/hooks", minSeverity: "Urgent");
        using var host = new AlertingHost(Redis.Configuration, Ledger, settings: settings);

        var error = Assert.ThrowsAny<Exception>(() => host.Server);

        Assert.Contains("Alerting:Webhooks:0:MinSeverity", error.Message, StringComparison.Ordinal);
    }

    private static bool Leads(AlertingHost host) => host.Services.GetRequiredService<LeaderLease>().Current is not null;

    /// <summary>
    /// A live room in the US featuring one SKU, with only the low-stock check on (at or below 10
    /// units; clear again from 12, the 20% re-arm margin; no cool-down), and the SKU's stock at us-east.
    /// </summary>
    private sealed class LowStockRoom
    {
        private readonly AlertingHost _host;
        private long _version;

        private LowStockRoom(AlertingHost host, string sku)
        {
            _host = host;
            Sku = sku;
        }

        public string Sku { get; }

        public static async Task<LowStockRoom> OpenAsync(AlertingHost host, string sku)
        {
            var room = new LowStockRoom(host, sku);
            await room.SetAsync(100);
            var client = host.Client();
            // The service must see the healthy figure before the room goes live, or its first look
            // could find nothing in stock and raise "sold out".
            await Eventually.TrueAsync(async () => (await client.PreflightAsync(new PreflightRequest { Skus = { sku }, Market = "US" })).Verdicts[0].AvailableToPromise == 100,
                "the service sees the opening stock");
            await client.SetRuleAsync(new Rule
            {
                RoomId = "room-" + sku,
                LowStockUnits = 10,
                LowStockPercent = 0,
                SellOutHorizon = Duration.FromTimeSpan(TimeSpan.Zero),
                TrendRiseFactor = 0,
                ShortageUnits = 0,
                CoolDown = Duration.FromTimeSpan(TimeSpan.Zero),
            });
            await client.UpsertStreamAsync(new LiveStream
            {
                Id = "room-" + sku,
                Market = "US",
                Skus = { sku },
                StartsAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(-1)),
                EndsAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(2)),
            });
            return room;
        }

        public Task SetAsync(long available, AlertingHost? via = null) => (via ?? _host).SetStockAsync("us-east", Sku, available, ++_version);
    }
}
