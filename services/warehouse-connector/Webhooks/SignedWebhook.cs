using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stockcast.Connector.Feeds;
using Stockcast.ServiceDefaults.Errors;

namespace Stockcast.Connector.Webhooks;

/// <summary>
/// What every signed inventory webhook goes through: find the warehouse's feed, check the signature
/// (base64 HMAC-SHA256 of the raw body with the shared secret, as ShipHero and Shopify both sign) in
/// fixed time before reading anything, parse the JSON, and after delivery answer 200 (refused records
/// are dead letters, listed in the answer), or 503 when the ledger did not accept the records so the
/// sender delivers again.
/// </summary>
public static class SignedWebhook
{
    public sealed record Delivery(FeedOptions Feed, JsonNode? Payload, byte[] Body);

    /// <summary>The verified delivery, or the problem to answer instead (404, 401); a body that is not JSON throws <see cref="InvalidFieldException"/> (400 naming "body").</summary>
    public static async Task<(Delivery? Delivery, IResult? Problem)> ReadAsync(
        string warehouseId, string source, string signatureHeader, HttpRequest request, ConnectorOptions options, CancellationToken cancellationToken)
    {
        var feed = options.Feeds.FirstOrDefault(f => f.WarehouseId == warehouseId && f.Source == source);
        if (feed is null)
        {
            return (null, Results.Problem(detail: $"no {source} feed is configured for warehouse '{warehouseId}'", statusCode: StatusCodes.Status404NotFound));
        }
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancellationToken);
        var body = buffer.ToArray();
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
    {
        if (presented.Length == 0)
        {
            return false;
        }
        var expected = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(presented.Trim()));
    }
}
