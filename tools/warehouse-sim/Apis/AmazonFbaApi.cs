using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Stockcast.WarehouseSim.Model;

namespace Stockcast.WarehouseSim.Apis;

/// <summary>
/// SP-API FBA Inventory v1 getInventorySummaries (developer-docs.amazon.com/sp-api, fbaInventory.json model):
/// Marketplace granularity, details, startDateTime incremental reads, expiring nextTokens, rate 2/s burst 2.
/// </summary>
public sealed class AmazonFbaApi(StockModel model, ScenarioClock clock, QuotaClock quotaClock, Mess mess, ApiTraffic traffic, FailingAnswers failing)
{
    public const double Rate = 2;
    public const int PageSize = 50;
    public static readonly TimeSpan TokenLifetime = TimeSpan.FromMinutes(5);
    private readonly TokenBucketLimit _limit = new(quotaClock, Rate, burst: 2);
    private readonly ConcurrentDictionary<string, PageToken> _tokens = new();
    private DateTimeOffset _expiredBefore = DateTimeOffset.MinValue;

    private sealed record PageToken(int Generation, string Query, int Offset, DateTimeOffset Issued, string? StartDateTime);

    public void Map(IEndpointRouteBuilder app) => app.MapGet("/fba/inventory/v1/summaries", Serve);

    /// <summary>Every nextToken issued so far stops working, as if it had aged out.</summary>
    public void ExpireTokens() => _expiredBefore = clock.GetUtcNow().AddTicks(1);

