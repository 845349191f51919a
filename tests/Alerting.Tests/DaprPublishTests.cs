using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Stockcast.Alerting.Delivery;
using Stockcast.Alerting.Tests.Dapr;
using Stockcast.Alerting.Tests.Dapr.Runtime;
using Stockcast.Alerting.V1;
using Stockcast.Testing;
using StackExchange.Redis;

namespace Stockcast.Alerting.Tests;

/// <summary>
/// Alerts out through Dapr pub/sub: the service's real DaprClient publishing over gRPC to a test
/// sidecar that serves Dapr's own runtime API (dapr.proto.runtime.v1.Dapr/PublishEvent).
/// </summary>
public sealed class DaprPublishTests(RedisServerFixture redis) : LedgerPerTest(redis, r => AlertingHost.StartLedgerAsync(r))
{
    private const string PubSub = "platform-alerts";
    private const string Topic = "stockcast-alerts-us";
    private const string DaprApiToken = "dapr-api-token-for-tests-0123456789";
    private TestSidecar _sidecar = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _sidecar = await TestSidecar.StartAsync();
    }

    public override async Task DisposeAsync()
    {
        await _sidecar.DisposeAsync();
        await base.DisposeAsync();
    }

    private AlertingHost Host() => new(Redis.Configuration, Ledger, settings: new Dictionary<string, string?>
    {
        ["Alerting:Dapr:PubSubName"] = PubSub,
        ["Alerting:Dapr:AppApiToken"] = "app-api-token-for-tests-0123456789",
        ["Alerting:Dapr:AlertsTopic"] = Topic,
        ["Alerting:Dapr:GrpcEndpoint"] = _sidecar.GrpcEndpoint,
        // Only gRPC may be used to publish: the sidecar's HTTP port is one nobody listens on.
        ["DAPR_HTTP_ENDPOINT"] = $"http://127.0.0.1:{Launch.FreePort.Next()}",
        // The sidecar's API token, as Dapr injects it (DAPR_API_TOKEN): Dapr's client sends it itself.
        ["DAPR_API_TOKEN"] = DaprApiToken,
    });

    private static IDatabase Database(AlertingHost host) => host.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();

    private static RedisKey SinkCursor(AlertingHost host) => $"{{{host.Namespace}}}:al:sink:dapr";

    /// <summary>
    /// A LOW_STOCK alert for a fresh SKU (rule: warn at 10; the US warehouse holds 3), raised once the
    /// Dapr sink is following the notification log (a new sink starts from "now").
    /// </summary>
    private static async Task<(string Sku, AlertNotification Raised)> RaiseLowStockAsync(AlertingHost host, AsyncServerStreamingCall<AlertNotification> console)
    {
        await Eventually.TrueAsync(async () => await Database(host).KeyExistsAsync(SinkCursor(host)), "the Dapr sink follows the notification log");
        var sku = "SERUM-" + Guid.NewGuid().ToString("N")[..8];
        await host.Client().SetRuleAsync(new Rule { Sku = sku, LowStockUnits = 10 });
        await host.SetStockAsync("us-east", sku, available: 3, version: 1);
        var seen = await AlertingHost.ReadUntilAsync(console, n => n.Alert.Sku == sku && n.Type == NotificationType.Raised);
        return (sku, seen[^1]);
    }

    private List<PublishEventRequestView> PublishedFor(string sku)
        => [.. _sidecar.Published.Select(PublishEventRequestView.Of).Where(p => p.Notification.Alert.Sku == sku)];

    [Fact]
    public async Task ARaisedAlertIsPublishedThroughTheSidecarsGrpcApi()
    {
        using var host = Host();
        using var console = host.Client().WatchAlerts(new WatchAlertsRequest { AfterId = "0" });

        var (sku, raised) = await RaiseLowStockAsync(host, console);

        await Eventually.TrueAsync(() => PublishedFor(sku).Count > 0, "the sidecar was asked to publish the alert");
        var published = Assert.Single(PublishedFor(sku));
        Assert.All(_sidecar.Calls, path => Assert.Equal("/dapr.proto.runtime.v1.Dapr/PublishEvent", path));
        Assert.Equal(DaprApiToken, _sidecar.LastApiToken);
        Assert.Equal(PubSub, published.Request.PubsubName);
        Assert.Equal(Topic, published.Request.Topic);
        Assert.Equal("application/json", published.Request.DataContentType);
        // The CloudEvent id Dapr will use is the notification id receivers dedupe on.
        Assert.Equal(raised.Id, published.Request.Metadata["cloudevent.id"]);
        Assert.Equal(DaprSink.EventType, published.Request.Metadata["cloudevent.type"]);
        var alert = published.Notification;
        Assert.Equal(raised.Id, alert.Id);
        Assert.Equal(NotificationType.Raised, alert.Type);
        Assert.Equal(AlertKind.LowStock, alert.Alert.Kind);
        Assert.Equal(Severity.Warning, alert.Alert.Severity);
        Assert.Equal(raised.Alert.Id, alert.Alert.Id);
        Assert.Equal("US", alert.Alert.Market);
        Assert.Equal(3d, alert.Alert.Figures["atp"]);
        // Plain protobuf JSON, as any subscriber reads it.
        var json = JsonNode.Parse(published.Request.Data.Span)!;
        Assert.Equal(raised.Id, json["id"]!.GetValue<string>());
        Assert.Equal("ALERT_KIND_LOW_STOCK", json["alert"]!["kind"]!.GetValue<string>());
        Assert.Equal(sku, json["alert"]!["sku"]!.GetValue<string>());
        Assert.Equal("SEVERITY_WARNING", json["alert"]!["severity"]!.GetValue<string>());
    }

    [Fact]
    [Trait(Lane.Name, Lane.Slow)]
    public async Task AnAlertIsPublishedOnceAfterTheSidecarRecoversAndTheConsoleIsNotKeptWaiting()
    {
        using var host = Host();
        using var console = host.Client().WatchAlerts(new WatchAlertsRequest { AfterId = "0" });
        _sidecar.Fail();
        var refusedBefore = _sidecar.FailedCalls;

        var (sku, raised) = await RaiseLowStockAsync(host, console);

        // The console had the alert while every publish was still being refused.
        Assert.Empty(PublishedFor(sku));
        await Eventually.TrueAsync(() => _sidecar.FailedCalls >= refusedBefore + 3, "the Dapr sink retried the publish");
        _sidecar.Recover();
        await Eventually.TrueAsync(async () => (string?)await Database(host).StringGetAsync(SinkCursor(host)) == raised.Id, "the Dapr sink moved past the alert");
        var published = Assert.Single(PublishedFor(sku));
        Assert.Equal(raised.Id, published.Request.Metadata["cloudevent.id"]);
        Assert.All(_sidecar.Refused.Skip(refusedBefore).Select(PublishEventRequestView.Of).Where(r => r.Notification.Alert.Sku == sku),
            refused => Assert.Equal(raised.Id, refused.Notification.Id));
    }

    [Fact]
    public void AMalformedSidecarAddressStopsTheServiceAtStartUpNamingTheSetting()
    {
        using var host = new AlertingHost(Redis.Configuration, Ledger, settings: new Dictionary<string, string?>
        {
            ["Alerting:Dapr:PubSubName"] = PubSub,
            ["Alerting:Dapr:GrpcEndpoint"] = "127.0.0.1:50001",
        });

        var error = Assert.Throws<OptionsValidationException>(() => host.Server);

        Assert.Contains("Alerting:Dapr:GrpcEndpoint", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A publish request with its payload read back as the notification it carries.</summary>
    private sealed record PublishEventRequestView(PublishEventRequest Request, AlertNotification Notification)
    {
        private static readonly JsonParser Parser = new(JsonParser.Settings.Default);

        public static PublishEventRequestView Of(PublishEventRequest request)
            => new(request, Parser.Parse<AlertNotification>(request.Data.ToStringUtf8()));
    }
}
