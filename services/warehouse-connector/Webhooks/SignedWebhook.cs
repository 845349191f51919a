using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stockcast.Connector.Feeds;
using Stockcast.ServiceDefaults.Auth;
using Stockcast.ServiceDefaults.Errors;
using Stockcast.ServiceDefaults.Limits;

namespace Stockcast.Connector.Webhooks;

/// <summary>
/// What every signed inventory webhook goes through: find the warehouse's feed, read the body up to
/// the vendor's limit (413 as soon as it is passed, before the rest is read), check the signature
/// (base64 HMAC-SHA256 of the raw body with the shared secret, as ShipHero and Shopify both sign) in
/// fixed time before parsing anything, parse the JSON, and after delivery answer 200 (refused records
/// are dead letters, listed in the answer), or 503 when the ledger did not accept the records so the
/// sender delivers again.
/// </summary>
public static class SignedWebhook
{
    public sealed record Delivery(FeedOptions Feed, JsonNode? Payload, byte[] Body);

    /// <summary>How a vendor's webhooks arrive: its source, signature header, body limit and public endpoint.</summary>
    public sealed record Vendor(string Source, string SignatureHeader, PublicEndpoint Endpoint, Func<ConnectorOptions, int> MaxBodyBytes);

    /// <summary>The verified delivery, or the problem to answer instead (404, 413, 401); a body that is not JSON throws <see cref="InvalidFieldException"/> (400 naming "body").</summary>
    public static async Task<(Delivery? Delivery, IResult? Problem)> ReadAsync(
        string warehouseId, Vendor vendor, HttpRequest request, ConnectorOptions options, PublicRefusals refusals, CancellationToken cancellationToken)
    {
        var (source, signatureHeader) = (vendor.Source, vendor.SignatureHeader);
        var feed = options.Feeds.FirstOrDefault(f => f.WarehouseId == warehouseId && f.Source == source);
        if (feed is null)
        {
            return (null, Results.Problem(detail: $"no {source} feed is configured for warehouse '{warehouseId}'", statusCode: StatusCodes.Status404NotFound));
        }
        var limit = vendor.MaxBodyBytes(options);
        if (await BoundedBody.ReadAsync(request, limit, cancellationToken) is not { } body)
        {
            return (null, BoundedBody.TooLarge(refusals, request.HttpContext, vendor.Endpoint.Kind, limit));
        }
        if (!Matches(body, request.Headers[signatureHeader].ToString(), feed.WebhookSecret))
        {
            return (null, Results.Problem(detail: $"{signatureHeader}: missing or not valid for this body", statusCode: StatusCodes.Status401Unauthorized));
        }
        return (new Delivery(feed, ParseWhole(body), body), null);
    }

    /// <summary>
    /// The body as JSON, read to its last member now: JsonNode reads lazily, so a duplicate key would
    /// otherwise surface in the middle of the intake as a 500.
    /// </summary>
    public static JsonNode? ParseWhole(byte[] body)
    {
        JsonBody.RequireUtf8(body);
        try
        {
            var payload = JsonNode.Parse(body);
            ReadWhole(payload);
            return payload;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            throw new InvalidFieldException("body", $"not JSON ({ex.Message})");
        }
    }

    private static void ReadWhole(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (_, child) in o)
                {
                    ReadWhole(child);
                }
                break;
            case JsonArray a:
                foreach (var child in a)
                {
                    ReadWhole(child);
                }
                break;
        }
    }

    /// <summary>
    /// Why a delivery that says when it was sent is refused as a replay: sent longer ago than the
    /// feed's DeliveryWindowSeconds, or further ahead than the clock skew allowed; null when within.
    /// </summary>
    public static IResult? OutsideWindow(DateTimeOffset sentAt, string field, Vendor vendor, FeedOptions feed, ConnectorOptions options, HttpContext http, PublicRefusals refusals, DateTimeOffset now)
    {
        var reason = now - sentAt > TimeSpan.FromSeconds(feed.DeliveryWindowSeconds)
                ? $"{field}: sent at {sentAt:O}, longer ago than the {feed.DeliveryWindowSeconds} s this feed accepts (a replay, or a delivery retried too late)"
            : sentAt - now > TimeSpan.FromSeconds(options.MaxClockSkewSeconds)
                ? $"{field}: sent at {sentAt:O}, more than {options.MaxClockSkewSeconds} s ahead of this server's clock"
            : null;
        return reason is null ? null : refusals.Refuse(http, vendor.Endpoint.Kind, PublicRefusals.OutsideReplayWindow, StatusCodes.Status400BadRequest, reason);
    }

    /// <summary>A member of a JSON object; null when the node is missing or not an object (a sender's mistake, refused as a missing field).</summary>
    public static JsonNode? Member(this JsonNode? node, string name) => (node as JsonObject)?[name];

    /// <summary>
    /// Runs the intake and answers with its counts. When the ledger or Redis did not take them, the
    /// HTTP error handler answers 503 with Retry-After, and the sender delivers again.
    /// </summary>
    public static async Task<IResult> DeliverAsync(Func<Task<IntakeResult>> intake)
    {
        var result = await intake();
        return Results.Ok(new
        {
            received = result.Received,
            applied = result.Applied,
            unchanged = result.Unchanged,
            deadLettered = result.DeadLettered.Count,
            deadLetters = result.DeadLettered.Select(r => new { index = r.Index, id = r.DeadLetterId, reason = r.Reason }),
        });
    }

    private static bool Matches(byte[] body, string presented, string secret)
        => presented.Length > 0 && SecretComparison.Same(presented.Trim(), Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body)));
}
