using System.Text.Json;
using Microsoft.Extensions.Options;
using Stockcast.Connector.Feeds;
using Stockcast.ServiceDefaults.Errors;

namespace Stockcast.Connector.Webhooks;

/// <summary>
/// Receives Shopify's inventory_levels/update at POST /webhooks/shopify/{warehouseId}, verified by
/// X-Shopify-Hmac-Sha256 (base64 HMAC-SHA256 of the raw body with the app secret) before anything is
/// read; the body is read by <see cref="ShopifyRecords"/>. Answers 200 with what became of it
/// (refused levels are dead letters), or 503 when the ledger or Redis did not take it, so Shopify
/// delivers again.
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

    private static async Task<IResult> ReceiveAsync(string warehouseId, HttpRequest request, IOptions<ConnectorOptions> options, ShopifyRecords reader, FeedIntake intake, TimeProvider clock, CancellationToken cancellationToken)
    {
        var (delivery, problem) = await SignedWebhook.ReadAsync(warehouseId, FeedOptions.ShopifySource, SignatureHeader, request, options.Value, cancellationToken);
        if (delivery is null)
        {
            return problem!;
        }
        if (request.Headers["X-Shopify-Topic"].ToString() != Topic)
        {
            throw new InvalidFieldException("X-Shopify-Topic", $"only {Topic} is handled here");
        }
        var level = SourceRecord.Received(JsonSerializer.SerializeToElement(delivery.Payload), clock.GetUtcNow());
        return await SignedWebhook.DeliverAsync(() => intake.AcceptAsync(delivery.Feed, [reader.Read(level, delivery.Feed)], cancellationToken));
    }
}
