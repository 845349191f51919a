using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Stockcast.Connector.Feeds;
using Stockcast.ServiceDefaults.Errors;
using Stockcast.ServiceDefaults.Limits;

namespace Stockcast.Connector.Webhooks;

/// <summary>
/// Receives ShipHero inventory webhooks at POST /webhooks/shiphero/{warehouseId}. The signature
/// (x-shiphero-hmac-sha256 = base64 HMAC-SHA256 of the raw body with the shared secret) is checked
/// in fixed time before anything is read: unsigned or wrongly signed calls get 401 and change nothing.
/// "Inventory Update" → a snapshot per item (on_hand → onHand, inventory → available, reserve →
/// reserved, non_sellable → unsellable; ShipHero sends these as strings, which CanonicalRecords reads as
/// every feed's quantities), versioned by the body's
/// first receipt (it carries no time: a late redelivery is then older, not newer); "Inventory
/// Change" → a delta of `quantity` on hand and available at its `timestamp`, identified by a hash of
/// the signed body, only when the feed opts in (ApplyInventoryChanges), and refused (400) as a replay
/// when that signed timestamp is outside the feed's DeliveryWindowSeconds. The ShipHero warehouse_id in
/// the body must be the feed's ExternalId: an item for another warehouse is dead-lettered, never applied.
/// 503 when the ledger did not accept the records, so ShipHero delivers again.
/// </summary>
public static class ShipHeroWebhook
{
    public const string SignatureHeader = "x-shiphero-hmac-sha256";

    public static readonly SignedWebhook.Vendor Vendor = new(FeedOptions.ShipHeroSource, SignatureHeader, new PublicEndpoint("webhook_shiphero", PerAddress: 6000, PerToken: 0), o => o.MaxShipHeroBodyBytes);

    public static IEndpointRouteBuilder MapShipHeroWebhook(this IEndpointRouteBuilder app)
    {
        // Anonymous by design: the HMAC signature is the credential.
        app.MapPost("/webhooks/shiphero/{warehouseId}", ReceiveAsync).AllowAnonymous().WithPublicLimits(Vendor.Endpoint);
        return app;
    }

    private static async Task<IResult> ReceiveAsync(string warehouseId, HttpRequest request, IOptions<ConnectorOptions> options, CanonicalRecords canonical, WebhookReceipts receipts, FeedIntake intake, PublicRefusals refusals, TimeProvider clock, CancellationToken cancellationToken)
    {
        var (delivery, problem) = await SignedWebhook.ReadAsync(warehouseId, Vendor, request, options.Value, refusals, cancellationToken);
        if (delivery is null)
        {
            return problem!;
        }
        var (feed, payload, body) = delivery;
        var type = (payload.Member("webhook_type") as JsonValue)?.ToString();
        if (type is not ("Inventory Update" or "Inventory Change"))
        {
            throw new InvalidFieldException("webhook_type", $"'{type}' is not an inventory webhook");
        }
        List<NormalisedRecord> records;
        if (type == "Inventory Update")
        {
            var firstReceived = await receipts.FirstReceivedAsync(feed, body, clock.GetUtcNow());
            var now = clock.GetUtcNow();
            records = [.. (payload.Member("inventory") as JsonArray ?? []).Select(item => Snapshot(item, feed, firstReceived, now, canonical))];
        }
        else if (feed.ApplyInventoryChanges)
        {
            if (ChangedAt(payload) is { } changedAt && SignedWebhook.OutsideWindow(changedAt, "timestamp", Vendor, feed, options.Value, request.HttpContext, refusals, clock.GetUtcNow()) is { } replay)
            {
                return replay;
            }
            records = [Delta(payload!, feed, body, clock.GetUtcNow(), canonical)];
        }
        else
        {
            records = [];
        }
        if (records.Count == 0)
        {
            return Results.Ok(new { received = 0 });
        }
        return await SignedWebhook.DeliverAsync(() => intake.AcceptAsync(feed, records, cancellationToken));
    }

