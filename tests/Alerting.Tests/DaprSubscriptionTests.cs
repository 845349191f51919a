using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Stockcast.Alerting.Demand;
using Stockcast.Alerting.Signals;
using Stockcast.Alerting.V1;
using Stockcast.ServiceDefaults.Auth;
using Stockcast.Testing;
using StackExchange.Redis;

namespace Stockcast.Alerting.Tests;

/// <summary>
/// Sales and demand signals through Dapr pub/sub, posted exactly as daprd delivers them to an app:
/// a structured CloudEvent (application/cloudevents+json) with Dapr's envelope, the trace headers
/// and the app API token.
/// </summary>
public sealed class DaprSubscriptionTests(FollowedLedgerFixture ledger) : IClassFixture<FollowedLedgerFixture>
{
    private const string PubSub = "seller-events";
    private const string Topic = "live-room-signals";
    private const string AppToken = "app-api-token-for-tests-0123456789";
    private static Dictionary<string, string?> DaprSettings => new()
    {
        ["Alerting:Dapr:PubSubName"] = PubSub,
        ["Alerting:Dapr:SignalsTopic"] = Topic,
        ["Alerting:Dapr:AppApiToken"] = AppToken,
    };

    private AlertingHost Host(string? redisNamespace = null, string? redisConfiguration = null)
        => new(redisConfiguration ?? ledger.Redis.Configuration, ledger.Ledger, redisNamespace, DaprSettings);

