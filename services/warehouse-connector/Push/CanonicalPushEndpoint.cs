using System.Text.Json;
using Microsoft.Extensions.Options;
using Stockcast.Connector.Feeds;
using Stockcast.ServiceDefaults.Auth;
using Stockcast.ServiceDefaults.Errors;
using Stockcast.ServiceDefaults.Limits;

namespace Stockcast.Connector.Push;

/// <summary>
/// The canonical JSON push API (v1) for any ERP/WMS without an adapter:
/// POST /v1/warehouses/{warehouseId}/stock with {"records": [...]}. See docs/connector.md. The body
/// is refused with 413 as soon as it passes MaxPushBodyBytes, before the rest is read.
/// </summary>
public static class CanonicalPushEndpoint
{
    /// <summary>Per pusher key (the token) and per address: an ERP pushing every few seconds stays far below.</summary>
    public static readonly PublicEndpoint Public = new("push", PerAddress: 1200, PerToken: 600);

    public static IEndpointRouteBuilder MapCanonicalPush(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/warehouses/{warehouseId}/stock", PushAsync).RequireAuthorization(Policies.Write).WithPublicLimits(Public);
        return app;
    }

    private static async Task<IResult> PushAsync(string warehouseId, HttpRequest request, IOptions<ConnectorOptions> options, FeedIntake intake, PublicRefusals refusals, CancellationToken cancellationToken)
    {
        var feed = options.Value.Feeds.FirstOrDefault(f => f.WarehouseId == warehouseId && f.Source == FeedOptions.CanonicalSource);
        if (feed is null)
        {
            return Problem(StatusCodes.Status404NotFound, $"no canonical feed is configured for warehouse '{warehouseId}'");
        }
        var limit = options.Value.MaxPushBodyBytes;
        if (await BoundedBody.ReadAsync(request, limit, cancellationToken) is not { } bytes)
        {
            return BoundedBody.TooLarge(refusals, request.HttpContext, Public.Kind, limit);
        }
        JsonDocument body;
        try
        {
            JsonBody.RequireUtf8(bytes);
            body = JsonDocument.Parse(bytes);
        }
        catch (JsonException ex)
        {
            throw new InvalidFieldException("body", $"not JSON ({ex.Message})");
        }
        using (body)
        {
            if (body.RootElement.ValueKind != JsonValueKind.Object || !body.RootElement.TryGetProperty("records", out var records) || records.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidFieldException("records", "required, an array of records");
            }
            var count = records.GetArrayLength();
            // An empty push is a heartbeat: the warehouse confirms nothing changed, so its feed is not stale.
            if (count > options.Value.MaxRecordsPerPush)
            {
                throw new InvalidFieldException("records", $"{count} records; send 0 (a heartbeat) to {options.Value.MaxRecordsPerPush} per call");
            }
            // Records the connector or the ledger refuses are dead letters, listed in the 200. The ledger
            // or Redis down: nothing is acknowledged and the HTTP error handler answers 503 with
            // Retry-After, so the sender retries the same records (idempotent).
            var result = await intake.AcceptAsync(feed, [.. records.EnumerateArray()], cancellationToken);
            return Results.Ok(new
            {
                received = result.Received,
                applied = result.Applied,
                duplicate = result.Duplicate,
                stale = result.Stale,
                unchanged = result.Unchanged,
                deadLettered = result.DeadLettered.Select(r => new { index = r.Index, id = r.DeadLetterId, reason = r.Reason }),
            });
        }
    }

    private static IResult Problem(int status, string detail) => Results.Problem(detail: detail, statusCode: status);
}
