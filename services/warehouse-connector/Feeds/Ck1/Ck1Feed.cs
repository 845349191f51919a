using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Stockcast.Connector.Feeds.Ck1;

/// <summary>
/// Reads a CK1-style overseas warehouse (POST /v1/inventories with WarehouseId and up to 30 Skus a
/// call), each record read by <see cref="Ck1Records"/>. The API has no per-record stock timestamp,
/// so the read's time is the (estimated) source time and version.
/// </summary>
public sealed class Ck1Feed(IHttpClientFactory httpClients, FeedIntake intake, Ck1Records reader, TimeProvider clock) : IPolledFeed
{
    private const int SkusPerCall = 30;
    private static readonly JsonSerializerOptions PascalCase = new();

    public string Source => FeedOptions.Ck1Source;

    /// <summary>Every configured SKU is asked for on every read.</summary>
    public bool GivesWholePicture => true;

    public async Task<SyncResult> ReadAsync(FeedRead read, CancellationToken cancellationToken)
    {
        var feed = read.Feed;
        var client = httpClients.CreateClient(WarehouseApiClient.Name);
        var readAt = clock.GetUtcNow();
        var total = new SyncResult();
        foreach (var skus in feed.Skus.Chunk(SkusPerCall))
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(feed.BaseUrl!, "v1/inventories"))
            {
                Content = JsonContent.Create(new { WarehouseId = feed.ExternalId, Skus = skus }, options: PascalCase),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", feed.Credentials);
            using var response = await client.SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new FeedException($"CK1 answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
            }
            JsonDocument page;
            try
            {
                page = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            }
            catch (JsonException ex)
            {
                throw new FeedException($"CK1 answer is not JSON: {ex.Message}");
            }
            using (page)
            {
                if (page.RootElement.ValueKind != JsonValueKind.Array)
                {
                    throw new FeedException("CK1 answer is not an array of inventories");
                }
                var records = page.RootElement.EnumerateArray().Select(r => new SourceRecord(r.Clone(), readAt, readAt)).ToList();
                if (records.Count > 0)
                {
                    total = total.Add(await intake.AcceptAsync(read, reader, records, cancellationToken));
                }
            }
        }
        return total;
    }
}
