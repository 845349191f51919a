using System.Text.Json;
using Microsoft.Extensions.Options;
using Stockcast.Connector.Feeds;
using Stockcast.ServiceDefaults.Auth;
using Stockcast.ServiceDefaults.Errors;

namespace Stockcast.Connector.Push;

/// <summary>
/// The canonical JSON push API (v1) for any ERP/WMS without an adapter:
/// POST /v1/warehouses/{warehouseId}/stock with {"records": [...]}. See docs/connector.md.
/// </summary>
public static class CanonicalPushEndpoint
{
    public static IEndpointRouteBuilder MapCanonicalPush(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/warehouses/{warehouseId}/stock", PushAsync).RequireAuthorization(Policies.Write);
        return app;
    }

    private static async Task<IResult> PushAsync(string warehouseId, HttpRequest request, IOptions<ConnectorOptions> options, FeedIntake intake, CancellationToken cancellationToken)
    {
        var feed = options.Value.Feeds.FirstOrDefault(f => f.WarehouseId == warehouseId && f.Source == FeedOptions.CanonicalSource);
        if (feed is null)
        {
            return Problem(StatusCodes.Status404NotFound, $"no canonical feed is configured for warehouse '{warehouseId}'");
        }
        JsonDocument body;
        try
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, cancellationToken);
            var bytes = buffer.ToArray();
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