    /// <summary>
    /// The absolute levels of one item. ShipHero gives no time: the body's first receipt is the source
    /// time, and in microseconds the version, so a redelivery never passes for a newer message.
    /// </summary>
    private static NormalisedRecord Snapshot(JsonNode? item, FeedOptions feed, DateTimeOffset firstReceived, DateTimeOffset now, CanonicalRecords canonical)
    {
        if (OtherWarehouse(item.Member("updated_warehouse").Member("warehouse_id"), "updated_warehouse.warehouse_id", feed) is { } reason)
        {
            return NotThisFeeds(item, now, reason);
        }
        var record = new JsonObject
        {
            ["type"] = "snapshot",
            ["sourceTime"] = firstReceived.ToString("O", CultureInfo.InvariantCulture),
            ["sourceVersion"] = WebhookReceipts.Microseconds(firstReceived),
            ["sku"] = item.Member("sku")?.DeepClone(),
            ["onHand"] = item.Member("on_hand")?.DeepClone(),
            ["available"] = item.Member("inventory")?.DeepClone(),
            ["reserved"] = item.Member("reserve")?.DeepClone(),
            ["unsellable"] = item.Member("non_sellable")?.DeepClone(),
        };
        return canonical.Read(SourceRecord.Received(JsonSerializer.SerializeToElement(record), now), feed);
    }

    private static NormalisedRecord Delta(JsonNode payload, FeedOptions feed, byte[] body, DateTimeOffset now, CanonicalRecords canonical)
    {
        if (OtherWarehouse(payload.Member("warehouse_id"), "warehouse_id", feed) is { } reason)
        {
            return NotThisFeeds(payload, now, reason);
        }
        var at = ChangedAt(payload)?.ToString("O", CultureInfo.InvariantCulture) ?? payload.Member("timestamp")?.ToString();
        var record = new JsonObject
        {
            ["type"] = "delta",
            // The signed body itself: a redelivery is a duplicate, and a replay with a new message-id header still is.
            ["eventId"] = WebhookReceipts.ContentKey(body),
            ["sourceTime"] = at,
            ["sku"] = payload.Member("sku")?.DeepClone(),
            ["onHand"] = payload.Member("quantity")?.DeepClone(),
            ["available"] = payload.Member("quantity")?.DeepClone(),
        };
        return canonical.Read(SourceRecord.Received(JsonSerializer.SerializeToElement(record), now), feed);
    }

    /// <summary>An Inventory Change's signed timestamp ("yyyy-MM-dd HH:mm:ss", UTC); null when missing or unreadable.</summary>
    private static DateTimeOffset? ChangedAt(JsonNode? payload)
        => DateTimeOffset.TryParseExact(payload.Member("timestamp")?.ToString(), "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    /// <summary>
    /// A message for another ShipHero warehouse, kept as ShipHero sent it. No reader reads that format
    /// again: no mapping fix makes another warehouse's stock this feed's, so a replay leaves it as it is.
    /// </summary>
    private static NormalisedRecord NotThisFeeds(JsonNode? message, DateTimeOffset now, string reason)
    {
        var payload = JsonSerializer.SerializeToElement(message);
        return NormalisedRecord.Refused(SourceRecord.Received(payload, now), FeedOptions.ShipHeroSource, payload.GetRawText(), reason);
    }

    /// <summary>Why a message is not this feed's: its ShipHero warehouse_id is missing or another than the feed's ExternalId.</summary>
    private static string? OtherWarehouse(JsonNode? warehouseId, string field, FeedOptions feed)
    {
        var id = (warehouseId as JsonValue)?.ToString();
        return id == feed.ExternalId ? null
            : id is null ? $"{field}: missing, so it cannot be told to be ShipHero warehouse {feed.ExternalId} (this feed's)"
            : $"{field}: {id} is not this feed's ShipHero warehouse ({feed.ExternalId})";
    }
}
