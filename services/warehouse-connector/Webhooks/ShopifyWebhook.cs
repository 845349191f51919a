using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Stockcast.Connector.Feeds;

namespace Stockcast.Connector.Webhooks;

/// <summary>
/// Receives Shopify's inventory_levels/update at POST /webhooks/shopify/{warehouseId}, verified by
/// X-Shopify-Hmac-Sha256 (base64 HMAC-SHA256 of the raw body with the app secret) before anything is
/// read. The feed's ExternalId is the Shopify location it stands for; its SkuMap maps
/// inventory_item_id → SKU. Shopify reports only `available`, so the snapshot takes it as both
/// available and on hand; `updated_at` is the source time and (in ms) version.
/// </summary>
public static class ShopifyWebhook
{
    public const string SignatureHeader = "X-Shopify-Hmac-Sha256";
    private const string Topic = "inventory_levels/update";

    public static IEndpointRouteBuilder MapShopifyWebhook(this IEndpointRouteBuilder app)
    {
        // Anonymous by design: the HMAC signature is the credential.
        app.MapPost("/webhooks/shopify/{warehouseId}", ReceiveAsync).AllowAnonymous();
        return app;
    }

    private static async Task<IResult> ReceiveAsync(string warehouseId, HttpRequest request, IOptions<ConnectorOptions> options, CanonicalRecords records, FeedIntake intake, CancellationToken cancellationToken)
    {
        var feed = options.Value.Feeds.FirstOrDefault(f => f.WarehouseId == warehouseId && f.Source == FeedOptions.ShopifySource);
        if (feed is null)
        {
            return Results.Problem(detail: $"no shopify feed is configured for warehouse '{warehouseId}'", statusCode: StatusCodes.Status404NotFound);
        }
        var body = await WebhookSignature.ReadBodyAsync(request, cancellationToken);
        if (!WebhookSignature.Matches(body, request.Headers[SignatureHeader].ToString(), feed.WebhookSecret))
        {
            return Results.Problem(detail: $"{SignatureHeader}: missing or not valid for this body", statusCode: StatusCodes.Status401Unauthorized);
        }
        if (request.Headers["X-Shopify-Topic"].ToString() != Topic)
        {
            return Results.Problem(detail: $"X-Shopify-Topic: only {Topic} is handled here", statusCode: StatusCodes.Status400BadRequest);
        }
        JsonNode? level;
        try
        {
            level = JsonNode.Parse(body);
        }
        catch (JsonException ex)
        {
            return Results.Problem(detail: $"body: not JSON ({ex.Message})", statusCode: StatusCodes.Status400BadRequest);
        }
        try
        {
            var result = await intake.AcceptAsync(feed, [Normalise(level, feed, records)], cancellationToken);
            return Results.Ok(new { received = result.Received, applied = result.Applied, deadLettered = result.DeadLettered.Count });
        }
        catch (RpcException ex)
        {
            return Results.Problem(detail: $"the stock ledger is unavailable ({ex.Status.StatusCode}); deliver again", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    private static NormalisedRecord Normalise(JsonNode? level, FeedOptions feed, CanonicalRecords records)
    {
        var payload = level?.ToJsonString() ?? "null";
        var item = level?["inventory_item_id"]?.ToString() ?? "";
        var location = level?["location_id"]?.ToString() ?? "";
        if (location != feed.ExternalId)
        {
            return new NormalisedRecord(payload, null, $"location_id: {location} is not this warehouse's Shopify location ({feed.ExternalId})");
        }
        if (!feed.SkuMap.TryGetValue(item, out var sku))
        {
            return new NormalisedRecord(payload, null, $"inventory_item_id: {item} has no SKU in the feed's SkuMap");
        }
        var updatedAt = level?["updated_at"]?.ToString();
        var record = new JsonObject
        {
            ["type"] = "snapshot",
            ["sku"] = sku,
            ["sourceTime"] = updatedAt,
            ["available"] = level?["available"]?.DeepClone(),
            ["onHand"] = level?["available"]?.DeepClone(),
        };
        if (DateTimeOffset.TryParse(updatedAt, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at))
        {
            record["sourceVersion"] = at.ToUnixTimeMilliseconds();
        }
        // The map turned their item id into our SKU already (so the feed's map is not applied twice);
        // the shared checks do the rest, and a refusal keeps the canonical form, which replays.
        return records.Read(JsonSerializer.SerializeToElement(record), new FeedOptions { WarehouseId = feed.WarehouseId, Source = feed.Source, UnitsPerWarehouseUnit = feed.UnitsPerWarehouseUnit });
    }
}