    private IResult Serve(HttpContext http)
    {
        http.Response.Headers["x-amzn-RequestId"] = Guid.NewGuid().ToString();
        // SP-API dates its answers: a client's stand-in for a summary without lastUpdatedTime. Scenario time, as the API sees it.
        http.Response.Headers.Date = clock.GetUtcNow().ToString("R", CultureInfo.InvariantCulture);
        var token = http.Request.Headers["x-amz-access-token"].ToString();
        if (token.Length == 0 || !model.HasToken(ApiKind.AmazonFba, token))
        {
            // SP-API sends no rate-limit header on 401/403.
            return Error(StatusCodes.Status403Forbidden, "Unauthorized", "Access to requested resource is denied.");
        }
        var q = http.Request.Query;
        var marketplace = q["granularityId"].ToString();
        var warehouse = model.FindPolled(ApiKind.AmazonFba, token, marketplace);
        // Counted per marketplace (one warehouse each), though the quota is the token's.
        var counted = warehouse?.Id ?? "(no marketplace)";
        using var reading = traffic.Begin(counted, http.Request.Headers.UserAgent.ToString());
        if (warehouse is not null && failing.For(warehouse.Id) is { } failed)
        {
            return failed;
        }
        var rate = _limit.Take($"{model.Generation}:{token}");
        if (!rate.Allowed)
        {
            traffic.Throttled(counted);
            return Error(StatusCodes.Status429TooManyRequests, "QuotaExceeded", "You exceeded your quota for the requested resource.");
        }
        http.Response.Headers["x-amzn-RateLimit-Limit"] = Rate.ToString("0.0", CultureInfo.InvariantCulture);

        if (q["granularityType"] != "Marketplace")
        {
            return Invalid("Invalid granularityType. Valid value: Marketplace.");
        }
        if (marketplace.Length == 0 || !q["marketplaceIds"].ToString().Split(',').Contains(marketplace))
        {
            return Invalid("granularityId and marketplaceIds are required and must name the same marketplace.");
        }
        if (warehouse is null)
        {
            return Invalid($"Invalid granularityId: {marketplace}.");
        }
        var details = string.Equals(q["details"], "true", StringComparison.OrdinalIgnoreCase);
        var startText = q["startDateTime"].ToString();
        DateTimeOffset? start = null;
        if (startText.Length > 0)
        {
            if (!DateTimeOffset.TryParse(startText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                return Invalid("Invalid startDateTime. Expected ISO 8601 date time.");
            }
            start = parsed;
        }
        var queryKey = $"{warehouse.Id}|{details}|{q["sellerSkus"]}";
        var offset = 0;
        var next = q["nextToken"].ToString();
        if (next.Length > 0)
        {
            if (!_tokens.TryGetValue(next, out var page) || page.Generation != model.Generation || page.Query != queryKey)
            {
                return Invalid("Invalid nextToken.");
            }
            if (page.Issued < _expiredBefore || clock.GetUtcNow() - page.Issued > TokenLifetime)
            {
                return Invalid("The nextToken has expired. Start again without nextToken.");
            }
            // Since October 2022 a page of an incremental read must repeat its startDateTime.
            if (page.StartDateTime is not null && page.StartDateTime != startText)
            {
                return Invalid("startDateTime is required with nextToken when the first request used it.");
            }
            offset = page.Offset;
        }
        if (model.Status(warehouse.Id) == FeedStatus.Down)
        {
            return Error(StatusCodes.Status503ServiceUnavailable, "ServiceUnavailable", "Service is temporarily unavailable.");
        }

        var skus = q["sellerSkus"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries);
        var matching = model.Feed(warehouse.Id)
            .Where(s => start is null || s.UpdatedAt >= start)
            .Where(s => skus.Length == 0 || skus.Contains(s.Sku))
            .ToList();
        var summaries = new JsonArray();
        foreach (var sku in matching.Skip(offset).Take(PageSize))
        {
            var summary = Summary(sku, details);
            var shape = new RecordShape("sellerSku", new(summary, "totalQuantity"),
                summary["inventoryDetails"] is JsonObject sellable ? new(sellable, "fulfillableQuantity") : null, "lastUpdatedTime");
            mess.Spoil(ApiKind.AmazonFba, summary, shape, model.TakeMalformation(warehouse.Id, sku.Sku));
            summaries.Add(summary);
        }
        var body = new JsonObject
        {
            ["payload"] = new JsonObject
            {
                ["granularity"] = new JsonObject { ["granularityType"] = "Marketplace", ["granularityId"] = marketplace },
                ["inventorySummaries"] = summaries,
            },
        };
        if (offset + PageSize < matching.Count)
        {
            var issued = Guid.NewGuid().ToString("N");
            _tokens[issued] = new PageToken(model.Generation, queryKey, offset + PageSize, clock.GetUtcNow(), start is null ? null : startText);
            body["pagination"] = new JsonObject { ["nextToken"] = issued };
        }
        return Results.Json(body);
    }

    private static JsonObject Summary(SkuLevels s, bool details)
    {
        var summary = new JsonObject
        {
            ["asin"] = s.Ids.Asin,
            ["fnSku"] = s.Ids.FnSku,
            ["sellerSku"] = s.Sku,
            ["condition"] = "NewItem",
        };
        if (details)
        {
            summary["inventoryDetails"] = new JsonObject
            {
                ["fulfillableQuantity"] = s.Fulfillable,
                ["inboundWorkingQuantity"] = 0,
                ["inboundShippedQuantity"] = s.Inbound,
                ["inboundReceivingQuantity"] = 0,
                ["reservedQuantity"] = new JsonObject
                {
                    ["totalReservedQuantity"] = s.Committed,
                    ["pendingCustomerOrderQuantity"] = s.Committed,
                    ["pendingTransshipmentQuantity"] = 0,
                    ["fcProcessingQuantity"] = 0,
                },
                ["researchingQuantity"] = new JsonObject
                {
                    ["totalResearchingQuantity"] = 0,
                    ["researchingQuantityBreakdown"] = new JsonArray(),
                },
                ["unfulfillableQuantity"] = new JsonObject
                {
                    ["totalUnfulfillableQuantity"] = 0,
                    ["customerDamagedQuantity"] = 0,
                    ["warehouseDamagedQuantity"] = 0,
                    ["distributorDamagedQuantity"] = 0,
                    ["carrierDamagedQuantity"] = 0,
                    ["defectiveQuantity"] = 0,
                    ["expiredQuantity"] = 0,
                },
            };
        }
        summary["lastUpdatedTime"] = s.UpdatedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        summary["productName"] = s.Sku;
        summary["totalQuantity"] = s.OnHand + s.Inbound;
        return summary;
    }

    private static IResult Invalid(string message) => Error(StatusCodes.Status400BadRequest, "InvalidInput", message);

    /// <summary>SP-API's ErrorList shape: { "errors": [ { "code", "message", "details" } ] }.</summary>
    private static IResult Error(int status, string code, string message) =>
        Results.Json(new { errors = new[] { new { code, message, details = "" } } }, statusCode: status);
}
