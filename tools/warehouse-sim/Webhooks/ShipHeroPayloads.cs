using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Stockcast.WarehouseSim.Model;

namespace Stockcast.WarehouseSim.Webhooks;

/// <summary>
/// ShipHero's "Inventory Update" (levels after the change) and "Inventory Change" (the change itself)
/// bodies, per developer.shiphero.com/webhooks/inventory-update-webhook and inventory-change-webhook.
/// </summary>
public static class ShipHeroPayloads
{
    public const string SignatureHeader = "x-shiphero-hmac-sha256";
    public const string InventoryUpdate = "Inventory Update";
    public const string InventoryChange = "Inventory Change";

    /// <summary>The change's webhooks, each body spoilt by messy mode (when on) before it is signed.</summary>
    public static IEnumerable<WebhookMessage> For(StockChange change, Mess mess)
    {
        var hook = change.Warehouse.Webhook!;
        var types = hook.Types is { Count: > 0 } t ? t : [InventoryUpdate, InventoryChange];
        foreach (var type in types)
        {
            var body = type switch
            {
                InventoryUpdate => Update(change),
                InventoryChange => Change(change),
                _ => null,
            };
            if (body is null)
            {
                continue;
            }
            if (type == InventoryUpdate)
            {
                var item = (JsonObject)body["inventory"]![0]!;
                mess.Spoil(ApiKind.ShipHero, item, new RecordShape("sku", new(item, "on_hand"), new(item, "inventory"), Time: null));
            }
            else
            {
                mess.Spoil(ApiKind.ShipHero, body, new RecordShape("sku", new(body, "quantity"), Available: null, "timestamp", Signed: true));
            }
            var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
            var headers = new Dictionary<string, string> { ["X-Shiphero-Message-ID"] = Guid.NewGuid().ToString() };
            if (Signer.For(hook, bytes) is { } signature)
            {
                headers[SignatureHeader] = signature;
            }
            yield return new WebhookMessage(ApiKind.ShipHero, change.Warehouse.Id, type, change.After.Sku, new Uri(hook.Url), bytes, headers);
        }
    }

    // Relay-style ids as ShipHero's GraphQL uses them: base64("Type:id").
    private static string Uuid(string type, long id) => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{type}:{id}"));

    private static long WarehouseId(WarehouseSpec w) => long.TryParse(w.ExternalId, out var id) ? id : 76_000 + Math.Abs(StableHash(w.Id) % 1000);

    private static long AccountId(WarehouseSpec w) => 63_000 + Math.Abs(StableHash(w.Id) % 1000);

    private static int StableHash(string s) => s.Aggregate(17, (h, c) => unchecked(h * 31 + c));

    private static JsonObject Update(StockChange c)
    {
        var s = c.After;
        var available = s.OnHand - s.Committed;
        // ShipHero sends inventory, backorder_quantity and on_hand as strings, the rest as numbers.
        JsonObject Levels() => new()
        {
            ["inventory"] = available.ToString(CultureInfo.InvariantCulture),
            ["backorder_quantity"] = "0",
            ["on_hand"] = s.OnHand.ToString(CultureInfo.InvariantCulture),
            ["sell_ahead"] = 0,
            ["qty_in_totes"] = 0,
            ["reserve"] = 0,
            ["non_sellable"] = 0,
        };
        var warehouse = Levels();
        warehouse["warehouse_id"] = WarehouseId(c.Warehouse);
        warehouse["warehouse_uuid"] = Uuid("Warehouse", WarehouseId(c.Warehouse));
        warehouse["identifier"] = c.Warehouse.Id;
        var item = Levels();
        item["sku"] = s.Sku;
        item["virtual"] = false;
        item["updated_warehouse"] = warehouse;
        return new JsonObject
        {
            ["account_id"] = AccountId(c.Warehouse),
            ["account_uuid"] = Uuid("Account", AccountId(c.Warehouse)),
            ["webhook_type"] = InventoryUpdate,
            ["inventory"] = new JsonArray(item),
        };
    }

    private static JsonObject Change(StockChange c) => new()
    {
        ["webhook_type"] = InventoryChange,
        ["account_uuid"] = Uuid("Account", AccountId(c.Warehouse)),
        ["account_id"] = AccountId(c.Warehouse),
        ["warehouse_id"] = WarehouseId(c.Warehouse),
        ["warehouse_uuid"] = Uuid("Warehouse", WarehouseId(c.Warehouse)),
        ["user_id"] = 489_254,
        ["user_uuid"] = Uuid("User", 489_254),
        ["sku"] = c.After.Sku,
        // quantity is the change; previous_on_hand + quantity is the new warehouse on hand.
        ["quantity"] = c.Delta,
        ["old_quantity"] = c.LocationOnHandBefore,
        ["location_name"] = c.LocationAfter.Location.Name,
        ["previous_on_hand"] = c.WarehouseOnHandBefore,
        ["timestamp"] = c.At.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
        ["reason"] = c.Reason,
        ["source"] = "simulator",
    };
}
