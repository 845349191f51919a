using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
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
        var (delivery, problem) = await SignedWebhook.ReadAsync(warehouseId, FeedOptions.ShopifySource, SignatureHeader, request, options.Value, cancellationToken);
        if (delivery is null)
        {
            return problem!;
        }
        if (request.Headers["X-Shopify-Topic"].ToString() != Topic)
        {
            return Results.Problem(detail: $"X-Shopify-Topic: only {Topic} is handled here", statusCode: StatusCodes.Status400BadRequest);
        }
        return await SignedWebhook.DeliverAsync(() => intake.AcceptAsync(delivery.Feed, [Normalise(delivery.Payload, delivery.Feed, records)], cancellationToken));
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
