using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Stockcast.ServiceDefaults.Limits;
using Stockcast.Testing;

namespace Stockcast.Connector.Tests;

/// <summary>
/// The limits of the connector's public endpoints (docs/security.md, "Public endpoints and their
/// limits"), configured small: bodies refused while read, replays outside the delivery window, floods.
/// </summary>
public sealed class WebhookLimitTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private const string Warehouse = "us-shopify";
    private const string Secret = "shopify-app-secret-for-tests";
    private const int ShopifyLimit = 4096;
    private ConnectorHost _host = null!;

    public async Task InitializeAsync() => _host = await ConnectorHost.StartAsync(redis.Configuration, new Dictionary<string, string?>
    {
        ["Connector:MaxShopifyBodyBytes"] = ShopifyLimit.ToString(),
        ["Connector:MaxPushBodyBytes"] = "8192",
        ["Connector:Feeds:2:WarehouseId"] = Warehouse,
        ["Connector:Feeds:2:Source"] = "shopify",
        ["Connector:Feeds:2:WebhookSecret"] = Secret,
        ["Connector:Feeds:2:ExternalId"] = "655441491",
        ["Connector:Feeds:2:SkuMap:808950810"] = "SERUM-30ML",
        ["Connector:Feeds:2:DeliveryWindowSeconds"] = "3600",
        ["PublicLimits:Endpoints:webhook_shopify:PerAddress"] = "5",
    });

    public Task DisposeAsync()
    {
        _host.Dispose();
        return Task.CompletedTask;
    }

    private double Refusals(string endpoint, string reason) => _host.Services.GetRequiredService<PublicRefusals>().Count(endpoint, reason);

    private static HttpRequestMessage Shopify(HttpContent content, string? signature, DateTimeOffset? triggeredAt = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/webhooks/shopify/{Warehouse}") { Content = content };
        request.Headers.Add("X-Shopify-Topic", "inventory_levels/update");
        if (signature is not null)
        {
            request.Headers.Add("X-Shopify-Hmac-Sha256", signature);
        }
        if (triggeredAt is { } at)
        {
            request.Headers.Add("X-Shopify-Triggered-At", at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ"));
        }
        return request;
    }

    private static HttpRequestMessage SignedLevel(int available, DateTimeOffset triggeredAt)
    {
        var body = JsonSerializer.Serialize(new { inventory_item_id = 808950810, location_id = 655441491, available, updated_at = triggeredAt.ToString("yyyy-MM-ddTHH:mm:sszzz") });
        var signature = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes(body)));
        return Shopify(new StringContent(body, Encoding.UTF8, "application/json"), signature, triggeredAt);
    }

    [Fact]
    public async Task AnOversizedWebhookSentInChunksIsAnswered413WhileTheClientIsStillSending()
    {
        // 10 MB without a Content-Length, unsigned (the limit comes before the signature, so no
        // sender can make the connector buffer it). The sender stops after 64 KB until it has the
        // answer: a server that read the body whole would never answer.
        using var body = new HeldBody(sentBeforeHold: 64 * 1024, total: 10 * 1024 * 1024);
        try
        {
            // The factory's default client buffers a body whole to follow redirects: this one streams it.
            using var client = new HttpClient(_host.Server.CreateHandler()) { BaseAddress = _host.Server.BaseAddress };
            using var response = await client.SendAsync(Shopify(body, signature: null), HttpCompletionOption.ResponseHeadersRead).WaitAsync(TimeSpan.FromSeconds(20));

            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.InRange(body.Sent, ShopifyLimit, 64 * 1024);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(("body_too_large", $"the body is larger than the {ShopifyLimit} bytes accepted here"), (problem.GetProperty("reason").GetString(), problem.GetProperty("detail").GetString()));
            Assert.Equal(1, Refusals("webhook_shopify", PublicRefusals.BodyTooLarge));
        }
        finally
        {
            body.Release();
        }
    }

    [Fact]
    public async Task AnOversizedPushIsRefusedByItsDeclaredLengthWithNothingApplied()
    {
        var records = Enumerable.Range(0, 200).Select(i => new { type = "snapshot", sku = "TEE-WHITE-M", onHand = i, available = i, sourceTime = DateTimeOffset.UtcNow.AddSeconds(-2) }).ToArray();

        using var response = await ConnectorHost.PushAsync(_host.Pusher(), "us-erp", records);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Null(await _host.LedgerRecordAsync("us-erp", "TEE-WHITE-M"));
        Assert.Equal(1, Refusals("push", PublicRefusals.BodyTooLarge));
    }

    [Fact]
    public async Task AShopifyDeliveryTriggeredLongerAgoThanTheWindowIsRefusedAsAReplayAndCounted()
    {
        using var replayed = await _host.CreateClient().SendAsync(SignedLevel(7, DateTimeOffset.UtcNow.AddHours(-2)));
        using var fresh = await _host.CreateClient().SendAsync(SignedLevel(8, DateTimeOffset.UtcNow.AddSeconds(-2)));

        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.OK), (replayed.StatusCode, fresh.StatusCode));
        var problem = await replayed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("outside_replay_window", problem.GetProperty("reason").GetString());
        Assert.Contains("X-Shopify-Triggered-At", problem.GetProperty("detail").GetString());
        Assert.Equal(8, (await _host.LedgerRecordAsync(Warehouse, "SERUM-30ML"))!.Quantities.Available);
        Assert.Equal(1, Refusals("webhook_shopify", PublicRefusals.OutsideReplayWindow));
    }

    [Fact]
    public async Task AFloodOfWebhooksFromOneAddressIsAnswered429WithRetryAfter()
    {
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? refused = null;
        for (var i = 0; i < 6; i++)
        {
            var response = await _host.CreateClient().SendAsync(SignedLevel(i, DateTimeOffset.UtcNow.AddSeconds(-2)));
            statuses.Add(response.StatusCode);
            refused = response;
        }

        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.OK, 5), HttpStatusCode.TooManyRequests], statuses);
        Assert.InRange(refused!.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 60);
        Assert.Equal(1, Refusals("webhook_shopify", PublicRefusals.RateLimited));
    }

    /// <summary>
    /// A body sent in 1 KB writes with no declared length, which stops after
    /// <paramref name="sentBeforeHold"/> bytes until released, then sends the rest up to <paramref name="total"/>.
    /// </summary>
    private sealed class HeldBody(int sentBeforeHold, int total) : HttpContent
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _sent;

        public long Sent => Interlocked.Read(ref _sent);

        public void Release() => _released.TrySetResult();

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            var chunk = Encoding.ASCII.GetBytes(new string(' ', 1024));
            while (Sent < total)
            {
                if (Sent == sentBeforeHold)
                {
                    await _released.Task;
                }
                await stream.WriteAsync(chunk);
                await stream.FlushAsync();
                Interlocked.Add(ref _sent, chunk.Length);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
