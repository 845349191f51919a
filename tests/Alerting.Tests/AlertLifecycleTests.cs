using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Stockcast.Alerting.Delivery;
using Stockcast.Alerting.V1;
using Stockcast.Testing;
using StackExchange.Redis;

namespace Stockcast.Alerting.Tests;

/// <summary>Alerts from real ledger changes: dedup, hysteresis, escalation, restart, replicas.</summary>
public sealed class AlertLifecycleTests(RedisServerFixture redis) : LedgerPerTest(redis, r => AlertingHost.StartLedgerAsync(r))
{
    /// <summary>Room rule: warn at 10 units, no percentage, re-arm 20 % above, no cool-down.</summary>
    private static async Task SetUpRoomAsync(AlertingHost host, string sku, bool startStockRecorded = true)
    {
        await host.Client().SetRuleAsync(new Rule { RoomId = "room-1", LowStockUnits = 10, LowStockPercent = 0, RearmMarginPercent = 20, CoolDown = Duration.FromTimeSpan(TimeSpan.Zero) });
        await host.Client().UpsertStreamAsync(AlertingHost.LiveNow("room-1", "US", 3, sku));
        if (!startStockRecorded)
        {
            return;
        }
        await Eventually.TrueAsync(async () => (await host.Client().ListStreamsAsync(new ListStreamsRequest())).Streams.Single().StartStock.ContainsKey(sku), "the stream's start stock is recorded");
    }

    private static async Task WaitForFiguresAsync(AlertingHost host, string sku, long atp)
        => await Eventually.TrueAsync(async () =>
            (await host.Client().ListAlertsAsync(new ListAlertsRequest { Sku = sku, Kind = AlertKind.LowStock })).Alerts.SingleOrDefault() is { } a && a.Figures["atp"] == atp,
            $"the open alert shows {atp} left");

    [Fact]
    public async Task AFeaturedSkuWithNoStockRecordYetIsNotSoldOutAndItsStartStockIsTheFirstFigureThatArrives()
    {
        using var host = new AlertingHost(Redis.Configuration, Ledger);
        // Featured before the ledger holds it: the view (a moment behind the ledger) has no record of it.
        await SetUpRoomAsync(host, "TEE-1", startStockRecorded: false);
        // The room's only SKU has been judged (nothing else is evaluated on this host) before its stock arrives.
        await Eventually.TrueAsync(async () => System.Text.RegularExpressions.Regex.IsMatch(await host.MetricsAsync(), @"(?m)^stockcast_alerting_rule_evaluations_total [1-9]"), "the featured SKU is evaluated");
        await host.SetStockAsync("us-east", "TEE-1", 100, 1);

        await Eventually.TrueAsync(async () => (await host.Client().ListStreamsAsync(new ListStreamsRequest())).Streams.Single().StartStock.ContainsKey("TEE-1"), "the stream's start stock is recorded");

        Assert.Equal(100, (await host.Client().ListStreamsAsync(new ListStreamsRequest())).Streams.Single().StartStock["TEE-1"]);
        Assert.Empty((await host.Client().ListAlertsAsync(new ListAlertsRequest { Sku = "TEE-1", IncludeResolved = true })).Alerts);
    }

