using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Stockcast.WarehouseSim.Model;

namespace Stockcast.WarehouseSim.Webhooks;

/// <summary>Shopify's <c>inventory_levels/update</c> webhook, per shopify.dev's webhook topic reference and HTTPS delivery headers.</summary>
public static class ShopifyPayloads
{
    public const string Topic = "inventory_levels/update";
    public const string SignatureHeader = "X-Shopify-Hmac-Sha256";
    public const string ApiVersion = "2025-10";

    /// <summary>The change's webhook, its body spoilt by messy mode (when on) before it is signed.</summary>
    public static WebhookMessage For(StockChange c, Mess mess)
    {
        var hook = c.Warehouse.Webhook!;
        var level = c.LocationAfter;
        var body = new JsonObject
        {
            ["inventory_item_id"] = c.After.Ids.InventoryItemId,
            ["location_id"] = level.Location.Id,
            ["available"] = level.Fulfillable,
            ["updated_at"] = c.At.ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture),
            ["admin_graphql_api_id"] = $"gid://shopify/InventoryLevel/{level.Location.Id}?inventory_item_id={c.After.Ids.InventoryItemId}",
        };
        mess.Spoil(ApiKind.Shopify, body, new RecordShape(Sku: null, new(body, "available"), Available: null, "updated_at"));
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        var headers = new Dictionary<string, string>
        {
            ["X-Shopify-Topic"] = Topic,
            ["X-Shopify-Shop-Domain"] = c.Warehouse.ExternalId ?? $"{c.Warehouse.Id}.myshopify.com",
            ["X-Shopify-API-Version"] = ApiVersion,
            ["X-Shopify-Webhook-Id"] = Guid.NewGuid().ToString(),
            ["X-Shopify-Event-Id"] = Guid.NewGuid().ToString(),
            ["X-Shopify-Triggered-At"] = c.At.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture),
        };
        if (Signer.For(hook, bytes) is { } signature)
        {
            headers[SignatureHeader] = signature;
        }
        return new WebhookMessage(ApiKind.Shopify, c.Warehouse.Id, Topic, c.After.Sku, new Uri(hook.Url), bytes, headers);
    }
}
