using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Stockcast.Connector.Feeds;

namespace Stockcast.Connector.Webhooks;

/// <summary>
/// Receives ShipHero inventory webhooks at POST /webhooks/shiphero/{warehouseId}. The signature
/// (x-shiphero-hmac-sha256 = base64 HMAC-SHA256 of the raw body with the shared secret) is checked
/// in fixed time before anything is read: unsigned or wrongly signed calls get 401 and change nothing.
/// "Inventory Update" → a snapshot per item (on_hand → onHand, inventory → available, reserve →
/// reserved, non_sellable → unsellable; ShipHero sends these as strings); "Inventory Change" → a
/// delta of `quantity` on hand and available, only when the feed opts in (ApplyInventoryChanges).
/// 503 when the ledger did not accept the records, so ShipHero delivers again.
/// </summary>
public static class ShipHeroWebhook
{
    public const string SignatureHeader = "x-shiphero-hmac-sha256";
    private const string MessageIdHeader = "X-Shiphero-Message-ID";

    public static IEndpointRouteBuilder MapShipHeroWebhook(this IEndpointRouteBuilder app)
    {
        // Anonymous by design: the HMAC signature is the credential.
        app.MapPost("/webhooks/shiphero/{warehouseId}", ReceiveAsync).AllowAnonymous();
        return app;
    }

    private static async Task<IResult> ReceiveAsync(string warehouseId, HttpRequest request, IOptions<ConnectorOptions> options, FeedIntake intake, TimeProvider clock, CancellationToken cancellationToken)
    {
        var (delivery, problem) = await SignedWebhook.ReadAsync(warehouseId, FeedOptions.ShipHeroSource, SignatureHeader, request, options.Value, cancellationToken);
        if (delivery is null)
        {
            return problem!;
        }
        var (feed, payload, body) = delivery;
        var type = (payload?["webhook_type"] as JsonValue)?.ToString();
        if (type is not ("Inventory Update" or "Inventory Change"))
        {
            return Results.Problem(detail: $"webhook_type: '{type}' is not an inventory webhook", statusCode: StatusCodes.Status400BadRequest);
        }
        var receivedAt = clock.GetUtcNow();
        List<JsonElement> records = type == "Inventory Update"
            ? [.. (payload!["inventory"] as JsonArray ?? []).Select(item => Snapshot(item, receivedAt))]
            : feed.ApplyInventoryChanges ? [Delta(payload!, request.Headers[MessageIdHeader].ToString(), body)] : [];
        if (records.Count == 0)
        {
            return Results.Ok(new { received = 0 });
        }
        return await SignedWebhook.DeliverAsync(() => intake.AcceptAsync(feed, records, cancellationToken));
    }

    /// <summary>The absolute levels of one item; ShipHero has no per-item time, so receipt time orders them.</summary>
    private static JsonElement Snapshot(JsonNode? item, DateTimeOffset receivedAt)
    {
        var record = new JsonObject
        {
            ["type"] = "snapshot",
            ["sourceTime"] = receivedAt.ToString("O", CultureInfo.InvariantCulture),
            ["sourceVersion"] = receivedAt.ToUnixTimeMilliseconds(),
            ["sku"] = item?["sku"]?.DeepClone(),
            ["onHand"] = Number(item?["on_hand"]),
            ["available"] = Number(item?["inventory"]),
            ["reserved"] = Number(item?["reserve"]),
            ["unsellable"] = Number(item?["non_sellable"]),
        };
        return JsonSerializer.SerializeToElement(record);
    }

    private static JsonElement Delta(JsonNode payload, string messageId, byte[] body)
    {
        var at = DateTimeOffset.TryParseExact(payload["timestamp"]?.ToString(), "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t.ToString("O", CultureInfo.InvariantCulture) : payload["timestamp"]?.ToString();
        var record = new JsonObject
        {
            ["type"] = "delta",
            // The message id makes a redelivery a duplicate; without one, the body itself does.
            ["eventId"] = messageId.Length > 0 ? messageId : Convert.ToHexString(SHA256.HashData(body))[..32],
            ["sourceTime"] = at,
            ["sku"] = payload["sku"]?.DeepClone(),
            ["onHand"] = Number(payload["quantity"]),
            ["available"] = Number(payload["quantity"]),
        };
        return JsonSerializer.SerializeToElement(record);
    }

    /// <summary>ShipHero sends counts as strings ("12"): read them as numbers, pass anything else on to be refused.</summary>
    private static JsonNode? Number(JsonNode? value)
        => value is JsonValue v && v.TryGetValue<string>(out var text) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            ? JsonValue.Create(n)
            : value?.DeepClone();
}