    [Fact]
    public async Task ALowStockAlertFiresOnceEscalatesAtZeroAndRearmsOnlyAfterRecoveringPastTheMargin()
    {
        using var host = new AlertingHost(Redis.Configuration, Ledger);
        await host.SetStockAsync("us-east", "TEE-1", 100, 1);
        await SetUpRoomAsync(host, "TEE-1");
        using var console = host.Client().WatchAlerts(new WatchAlertsRequest { AfterId = "0", Sku = "TEE-1" });

        await host.SetStockAsync("us-east", "TEE-1", 9, 2);
        var raised = (await AlertingHost.ReadUntilAsync(console, n => n.Alert.Kind == AlertKind.LowStock)).Last();
        await host.SetStockAsync("us-east", "TEE-1", 8, 3);
        await WaitForFiguresAsync(host, "TEE-1", 8);
        await host.SetStockAsync("us-east", "TEE-1", 11, 4); // above the threshold, below the re-arm level (12)
        await WaitForFiguresAsync(host, "TEE-1", 11);
        await host.SetStockAsync("us-east", "TEE-1", 0, 5);
        var escalated = (await AlertingHost.ReadUntilAsync(console, n => n.Alert.Kind == AlertKind.LowStock)).Last();
        await host.SetStockAsync("us-east", "TEE-1", 12, 6);
        var resolved = (await AlertingHost.ReadUntilAsync(console, n => n.Alert.Kind == AlertKind.LowStock)).Last();
        await host.SetStockAsync("us-east", "TEE-1", 9, 7);
        var again = (await AlertingHost.ReadUntilAsync(console, n => n.Alert.Kind == AlertKind.LowStock)).Last();

        Assert.Equal((NotificationType.Raised, Severity.Warning, "TEE-1: only 9 left for US (threshold 10)", 100.0), (raised.Type, raised.Alert.Severity, raised.Alert.Message, raised.Alert.Figures["start_stock"]));
        Assert.Equal((NotificationType.Escalated, Severity.Critical, raised.Alert.Id), (escalated.Type, escalated.Alert.Severity, escalated.Alert.Id));
        Assert.Equal("TEE-1 is sold out for US", escalated.Alert.Message);
        Assert.Equal((NotificationType.Resolved, raised.Alert.Id, "recovered"), (resolved.Type, resolved.Alert.Id, resolved.Alert.Resolution));
        Assert.Equal(NotificationType.Raised, again.Type);
        Assert.NotEqual(raised.Alert.Id, again.Alert.Id);
        var raisedWarnings = host.Services.GetRequiredService<AlertingMetrics>().Alerts.WithLabels("Raised", "LowStock", "Warning");
        // An alert is counted just after its notification is out, so the console can read it first.
        await Eventually.TrueAsync(() => raisedWarnings.Value >= 2, "both raised warnings are counted");
        Assert.Contains("stockcast_alerting_alerts_total{type=\"Raised\",kind=\"LowStock\",severity=\"Warning\"} 2\n", await host.MetricsAsync());
    }

    [Fact]
    public async Task AGarbageEntryInTheNotificationStreamIsSkippedByTheWatchAndCountedOnce()
    {
        using var host = new AlertingHost(Redis.Configuration, Ledger);
        var log = host.Services.GetRequiredService<NotificationLog>();
        await log.Stream.AppendAsync(new AlertNotification { Type = NotificationType.Raised, Alert = new Alert { Id = "before", Sku = "GARBLED" } });
        await host.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase()
            .StreamAddAsync(log.Stream.Key, "not-the-message-field", "garbage");
        await log.Stream.AppendAsync(new AlertNotification { Type = NotificationType.Raised, Alert = new Alert { Id = "after", Sku = "GARBLED" } });

        foreach (var _ in new[] { "one console", "another console" })
        {
            using var console = host.Client().WatchAlerts(new WatchAlertsRequest { AfterId = "0", Sku = "GARBLED" });
            var read = await AlertingHost.ReadUntilAsync(console, n => n.Alert.Id == "after");
            Assert.Equal(["before", "after"], read.Select(n => n.Alert.Id));
        }
        Assert.Contains("stockcast_malformed_entries_total{stream=\"alert-notifications\"} 1\n", await host.MetricsAsync());
    }

    [Fact]
    public async Task AfterResolvingTheSameConditionStaysQuietForItsCoolDown()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var host = new AlertingHost(Redis.Configuration, Ledger, clock: clock);
        foreach (var sku in new[] { "COOL-A", "COOL-B", "COOL-C" })
        {
            await host.SetStockAsync("us-east", sku, 100, 1);
        }
        await host.Client().SetRuleAsync(new Rule { RoomId = "room-4", LowStockUnits = 10, LowStockPercent = 0, CoolDown = Duration.FromTimeSpan(TimeSpan.FromMinutes(10)) });
        var stream = AlertingHost.LiveNow("room-4", "US", 3, "COOL-A", "COOL-B", "COOL-C");
        stream.StartsAt = Timestamp.FromDateTimeOffset(clock.GetUtcNow().AddMinutes(-1));
        stream.EndsAt = Timestamp.FromDateTimeOffset(clock.GetUtcNow().AddHours(3));
        await host.Client().UpsertStreamAsync(stream);
        using var console = host.Client().WatchAlerts(new WatchAlertsRequest { AfterId = "0", RoomId = "room-4" });

