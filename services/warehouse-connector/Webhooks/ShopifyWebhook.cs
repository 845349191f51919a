using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Stockcast.Connector.Feeds;
using Stockcast.ServiceDefaults.Errors;
using Stockcast.ServiceDefaults.Limits;

namespace Stockcast.Connector.Webhooks;

/// <summary>
/// Receives Shopify's inventory_levels/update at POST /webhooks/shopify/{warehouseId}, verified by
/// X-Shopify-Hmac-Sha256 (base64 HMAC-SHA256 of the raw body with the app secret) before anything is
/// parsed; the body is read by <see cref="ShopifyRecords"/>. A delivery whose X-Shopify-Triggered-At
/// is outside the feed's DeliveryWindowSeconds is refused (400) as a replay: the header is not signed,
/// so this stops verbatim replays and makes them visible; the signed updated_at is what keeps any
/// replay from overwriting newer stock. Answers 200 with what became of it
/// (refused levels are dead letters), or 503 when the ledger or Redis did not take it, so Shopify
/// delivers again.
/// </summary>
public static class ShopifyWebhook
{
    public const string SignatureHeader = "X-Shopify-Hmac-Sha256";
    public const string TriggeredAtHeader = "X-Shopify-Triggered-At";
    private const string Topic = "inventory_levels/update";

    /// <summary>Shopify sends from a few addresses, in bursts when a shop restocks: the address limit is high.</summary>
    public static readonly SignedWebhook.Vendor Vendor = new(FeedOptions.ShopifySource, SignatureHeader, new PublicEndpoint("webhook_shopify", PerAddress: 6000, PerToken: 0), o => o.MaxShopifyBodyBytes);

    public static IEndpointRouteBuilder MapShopifyWebhook(this IEndpointRouteBuilder app)
    {
        // Anonymous by design: the HMAC signature is the credential.
        app.MapPost("/webhooks/shopify/{warehouseId}", ReceiveAsync).AllowAnonymous().WithPublicLimits(Vendor.Endpoint);
        return app;
    }

    private static async Task<IResult> ReceiveAsync(string warehouseId, HttpRequest request, IOptions<ConnectorOptions> options, ShopifyRecords reader, FeedIntake intake, PublicRefusals refusals, TimeProvider clock, CancellationToken cancellationToken)
    {
        var (delivery, problem) = await SignedWebhook.ReadAsync(warehouseId, Vendor, request, options.Value, refusals, cancellationToken);
        if (delivery is null)
        {
            return problem!;
        }
        // Sent by every current API version; a delivery without it (an older one) is ordered by updated_at alone.
        if (DateTimeOffset.TryParse(request.Headers[TriggeredAtHeader].ToString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var triggeredAt)
            && SignedWebhook.OutsideWindow(triggeredAt, TriggeredAtHeader, Vendor, delivery.Feed, options.Value, request.HttpContext, refusals, clock.GetUtcNow()) is { } replay)
        {
            return replay;
        }
        if (request.Headers["X-Shopify-Topic"].ToString() != Topic)
        {
            throw new InvalidFieldException("X-Shopify-Topic", $"only {Topic} is handled here");
        }
        var level = SourceRecord.Received(JsonSerializer.SerializeToElement(delivery.Payload), clock.GetUtcNow());
        return await SignedWebhook.DeliverAsync(() => intake.AcceptAsync(delivery.Feed, [reader.Read(level, delivery.Feed)], cancellationToken));
    }
}