    private static string Sale(string sku, long quantity, DateTimeOffset at, string? eventId = null)
    {
        var signal = new JsonObject { ["kind"] = "SIGNAL_KIND_SALE", ["sku"] = sku, ["market"] = "US", ["quantity"] = quantity, ["occurredAt"] = at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ") };
        if (eventId is not null)
        {
            signal["eventId"] = eventId;
        }
        return signal.ToJsonString();
    }

    /// <summary>A CloudEvent as daprd wraps a publisher's JSON and posts it to the subscribed route.</summary>
    private static HttpRequestMessage CloudEvent(string id, string data, string? token = AppToken, string dataContentType = "application/json")
    {
        var traceParent = $"00-{Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())}-{Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()[..8])}-01";
        var envelope = new JsonObject
        {
            ["data"] = dataContentType == "application/json" ? JsonNode.Parse(data) : JsonValue.Create(data),
            ["datacontenttype"] = dataContentType,
            ["id"] = id,
            ["pubsubname"] = PubSub,
            ["source"] = "seller-checkout",
            ["specversion"] = "1.0",
            ["time"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssK"),
            ["topic"] = Topic,
            ["traceid"] = traceParent,
            ["traceparent"] = traceParent,
            ["tracestate"] = "",
            ["type"] = "com.dapr.event.sent",
        };
        var request = new HttpRequestMessage(HttpMethod.Post, SignalSubscription.Route)
        {
            Content = new StringContent(envelope.ToJsonString(), Encoding.UTF8, new MediaTypeHeaderValue("application/cloudevents+json")),
        };
        request.Headers.Add("traceparent", traceParent);
        request.Headers.Add("tracestate", "");
        if (token is not null)
        {
            request.Headers.Add(DaprAppTokenAuthenticationHandler.Header, token);
        }
        return request;
    }

    /// <summary>Posts and returns the HTTP status with Dapr's processing status ("status" of the JSON answer).</summary>
    private static async Task<(HttpStatusCode Code, string? Status)> DeliverAsync(AlertingHost host, HttpRequestMessage request)
    {
        using var response = await host.CreateClient().SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        var status = body.Length > 0 && response.Content.Headers.ContentType?.MediaType == "application/json"
            ? JsonNode.Parse(body)?["status"]?.GetValue<string>()
            : null;
        return (response.StatusCode, status);
    }

    private static Task<long> SignalsKeptAsync(AlertingHost host)
        => host.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase().StreamLengthAsync($"{{{host.Namespace}}}:al:signals");

    /// <summary>Units per hour that exactly one sale of <paramref name="units"/> puts on the rate, as of when it happened.</summary>
    private static double OneSaleRate(AlertingHost host, long units)
    {
        var halfLife = TimeSpan.FromMinutes(host.Services.GetRequiredService<IOptions<AlertingOptions>>().Value.VelocityHalfLifeMinutes);
        return units / (halfLife.TotalSeconds / Math.Log(2)) * 3600;
    }

    [Fact]
    public async Task ARedeliveredCloudEventIsCountedOnce()
    {
        using var first = Host();
        using var second = Host(first.Namespace);
        var sku = "SERUM-" + Guid.NewGuid().ToString("N")[..8];
        // Whole milliseconds: what the signal's JSON carries.
        var at = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.AddSeconds(-5).ToUnixTimeMilliseconds());
        // No event_id in the data: the CloudEvent's id is the idempotency key.
        var eventId = Guid.NewGuid().ToString();
        var data = Sale(sku, 3, at);

        // Dapr is at-least-once: the same event again (a lost ack), and once more to another replica.
        Assert.Equal((HttpStatusCode.OK, "SUCCESS"), await DeliverAsync(first, CloudEvent(eventId, data)));
        Assert.Equal((HttpStatusCode.OK, "SUCCESS"), await DeliverAsync(first, CloudEvent(eventId, data)));
        Assert.Equal((HttpStatusCode.OK, "SUCCESS"), await DeliverAsync(second, CloudEvent(eventId, data)));

        Assert.Equal(1, await SignalsKeptAsync(first));
        // Both replicas' sales pace is that of one sale of 3 units, not three.
        foreach (var host in new[] { first, second })
        {
            var demand = host.Services.GetRequiredService<DemandMeter>();
            await Eventually.TrueAsync(() => demand.Now(sku, at).SalesPerHour > 0, "the replica has followed the signal");
            Assert.Equal(OneSaleRate(host, 3), demand.Now(sku, at).SalesPerHour, 6);
        }
        // The CloudEvent id is what was remembered: Ingest with it as event_id is a duplicate too.
        var ingested = await first.Client().IngestAsync(new IngestRequest { Signals = { new Signal { EventId = eventId, Kind = SignalKind.Sale, Sku = sku, Quantity = 3 } } });
        Assert.Equal(1, ingested.Duplicates);
    }

    [Fact]
    public async Task ASignalsOwnEventIdIsTheKeyEvenUnderANewCloudEventId()
    {
        using var host = Host();
        var sku = "MASK-" + Guid.NewGuid().ToString("N")[..8];
        var batch = $$"""{"signals": [{{Sale(sku, 1, DateTimeOffset.UtcNow, "order-1001")}}, {{Sale(sku, 2, DateTimeOffset.UtcNow, "order-1002")}}]}""";

        // A publisher that retries with a fresh CloudEvent id still names its own events.
        Assert.Equal((HttpStatusCode.OK, "SUCCESS"), await DeliverAsync(host, CloudEvent(Guid.NewGuid().ToString(), batch)));
        Assert.Equal((HttpStatusCode.OK, "SUCCESS"), await DeliverAsync(host, CloudEvent(Guid.NewGuid().ToString(), batch)));

        Assert.Equal(2, await SignalsKeptAsync(host));
    }

    [Fact]
    public async Task DaprDiscoversTheSignalsSubscriptionFromTheService()
    {
        using var host = Host();

        using var response = await host.CreateClient().SendAsync(Subscribe(AppToken));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // Dapr reads the names as Go's encoding/json does, ignoring case (the SDK writes "pubsubName").
        var subscriptions = JsonNode.Parse(await response.Content.ReadAsStringAsync(), new JsonNodeOptions { PropertyNameCaseInsensitive = true })!.AsArray();
        var subscription = Assert.Single(subscriptions)!;
        Assert.Equal(PubSub, subscription["pubsubname"]!.GetValue<string>());
        Assert.Equal(Topic, subscription["topic"]!.GetValue<string>());
        Assert.Equal(SignalSubscription.Route.TrimStart('/'), subscription["route"]!.GetValue<string>().TrimStart('/'));
    }

    [Fact]
    public async Task OverTheSidecarsHttp11ConnectionOnlyTheAppTokenGetsIn()
    {
        using var host = AlertingHost.OnSockets(ledger.Redis.Configuration, ledger.Ledger, DaprSettings);
        // daprd calls the app port over plain HTTP/1.1 on a socket, as here.
        using var sidecar = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = host.Ports!.Address(LoopbackPorts.Http), DefaultRequestVersion = HttpVersion.Version11 };

        using var subscribe = await sidecar.SendAsync(Subscribe(AppToken));
        using var stranger = await sidecar.SendAsync(Subscribe("not-the-app-token"));
        using var delivered = await sidecar.SendAsync(CloudEvent(Guid.NewGuid().ToString(), Sale("SKU-SOCKET", 1, DateTimeOffset.UtcNow)));
        using var forged = await sidecar.SendAsync(CloudEvent(Guid.NewGuid().ToString(), Sale("SKU-SOCKET", 1, DateTimeOffset.UtcNow), token: null));

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.Unauthorized), (subscribe.StatusCode, stranger.StatusCode));
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.Unauthorized), (delivered.StatusCode, forged.StatusCode));
        Assert.Equal(1, await SignalsKeptAsync(host));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-the-app-token")]
    public async Task OnlyTheSidecarLearnsTheSubscription(string? token)
    {
        using var host = Host();

        using var response = await host.CreateClient().SendAsync(Subscribe(token));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.DoesNotContain(Topic, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public void AServiceWithDaprOnAndNoAppTokenRefusesToStartNamingTheSetting()
    {
        using var host = new AlertingHost(ledger.Redis.Configuration, ledger.Ledger, settings: new Dictionary<string, string?>(DaprSettings) { ["Alerting:Dapr:AppApiToken"] = "" });

        var error = Assert.ThrowsAny<Exception>(() => host.Server);

        Assert.Contains("Alerting:Dapr:AppApiToken must be set", error.ToString(), StringComparison.Ordinal);
    }

    /// <summary>GET /dapr/subscribe as daprd asks it at start-up, with the app API token when given.</summary>
    private static HttpRequestMessage Subscribe(string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/dapr/subscribe");
        if (token is not null)
        {
            request.Headers.Add(DaprAppTokenAuthenticationHandler.Header, token);
        }
        return request;
    }

    [Fact]
    public async Task AServiceWithoutAPubSubComponentHasNoDaprEndpoints()
    {
        using var host = new AlertingHost(ledger.Redis.Configuration, ledger.Ledger);

        using var subscribe = await host.CreateClient().GetAsync("/dapr/subscribe");
        var (code, _) = await DeliverAsync(host, CloudEvent(Guid.NewGuid().ToString(), Sale("SKU-1", 1, DateTimeOffset.UtcNow)));

        Assert.Equal(HttpStatusCode.NotFound, subscribe.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, code);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-the-app-token")]
    [InlineData("")]
    public async Task ADeliveryWithoutTheAppTokenIsRefusedAndNotKept(string? token)
    {
        using var host = Host();

        var (code, _) = await DeliverAsync(host, CloudEvent(Guid.NewGuid().ToString(), Sale("SKU-1", 1, DateTimeOffset.UtcNow), token));

        Assert.Equal(HttpStatusCode.Unauthorized, code);
        Assert.Equal(0, await SignalsKeptAsync(host));
    }

    [Theory]
    [InlineData("text/plain", "two serums sold")]
    [InlineData("application/json", """{"kind": "SIGNAL_KIND_SALE", "quantity": 2}""")]
    [InlineData("application/json", """{"kind": "SIGNAL_KIND_REFUND", "sku": "SERUM-30ML"}""")]
    [InlineData("application/json", """{"kind": "SIGNAL_KIND_SALE", "sku": "SERUM-30ML", "quantity": "lots"}""")]
    [InlineData("application/json", """{"kind": "SIGNAL_KIND_SALE", "sku": "SERUM-30ML", "occurredAt": "yesterday"}""")]
    [InlineData("application/json", """[{"kind": "SIGNAL_KIND_SALE", "sku": "SERUM-30ML"}]""")]
    [InlineData("application/json", """{"signals": []}""")]
    public async Task AMalformedSignalIsDroppedNotRetriedAndNotKept(string dataContentType, string data)
    {
        using var host = Host();

        // Dapr's contract: 200 with DROP ends redelivery; any 4xx but 404 or a 5xx would be retried.
        var answer = await DeliverAsync(host, CloudEvent(Guid.NewGuid().ToString(), data, dataContentType: dataContentType));

        Assert.Equal((HttpStatusCode.OK, "DROP"), answer);
        Assert.Equal(0, await SignalsKeptAsync(host));
    }

    [Fact]
    public async Task ASignalThatCannotBeKeptNowIsLeftForDaprToRetry()
    {
        // A Redis nobody listens on: the store fails, which is transient.
        using var host = Host(redisConfiguration: $"127.0.0.1:{Launch.FreePort.Next()},connectTimeout=200,asyncTimeout=500,syncTimeout=500");

        var answer = await DeliverAsync(host, CloudEvent(Guid.NewGuid().ToString(), Sale("SKU-1", 1, DateTimeOffset.UtcNow)));

        Assert.Equal((HttpStatusCode.OK, "RETRY"), answer);
    }
}