        await host.SetStockAsync("us-east", "COOL-A", 5, 2);
        await AlertingHost.ReadUntilAsync(console, n => n.Alert.Sku == "COOL-A" && n.Type == NotificationType.Raised);
        await host.SetStockAsync("us-east", "COOL-A", 50, 3);
        await AlertingHost.ReadUntilAsync(console, n => n.Alert.Sku == "COOL-A" && n.Type == NotificationType.Resolved);
        await host.SetStockAsync("us-east", "COOL-A", 5, 4); // low again, within the cool-down
        // Markers changed after COOL-A: once C's alert is out, A's change has been evaluated too.
        await host.SetStockAsync("us-east", "COOL-B", 5, 2);
        var quiet = await AlertingHost.ReadUntilAsync(console, n => n.Alert.Sku == "COOL-B");
        await host.SetStockAsync("us-east", "COOL-C", 5, 2);
        quiet.AddRange(await AlertingHost.ReadUntilAsync(console, n => n.Alert.Sku == "COOL-C"));
        Assert.DoesNotContain(quiet, n => n.Alert.Sku == "COOL-A");

        var again = Task.Run(() => AlertingHost.ReadUntilAsync(console, n => n.Alert.Sku == "COOL-A"));
        await Eventually.TrueAsync(() =>
        {
            clock.Advance(TimeSpan.FromMinutes(1));
            return again.IsCompleted;
        }, "the cool-down ends and the still-low SKU is raised again");
        Assert.Equal(NotificationType.Raised, (await again).Last().Type);
        Assert.True(clock.GetUtcNow() - quiet[0].Alert.RaisedAt.ToDateTimeOffset() >= TimeSpan.FromMinutes(10));
    }

    [Fact]
    public async Task AMarketOutOfStockWhileAnotherMarketsWarehouseHoldsSomeSuggestsATransfer()
    {
        using var host = new AlertingHost(Redis.Configuration, Ledger);
        await host.SetStockAsync("us-east", "MUG-1", 0, 1);
        await host.SetStockAsync("eu-central", "MUG-1", 300, 1);
        using var console = host.Client().WatchAlerts(new WatchAlertsRequest { AfterId = "0", Sku = "MUG-1" });

        await host.Client().UpsertStreamAsync(AlertingHost.LiveNow("room-2", "US", 2, "MUG-1"));

        var shortage = (await AlertingHost.ReadUntilAsync(console, n => n.Alert.Kind == AlertKind.RegionalShortage)).Last().Alert;
        Assert.Equal((Severity.Critical, "US", "eu-central"), (shortage.Severity, shortage.Market, shortage.Transfer.FromWarehouseId));
        Assert.Equal(40, shortage.Transfer.Units); // twice the default low-stock level of 20, no pace yet
        Assert.Equal("transfer 40 units from eu-central to a warehouse serving US", shortage.SuggestedAction);
        Assert.Equal("US has 0 of MUG-1 while eu-central holds 300 for other markets", shortage.Message);
    }

    [Fact]
    public async Task AlertStateSurvivesARestartSoAnOpenAlertIsNeitherRaisedAgainNorLost()
    {
        var ns = "a" + Guid.NewGuid().ToString("N")[..12];
        string alertId;
        using (var first = new AlertingHost(Redis.Configuration, Ledger, ns))
        {
            await first.SetStockAsync("us-east", "CAP-1", 50, 1);
            await SetUpRoomAsync(first, "CAP-1");
            using var console = first.Client().WatchAlerts(new WatchAlertsRequest { AfterId = "0" });
            await first.SetStockAsync("us-east", "CAP-1", 5, 2);
            alertId = (await AlertingHost.ReadUntilAsync(console, n => n.Alert.Kind == AlertKind.LowStock)).Last().Alert.Id;
        }

        using var second = new AlertingHost(Redis.Configuration, Ledger, ns);
        await second.SetStockAsync("us-east", "CAP-1", 4, 3);
        await WaitForFiguresAsync(second, "CAP-1", 4);
        await second.SetStockAsync("us-east", "CAP-1", 40, 4);
        using var log = second.Client().WatchAlerts(new WatchAlertsRequest { AfterId = "0" });
        var all = await AlertingHost.ReadUntilAsync(log, n => n.Type == NotificationType.Resolved);

        Assert.Equal([NotificationType.Raised, NotificationType.Resolved], all.Where(n => n.Alert.Kind == AlertKind.LowStock).Select(n => n.Type));
        Assert.All(all, n => Assert.Equal(alertId, n.Alert.Id));
        Assert.Equal(40, (await second.Client().ListAlertsAsync(new ListAlertsRequest { IncludeResolved = true, Sku = "CAP-1" })).Alerts.Single().Figures["atp"]);
    }

    [Fact]
    public async Task TwoReplicasSendEachNotificationOnceAndTheSurvivorCarriesOnWhenTheLeaderStops()
    {
        var ns = "a" + Guid.NewGuid().ToString("N")[..12];
        var a = new AlertingHost(Redis.Configuration, Ledger, ns);
        using var b = new AlertingHost(Redis.Configuration, Ledger, ns);
        await a.SetStockAsync("us-east", "BAG-1", 50, 1);
        await SetUpRoomAsync(a, "BAG-1");
        _ = b.Server; // both running
        using var console = b.Client().WatchAlerts(new WatchAlertsRequest { AfterId = "0", Sku = "BAG-1" });

        long version = 2;
        for (var round = 0; round < 3; round++)
        {
            if (round == 2)
            {
                a.Dispose(); // whichever led, one replica is left
            }
            await b.SetStockAsync("us-east", "BAG-1", 3, version++);
            await AlertingHost.ReadUntilAsync(console, n => n.Type == NotificationType.Raised);
            await b.SetStockAsync("us-east", "BAG-1", 30, version++);
            await AlertingHost.ReadUntilAsync(console, n => n.Type == NotificationType.Resolved);
        }

        var everything = await b.Client().ListAlertsAsync(new ListAlertsRequest { IncludeResolved = true, Sku = "BAG-1" });
        Assert.Equal(3, everything.Alerts.Count);
        using var replay = b.Client().WatchAlerts(new WatchAlertsRequest { AfterId = "0", Sku = "BAG-1" });
        var log = await AlertingHost.ReadUntilAsync(replay, n => n.Type == NotificationType.Resolved && n.Alert.Id == everything.Alerts.OrderBy(x => x.RaisedAt.ToDateTimeOffset()).Last().Id);
        Assert.Equal(6, log.Count);
        Assert.Equal(3, log.Count(n => n.Type == NotificationType.Raised));
    }

    [Fact]
    public async Task RulesNeedAnAdminKeyAndABadRuleIsRefusedNamingItsField()
    {
        using var host = new AlertingHost(Redis.Configuration, Ledger);

        var anonymous = await Assert.ThrowsAsync<RpcException>(async () => await host.Client(key: null).SetRuleAsync(new Rule { Sku = "X", LowStockUnits = 1 }));
        var writer = await Assert.ThrowsAsync<RpcException>(async () => await host.Client(AlertingHost.WriterKey).SetRuleAsync(new Rule { Sku = "X", LowStockUnits = 1 }));
        var bad = await Assert.ThrowsAsync<RpcException>(async () => await host.Client().SetRuleAsync(new Rule { Sku = "X", LowStockPercent = 130 }));
        var noScope = await Assert.ThrowsAsync<RpcException>(async () => await host.Client().SetRuleAsync(new Rule { LowStockUnits = 1 }));
        var badStream = await Assert.ThrowsAsync<RpcException>(async () => await host.Client().UpsertStreamAsync(new LiveStream { Id = "r", Market = "US", Skus = { "A" }, StartsAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow) }));

        Assert.Equal(StatusCode.Unauthenticated, anonymous.StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, writer.StatusCode);
        Assert.Equal((StatusCode.InvalidArgument, "low_stock_percent"), (bad.StatusCode, bad.Trailers.GetValue("stockcast-field")));
        Assert.Equal("scope", noScope.Trailers.GetValue("stockcast-field"));
        Assert.Equal("ends_at", badStream.Trailers.GetValue("stockcast-field"));
        Assert.Empty((await host.Client().ListRulesAsync(new ListRulesRequest())).Rules);
        Assert.Empty((await host.Client().ListStreamsAsync(new ListStreamsRequest())).Streams);
    }
}
