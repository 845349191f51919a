using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Stockcast.Alerting.V1;
using Stockcast.Testing;
using Stockcast.Testing.BadInput;

namespace Stockcast.Alerting.Tests;

/// <summary>
/// Thousands of generated bad requests to every method of the alerting API (rules, products, live
/// streams, signals, preflight, alerts): each refused with a client status naming the field, or taken
/// as valid; a refused one changes no rule or stream; the service still answers afterwards.
/// </summary>
public sealed class BadRequestTests(RedisServerFixture redis) : LedgerPerTest(redis, AlertingHost.StartLedgerAsync)
{
    private const int PerMethod = 170;

    [Fact]
    public async Task GeneratedBadRequestsAreRefusedNamingTheFieldAndChangeNothing()
    {
        using var host = new AlertingHost(Redis.Configuration, Ledger);
        await host.WaitReadyAsync();
        var client = host.Client();
        var stream = AlertingHost.LiveNow("room-1", "US", 2, "TEE-1", "HOOD-1");
        await client.UpsertStreamAsync(stream);
        var fuzz = new GrpcFuzz(host.Channel(AlertingHost.AdminKey).CreateCallInvoker(), V1.Alerting.Descriptor, async () =>
        {
            var rules = await client.ListRulesAsync(new ListRulesRequest());
            var streams = await client.ListStreamsAsync(new ListStreamsRequest());
            // What the service records by itself as time passes (a stream's start stock, alerts) is no request's doing.
            foreach (var s in streams.Streams)
            {
                s.StartStock.Clear();
            }
            return $"{rules} {streams}";
        });
        var seeds = new Dictionary<string, IMessage[]>
        {
            ["SetRule"] =
            [
                new Rule { Sku = "TEE-1", LowStockUnits = 10, LowStockPercent = 20, SellOutHorizon = Duration.FromTimeSpan(TimeSpan.FromMinutes(30)), TrendRiseFactor = 2, CartConversion = 0.3, ShortageUnits = 5, RearmMarginPercent = 10, CoolDown = Duration.FromTimeSpan(TimeSpan.FromMinutes(5)) },
                new Rule { Category = "tees", LowStockUnits = 3 },
            ],
            ["DeleteRule"] = [new DeleteRuleRequest { Id = "sku:TEE-1" }],
            ["ListRules"] = [new ListRulesRequest()],
            ["UpsertProducts"] = [new UpsertProductsRequest { Products = { new Product { Sku = "TEE-1", Category = "tees", Name = "White tee" }, new Product { Sku = "TEE-2", Category = "tees", Name = "Black tee" } } }],
            ["UpsertStream"] = [stream],
            ["DeleteStream"] = [new DeleteStreamRequest { Id = "room-2" }],
            ["ListStreams"] = [new ListStreamsRequest()],
            ["Ingest"] = [new IngestRequest { Signals = { new Signal { EventId = "s-1", Kind = SignalKind.Sale, Sku = "TEE-1", Market = "US", RoomId = "room-1", Quantity = 1, OccurredAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow) } } }],
            ["Preflight"] = [new PreflightRequest { RoomId = "room-1" }, new PreflightRequest { Skus = { "TEE-1" }, Market = "US", Duration = Duration.FromTimeSpan(TimeSpan.FromHours(1)) }],
            ["WatchAlerts"] = [new WatchAlertsRequest { AfterId = "0", RoomId = "room-1", Sku = "TEE-1", MinSeverity = Severity.Warning }],
            ["ListAlerts"] = [new ListAlertsRequest { Kind = AlertKind.LowStock, Sku = "TEE-1", RoomId = "room-1", MinSeverity = Severity.Info, Limit = 10 }],
            ["Acknowledge"] = [new AcknowledgeRequest { AlertId = "1-0", Who = "ops" }],
        };

        await fuzz.RunAsync(seeds, PerMethod, async () => Assert.Contains((await client.ListStreamsAsync(new ListStreamsRequest())).Streams, s => s.Id == "room-1"));

        ReliabilityReport.WriteSection("bad-input-alerting-grpc", fuzz.Tally.Markdown("alerting gRPC (rules, products, streams, signals, preflight, alerts)",
            $"Every method of `stockcast.alerting.v1.Alerting`, {PerMethod} generated requests each (Alerting.Tests BadRequestTests)."));
        fuzz.Tally.AssertNoViolations();
    }
}
