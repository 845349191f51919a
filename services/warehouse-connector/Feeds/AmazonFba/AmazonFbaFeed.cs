using System.Globalization;
using System.Net;
using System.Text.Json;
using Polly;
using Stockcast.Connector.Feeds.Replicas;
using Stockcast.ServiceDefaults.Resilience;

namespace Stockcast.Connector.Feeds.AmazonFba;

/// <summary>
/// Reads Amazon SP-API FBA inventory summaries (GET /fba/inventory/v1/summaries, details=true,
/// nextToken pages). Incremental reads ask for startDateTime = the durable cursor minus a minute of
/// overlap (re-reading is harmless: snapshots are versioned); the cursor moves only when a read
/// completes. Paced to Amazon's 2 requests/s per account, across
/// replicas (VendorQuotas); a QuotaExceeded 429 waits a second; an expired
/// nextToken restarts the read. Each summary is read by <see cref="AmazonFbaRecords"/>, with the
/// page's Date header as the time that stands in for an empty lastUpdatedTime.
/// </summary>
public sealed class AmazonFbaFeed(ConnectorMetrics metrics, IHttpClientFactory httpClients, FeedIntake intake, AmazonFbaRecords reader, FeedCursorStore cursors, VendorQuotas quotas, TimeProvider clock, ILogger<AmazonFbaFeed> log) : IPolledFeed
{
    // Amazon's getInventorySummaries quota is 2 requests/s with a burst of 2 per selling partner; we
    // keep a burst of 1 and 10 % below its rate, so requests that reach Amazon bunched up by the
    // network or a busy host (measured: one 429 in 22 requests at exactly 2/s under load) still fit.
    private static readonly VendorQuota Quota = new(FeedOptions.AmazonFbaSource, PerSecond: 1.8, Burst: 1);
    private static readonly TimeSpan QuotaWait = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Overlap = TimeSpan.FromMinutes(1);
    private const int MaxRestarts = 3;

    public string Source => FeedOptions.AmazonFbaSource;

    /// <summary>Without startDateTime the summaries list every SKU of the marketplace.</summary>
    public bool GivesWholePicture => true;

    public async Task<SyncResult> ReadAsync(FeedRead read, CancellationToken cancellationToken)
    {
        var feed = read.Feed;
        var since = read.Full ? null : await cursors.GetAsync(feed.WarehouseId) - Overlap;
        for (var restart = 0; ; restart++)
        {
            try
            {
                return await ReadPagesAsync(read, since, cancellationToken);
            }
            catch (ExpiredTokenException) when (restart < MaxRestarts)
            {
                log.LogInformation("Amazon nextToken expired while reading {Warehouse}; starting the read again", feed.WarehouseId);
            }
        }
    }

    private async Task<SyncResult> ReadPagesAsync(FeedRead read, DateTimeOffset? since, CancellationToken cancellationToken)
    {
        var feed = read.Feed;
        var client = httpClients.CreateClient(WarehouseApiClient.Name);
        var baseQuery = $"fba/inventory/v1/summaries?details=true&granularityType=Marketplace&granularityId={Uri.EscapeDataString(feed.ExternalId)}&marketplaceIds={Uri.EscapeDataString(feed.ExternalId)}"
            + (since is { } start ? "&startDateTime=" + Uri.EscapeDataString(start.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)) : "");
        var rateLimited = Backoff.RateLimited(clock, _ => QuotaWait, (_, _) => metrics.RateLimitWaits.WithLabels(feed.WarehouseId).Inc());
        var total = new SyncResult();
        DateTimeOffset? newest = null;
        var readStarted = clock.GetUtcNow();
        string? nextToken = null;
        do
        {
            var url = new Uri(feed.BaseUrl!, baseQuery + (nextToken is null ? "" : "&nextToken=" + Uri.EscapeDataString(nextToken)));
            using var response = await SendPacedAsync(client, rateLimited, feed, url, cancellationToken);
            using var page = await ReadJsonAsync(response, cancellationToken);
            var payload = page.RootElement.TryGetProperty("payload", out var p) ? p : default;
            if (payload.ValueKind != JsonValueKind.Object || !payload.TryGetProperty("inventorySummaries", out var summaries) || summaries.ValueKind != JsonValueKind.Array)
            {
                throw new FeedException("Amazon page has no payload.inventorySummaries");
            }
            var receivedAt = clock.GetUtcNow();
            var fallback = response.Headers.Date ?? receivedAt;
            var records = summaries.EnumerateArray().Select(s => new SourceRecord(s.Clone(), receivedAt, fallback)).ToList();
            foreach (var summary in summaries.EnumerateArray())
            {
                if (summary.TryGetProperty("lastUpdatedTime", out var t) && t.ValueKind == JsonValueKind.String
                    && DateTimeOffset.TryParse(t.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) && (newest is null || at > newest))
                {
                    newest = at;
                }
            }
            if (records.Count > 0)
            {
                total = total.Add(await intake.AcceptAsync(read, reader, records, cancellationToken));
            }
            nextToken = page.RootElement.TryGetProperty("pagination", out var pagination) && pagination.TryGetProperty("nextToken", out var token) && token.ValueKind == JsonValueKind.String
                ? token.GetString() : null;
        }
        while (nextToken is not null);
        if (newest is { } readUpTo)
        {
            // Never past the read's start: a SKU on an early page that changed while later pages were
            // read (a long read outlasts the overlap) must come again in the next incremental read.
            await cursors.AdvanceAsync(feed.WarehouseId, readUpTo < readStarted ? readUpTo : readStarted);
        }
        return total;
    }

    private async Task<HttpResponseMessage> SendPacedAsync(HttpClient client, ResiliencePipeline<HttpResponseMessage> rateLimited, FeedOptions feed, Uri url, CancellationToken cancellationToken)
    {
        // A QuotaExceeded 429 asks again after QuotaWait; every request, first or again, keeps the pace.
        var response = await rateLimited.ExecuteAsync(async token =>
        {
            await quotas.TakeAsync(Quota, feed.Credentials, token);
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Add("x-amz-access-token", feed.Credentials);
            return await client.SendAsync(request, token);
        }, cancellationToken);
        if (response.StatusCode == HttpStatusCode.BadRequest && (await response.Content.ReadAsStringAsync(cancellationToken)).Contains("nextToken has expired", StringComparison.OrdinalIgnoreCase))
        {
            response.Dispose();
            throw new ExpiredTokenException();
        }
        if (!response.IsSuccessStatusCode)
        {
            var status = (int)response.StatusCode;
            response.Dispose();
            throw new FeedException($"Amazon answered {status}");
        }
        return response;
    }

    private static async Task<JsonDocument> ReadJsonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
        }
        catch (JsonException ex)
        {
            throw new FeedException($"Amazon page is not JSON: {ex.Message}");
        }
    }

    private sealed class ExpiredTokenException : Exception;
}
