using System.Globalization;
using System.Text.Json.Nodes;
using Stockcast.WarehouseSim.Model;

namespace Stockcast.WarehouseSim.Apis;

/// <summary>
/// ShipBob's 2025-07 inventory-level API (developer.shipbob.com/2025-07/api/inventory): item totals and
/// per-fulfillment-center quantities, cursor pages, bearer tokens, 150 calls/minute sliding window.
/// </summary>
public sealed class ShipBobApi(StockModel model, QuotaClock quotaClock, Mess mess, ApiTraffic traffic, FailingAnswers failing)
{
    public const int CallsPerMinute = 150;
    private const int DefaultPageSize = 50;
    private const int MaxPageSize = 250;
    private readonly SlidingWindowLimit _limit = new(quotaClock, CallsPerMinute, TimeSpan.FromMinutes(1));

    public void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/2025-07/inventory-level", (HttpContext http) => Serve(http, Totals));
        app.MapGet("/2025-07/inventory-level/locations", (HttpContext http) => Serve(http, ByLocation));
    }

    private IResult Serve(HttpContext http, Func<SkuLevels, JsonObject> render)
    {
        var auth = http.Request.Headers.Authorization.ToString();
        var token = auth.StartsWith("Bearer ", StringComparison.Ordinal) ? auth["Bearer ".Length..].Trim() : "";
        var warehouse = token.Length > 0 ? model.FindPolled(ApiKind.ShipBob, token) : null;
        if (warehouse is null)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return Results.Json(new { statusCode = 401, message = "Unauthorized" }, statusCode: StatusCodes.Status401Unauthorized);
        }
        using var reading = traffic.Begin(warehouse.Id, http.Request.Headers.UserAgent.ToString());
        if (failing.For(warehouse.Id) is { } failed)
        {
            return failed;
        }
        var rate = _limit.Take($"{model.Generation}:{token}");
        http.Response.Headers["x-remaining-calls"] = rate.Remaining.ToString(CultureInfo.InvariantCulture);
        if (!rate.Allowed)
        {
            traffic.Throttled(warehouse.Id);
            var seconds = (int)Math.Ceiling(rate.RetryAfter.TotalSeconds);
            http.Response.Headers["x-retry-after"] = seconds.ToString(CultureInfo.InvariantCulture);
            return Results.Json(new { statusCode = 429, message = $"Rate limit is exceeded. Try again in {seconds} seconds." },
                statusCode: StatusCodes.Status429TooManyRequests);
        }
        if (model.Status(warehouse.Id) == FeedStatus.Down)
        {
            return Results.Json(new { statusCode = 503, message = "Service Unavailable" }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        var query = http.Request.Query;
        var pageSize = DefaultPageSize;
        if (query.ContainsKey("PageSize") && (!int.TryParse(query["PageSize"], out pageSize) || pageSize is < 1 or > MaxPageSize))
        {
            return Invalid("PageSize", $"PageSize must be between 1 and {MaxPageSize}.");
        }
        if (!PageCursor.TryDecode(query["Cursor"], model.Generation, out var offset))
        {
            return Invalid("Cursor", "The cursor is invalid.");
        }

        var feed = model.Feed(warehouse.Id);
        var items = new JsonArray();
        foreach (var sku in feed.Skip(offset).Take(pageSize))
        {
            var item = render(sku);
            mess.Spoil(ApiKind.ShipBob, item, Shape(item), model.TakeMalformation(warehouse.Id, sku.Sku));
            items.Add(item);
        }
        var path = $"{http.Request.Scheme}://{http.Request.Host}{http.Request.Path}";
        string Link(int at) => $"{path}?Cursor={PageCursor.Encode(model.Generation, at)}&PageSize={pageSize}";
        var lastOffset = feed.Count == 0 ? 0 : (feed.Count - 1) / pageSize * pageSize;
        return Results.Json(new JsonObject
        {
            ["first"] = offset == 0 ? null : Link(0),
            ["items"] = items,
            ["last"] = offset >= lastOffset ? null : Link(lastOffset),
            ["next"] = offset + pageSize < feed.Count ? Link(offset + pageSize) : null,
            ["prev"] = offset == 0 ? null : Link(Math.Max(0, offset - pageSize)),
        });
    }

    private static IResult Invalid(string field, string message) =>
        Results.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });

    /// <summary>An item's totals, or in the <c>/locations</c> view its first fulfillment center's; ShipBob's records carry no time.</summary>
    private static RecordShape Shape(JsonObject item) => item["locations"] is JsonArray { Count: > 0 } locations && locations[0] is JsonObject first
        ? new RecordShape("sku", new(first, "on_hand_quantity"), new(first, "fulfillable_quantity"), Time: null)
        : new RecordShape("sku", new(item, "total_on_hand_quantity"), new(item, "total_fulfillable_quantity"), Time: null);

    private static JsonObject Totals(SkuLevels s) => new()
    {
        ["inventory_id"] = s.Ids.InventoryId,
        ["name"] = s.Sku,
        ["sku"] = s.Sku,
        ["total_awaiting_quantity"] = s.Inbound,
        ["total_backordered_quantity"] = 0,
        ["total_committed_quantity"] = s.Committed,
        ["total_exception_quantity"] = 0,
        ["total_fulfillable_quantity"] = s.Fulfillable,
        ["total_internal_transfer_quantity"] = 0,
        ["total_on_hand_quantity"] = s.OnHand,
        ["total_sellable_quantity"] = s.Fulfillable,
    };

    private static JsonObject ByLocation(SkuLevels s) => new()
    {
        ["inventory_id"] = s.Ids.InventoryId,
        ["name"] = s.Sku,
        ["sku"] = s.Sku,
        ["locations"] = new JsonArray([.. s.Locations.Select(l => (JsonNode)new JsonObject
        {
            ["awaiting_quantity"] = l.Inbound,
            ["committed_quantity"] = l.Committed,
            ["fulfillable_quantity"] = l.Fulfillable,
            ["internal_transfer_quantity"] = 0,
            ["location_id"] = l.Location.Id,
            ["name"] = l.Location.Name,
            ["on_hand_quantity"] = l.OnHand,
        })]),
    };
}
