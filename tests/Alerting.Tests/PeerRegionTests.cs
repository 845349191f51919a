using Microsoft.Extensions.Options;
using Stockcast.Alerting.V1;
using Stockcast.Testing;

namespace Stockcast.Alerting.Tests;

/// <summary>
/// Two regions as two real ledgers on their own Redis namespaces: alerting follows the US ledger and
/// reads the EU ledger as a peer, for transfers across regions and global totals only.
/// </summary>
public sealed class PeerRegionTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private const int PeerStaleSeconds = 5;
    private const string PeerUp = "stockcast_ledger_client_up{ledger=\"eu\"} ";

    /// <summary>The US region's ledger (US warehouses only) and the EU region's (a German warehouse), quick to report progress.</summary>
    private async Task<Regions> StartRegionsAsync()
    {
        var us = new LedgerProcess(redis.Configuration, new Dictionary<string, string>
        {
            ["Ledger:Warehouses:0:Id"] = "us-east",
            ["Ledger:Warehouses:0:Region"] = "us-east",
            ["Ledger:Warehouses:0:Markets:0"] = "US",
        });
        var eu = new LedgerProcess(redis.Configuration, new Dictionary<string, string>
        {
            ["Ledger:Warehouses:0:Id"] = "de-fra-ck1",
            ["Ledger:Warehouses:0:Region"] = "eu-central",
            ["Ledger:Warehouses:0:Markets:0"] = "DE",
            ["Ledger:Warehouses:0:Markets:1"] = "FR",
            ["Ledger:WatchProgressIntervalSeconds"] = "1",
        });
        await Task.WhenAll(us.StartAsync(), eu.StartAsync());
        return new Regions(us, eu);
    }

    private sealed record Regions(LedgerProcess Us, LedgerProcess Eu) : IDisposable
    {
        public void Dispose()
        {
            Us.Dispose();
            Eu.Dispose();
        }
    }

    private AlertingHost UsAlerting(LedgerProcess us, LedgerProcess eu) => new(redis.Configuration, us, settings: new Dictionary<string, string?>
    {
        ["Alerting:PeerLedgers:0:Region"] = "eu",
        ["Alerting:PeerLedgers:0:Address"] = eu.GrpcAddress.ToString(),
        ["Alerting:PeerLedgers:0:ApiKey"] = LedgerProcess.WriterKey,
        ["Alerting:PeerStaleSeconds"] = PeerStaleSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Alerting:EvaluateEverySeconds"] = "1",
    });

    [Fact]
    public async Task AUsRoomOutOfStockInTheUsIsOfferedATransferFromTheEuWarehouseWithTheGlobalTotal()
    {
        using var regions = await StartRegionsAsync();
        var (us, eu) = regions;
        using var host = UsAlerting(us, eu);
        await host.SetStockAsync("us-east", "ALPACA-1", 0, 1);
        await AlertingHost.SetStockAsync(eu, "de-fra-ck1", "ALPACA-1", 480, 1);
        using var console = host.Client().WatchAlerts(new WatchAlertsRequest { AfterId = "0", Sku = "ALPACA-1" });

        await host.Client().UpsertStreamAsync(AlertingHost.LiveNow("room-us", "US", 2, "ALPACA-1"));

        var shortage = (await AlertingHost.ReadUntilAsync(console, n => n.Alert.Kind == AlertKind.RegionalShortage && n.Alert.Transfer?.FromRegion == "eu")).Last().Alert;
        Assert.Equal((Severity.Critical, "US", "de-fra-ck1", 40L), (shortage.Severity, shortage.Market, shortage.Transfer.FromWarehouseId, shortage.Transfer.Units));
        Assert.Equal("transfer 40 units from de-fra-ck1 (eu region) to a warehouse serving US", shortage.SuggestedAction);
        Assert.Equal("US has 0 of ALPACA-1 while de-fra-ck1 (eu region) holds 480 for other markets", shortage.Message);
        Assert.Equal((0.0, 480.0), (shortage.Figures["atp"], shortage.Figures["global_atp"]));

        var verdict = (await host.Client().PreflightAsync(new PreflightRequest { RoomId = "room-us" })).Verdicts.Single();
        Assert.Equal((Verdict.Out, 0L), (verdict.Verdict, verdict.AvailableToPromise));
        Assert.Equal("0 available to promise in US; 480 in the eu region", verdict.Reason);
        Assert.Equal("transfer from de-fra-ck1 (eu region) (480 there)", verdict.SuggestedAction);
    }

    [Fact]
    public async Task EuStockNeverChangesTheUsFiguresOrItsLowStockAlert()
    {
        using var regions = await StartRegionsAsync();
        var (us, eu) = regions;
        using var host = UsAlerting(us, eu);
        await host.SetStockAsync("us-east", "ALPACA-2", 8, 1);
        await AlertingHost.SetStockAsync(eu, "de-fra-ck1", "ALPACA-2", 480, 1);
        using var console = host.Client().WatchAlerts(new WatchAlertsRequest { AfterId = "0", Sku = "ALPACA-2" });
        await host.Client().UpsertStreamAsync(AlertingHost.LiveNow("room-us", "US", 2, "ALPACA-2"));
        var low = (await AlertingHost.ReadUntilAsync(console, n => n.Alert.Kind == AlertKind.LowStock)).Last().Alert;

        // Once Preflight names the EU stock, the peer's figures are in and every rule has seen them.
        PreflightResponse? checkedWithPeer = null;
        await Eventually.TrueAsync(async () =>
        {
            checkedWithPeer = await host.Client().PreflightAsync(new PreflightRequest { RoomId = "room-us" });
            return checkedWithPeer.Verdicts.Single().Reason.EndsWith("; 480 in the eu region", StringComparison.Ordinal);
        }, "Preflight names the EU region's stock");
        await AlertingHost.SetStockAsync(eu, "de-fra-ck1", "ALPACA-2", 900, 2);
        await Eventually.TrueAsync(async () => (await host.Client().PreflightAsync(new PreflightRequest { RoomId = "room-us" })).Verdicts.Single().Reason.EndsWith("; 900 in the eu region", StringComparison.Ordinal), "the EU region's change reached the peer view");
        var open = (await host.Client().ListAlertsAsync(new ListAlertsRequest { Sku = "ALPACA-2" })).Alerts;

        var verdict = checkedWithPeer!.Verdicts.Single();
        Assert.Equal((Verdict.Low, 8L), (verdict.Verdict, verdict.AvailableToPromise));
        var stillLow = Assert.Single(open, a => a.Kind == AlertKind.LowStock);
        Assert.Equal((low.Id, 8.0, "ALPACA-2: only 8 left for US (threshold 20)"), (stillLow.Id, stillLow.Figures["atp"], stillLow.Message));
        Assert.DoesNotContain("de-fra-ck1", stillLow.SuggestedAction, StringComparison.Ordinal);
        Assert.DoesNotContain(open, a => a.Kind == AlertKind.RegionalShortage); // 8 is above the shortage level, whatever the EU holds
    }

    [Fact]
    [Trait(Lane.Name, Lane.Slow)]
    public async Task WhenThePeerLedgerStopsLocalAlertsKeepWorkingPeerUpGoesToZeroAndItsStockStopsBeingOffered()
    {
        using var regions = await StartRegionsAsync();
        var (us, eu) = regions;
        using var host = UsAlerting(us, eu);
        await host.SetStockAsync("us-east", "ALPACA-3", 0, 1);
        await host.SetStockAsync("us-east", "ALPACA-4", 100, 1);
        await AlertingHost.SetStockAsync(eu, "de-fra-ck1", "ALPACA-3", 480, 1);
        using var console = host.Client().WatchAlerts(new WatchAlertsRequest { AfterId = "0" }); // a shortage is per market, not per room
        await host.Client().UpsertStreamAsync(AlertingHost.LiveNow("room-us", "US", 2, "ALPACA-3", "ALPACA-4"));
        var shortage = (await AlertingHost.ReadUntilAsync(console, n => n.Alert.Kind == AlertKind.RegionalShortage)).Last().Alert;
        Assert.Contains(PeerUp + "1", await host.MetricsAsync());

        eu.Stop();

        await Eventually.TrueAsync(async () => (await host.MetricsAsync()).Contains(PeerUp + "0", StringComparison.Ordinal), "peer_up for the EU region drops to 0");
        await host.SetStockAsync("us-east", "ALPACA-4", 3, 2);
        var low = (await AlertingHost.ReadUntilAsync(console, n => n.Alert.Kind == AlertKind.LowStock && n.Alert.Sku == "ALPACA-4")).Last();
        Assert.Equal(NotificationType.Raised, low.Type);
        Assert.StartsWith("ALPACA-4: only 3 left for US", low.Alert.Message, StringComparison.Ordinal);
        // Past the bound the EU figures count for nothing: no transfer source is left, so the shortage resolves.
        var resolved = (await AlertingHost.ReadUntilAsync(console, n => n.Alert.Kind == AlertKind.RegionalShortage && n.Type == NotificationType.Resolved)).Last();
        Assert.Equal(shortage.Id, resolved.Alert.Id);
        Assert.True(resolved.Alert.ResolvedAt.ToDateTimeOffset() - shortage.RaisedAt.ToDateTimeOffset() >= TimeSpan.FromSeconds(PeerStaleSeconds - 2)); // the peer answered about every second until stopped
    }

    [Theory]
    [InlineData("EU!", "http://ledger.eu:443", "Alerting:PeerLedgers:0:Region")]
    [InlineData("eu", "ledger.eu:443", "Alerting:PeerLedgers:0:Address")]
    [InlineData("eu", "", "Alerting:PeerLedgers:0:Address")]
    public void BadPeerSettingsStopTheServiceAtStartUpNamingTheField(string region, string address, string field)
    {
        using var ledger = new LedgerProcess(redis.Configuration);
        using var host = new AlertingHost(redis.Configuration, ledger, settings: new Dictionary<string, string?>
        {
            ["Alerting:PeerLedgers:0:Region"] = region,
            ["Alerting:PeerLedgers:0:Address"] = address,
        });

        var error = Assert.Throws<OptionsValidationException>(() => host.Server);

        Assert.Contains(field, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void APeerPointingAtTheRegionsOwnLedgerIsRefused()
    {
        using var ledger = new LedgerProcess(redis.Configuration);
        using var host = new AlertingHost(redis.Configuration, ledger, settings: new Dictionary<string, string?>
        {
            ["Alerting:PeerLedgers:0:Region"] = "eu",
            ["Alerting:PeerLedgers:0:Address"] = ledger.GrpcAddress.ToString(),
        });

        var error = Assert.Throws<OptionsValidationException>(() => host.Server);

        Assert.Contains("Alerting:PeerLedgers:0:Address is this region's own ledger", error.Message, StringComparison.Ordinal);
    }
}
