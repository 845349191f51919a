using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Stockcast.Connector.Feeds.Replicas;
using Stockcast.ServiceDefaults.Resilience;

namespace Stockcast.Connector.Feeds.ShipBob;

/// <summary>
/// Reads ShipBob's 2025-07 inventory levels (GET /2025-07/inventory-level, cursor pages), each item
/// read by <see cref="ShipBobRecords"/>. ShipBob gives no per-item timestamp, so a read's fetch time
/// is the (estimated) source time and version of its snapshots: a later read supersedes an earlier one.
/// </summary>
public sealed class ShipBobFeed(ConnectorMetrics metrics, IHttpClientFactory httpClients, FeedIntake intake, ShipBobRecords reader, VendorQuotas quotas, TimeProvider clock, ILogger<ShipBobFeed> log) : IPolledFeed
{
    // ShipBob allows 150 calls in any minute per token. A bucket of 10 refilled at 140 a minute never
    // passes that (10 + 140 in any minute), across every replica reading with the token.
    private static readonly VendorQuota Quota = new(FeedOptions.ShipBobSource, PerSecond: 140 / 60.0, Burst: 10);

    private const int PageSize = 250;
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromMinutes(2);

    public string Source => FeedOptions.ShipBobSource;

    public bool GivesWholePicture => true;

    /// <summary>ShipBob has no incremental read: every read is the whole picture.</summary>
    public async Task<SyncResult> ReadAsync(FeedRead read, CancellationToken cancellationToken)
    {
        var feed = read.Feed;
        var client = httpClients.CreateClient(WarehouseApiClient.Name);
        var fetchedAt = clock.GetUtcNow();
        var total = new SyncResult();
        var rateLimited = Backoff.RateLimited(clock, RetryAfter, (_, wait) =>
        {
            metrics.RateLimitWaits.WithLabels(feed.WarehouseId).Inc();
            log.LogInformation("ShipBob rate limit for {Warehouse}: waiting {Seconds}s as asked", feed.WarehouseId, wait.TotalSeconds);
        });
        Uri? next = new(feed.BaseUrl!, $"2025-07/inventory-level?PageSize={PageSize}");
        while (next is not null)
        {
            var pageUrl = next;
            // A 429 asks for the same page again, after the wait ShipBob names.
            using var response = await rateLimited.ExecuteAsync(async token =>
            {
                await quotas.TakeAsync(Quota, feed.Credentials, token);
                using var request = new HttpRequestMessage(HttpMethod.Get, pageUrl);
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", feed.Credentials);
                return await client.SendAsync(request, token);
            }, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new FeedException($"ShipBob answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }
            // A page that does not parse stops the read here: nothing of it is applied, and the
            // next read starts again from the first page.
            var page = await ReadPageAsync(response, cancellationToken);
            var records = page.Items.Select(item => new SourceRecord(item, fetchedAt, fetchedAt)).ToList();
            if (records.Count > 0)
            {
                total = total.Add(await intake.AcceptAsync(read, reader, records, cancellationToken));
            }
            // Follow links only to the configured API: the token goes with every request.
            if (page.Next is { } link && Uri.Compare(link, feed.BaseUrl!, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) != 0)
            {
                throw new FeedException($"ShipBob's next link points to another host ({link.Host}); not followed");
            }
            next = page.Next;
        }
        return total;
    }

    /// <summary>ShipBob's x-retry-after (seconds), a minute when it gives none.</summary>
    private static TimeSpan RetryAfter(HttpResponseMessage response)
    {
        var seconds = response.Headers.TryGetValues("x-retry-after", out var values)
            && int.TryParse(values.FirstOrDefault(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : 60;
        return TimeSpan.FromSeconds(Math.Clamp(seconds, 1, MaxRetryAfter.TotalSeconds));
    }

    private static async Task<(IReadOnlyList<JsonElement> Items, Uri? Next)> ReadPageAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("items", out var items) || items.ValueKind != JsonValueKind.Array)
            {
                throw new FeedException("ShipBob page has no items array");
            }
            var next = root.TryGetProperty("next", out var link) && link.ValueKind == JsonValueKind.String ? new Uri(link.GetString()!) : null;
            return ([.. items.EnumerateArray().Select(i => i.Clone())], next);
        }
        catch (JsonException ex)
        {
            throw new FeedException($"ShipBob page is not JSON: {ex.Message}");
        }
    }
}
