using Stockcast.WarehouseSim.Model;
using Stockcast.WarehouseSim.Webhooks;

namespace Stockcast.WarehouseSim.Apis;

/// <summary>The simulator's own API under /sim: load a scenario, move its clock, read the true stock, inject faults.</summary>
public sealed class ControlApi(StockModel model, Simulator simulator, WebhookSender webhooks, AmazonFbaApi amazon, Mess mess, ApiTraffic traffic, FailingAnswers failing, SimOptions options, TimeProvider wallClock)
{
    public sealed record Adjustment(string Warehouse, string Sku, int Delta, long? Location = null, string? Reason = null);

    public void Map(IEndpointRouteBuilder app)
    {
        var sim = app.MapGroup("/sim");
        sim.MapPost("/scenario", (Scenario scenario) => Load(scenario));
        sim.MapGet("/scenario", () => Results.Json(model.Scenario, Scenario.Json));
        sim.MapPost("/advance", async (int seconds, CancellationToken cancel) => seconds is < 1 or > 86_400
            ? Results.Problem("seconds must be between 1 and 86400", statusCode: StatusCodes.Status400BadRequest)
            : Results.Json(await simulator.AdvanceAsync(seconds, cancel)));
        sim.MapGet("/state", () => Results.Json(model.State(), Scenario.Json));
        sim.MapPost("/adjust", async (Adjustment a, CancellationToken cancel) =>
            await simulator.AdjustAsync(a.Warehouse, a.Sku, a.Location, a.Delta, a.Reason ?? "Manual adjustment", cancel) is { } change
                ? Results.Json(new { change.Warehouse.Id, change.After.Sku, change.Delta, onHand = change.After.OnHand })
                : Results.Problem("unknown warehouse, sku or location, stock would go below committed, or the feed is stale", statusCode: StatusCodes.Status400BadRequest));
        sim.MapPost("/malformed", (MalformedRecord m) =>
        {
            if (model.Scenario.Warehouses.All(w => w.Id != m.Warehouse))
            {
                return Results.Problem($"unknown warehouse '{m.Warehouse}'", statusCode: StatusCodes.Status400BadRequest);
            }
            if (m.Problem() is { } problem)
            {
                return Results.Problem(problem, statusCode: StatusCodes.Status400BadRequest);
            }
            model.AddMalformation(m);
            return Results.NoContent();
        });
        sim.MapDelete("/malformed", () =>
        {
            model.ClearMalformations();
            return Results.NoContent();
        });
        sim.MapPost("/amazon/expire-next-tokens", () =>
        {
            amazon.ExpireTokens();
            return Results.NoContent();
        });
        sim.MapGet("/webhooks", () => Results.Json(webhooks.Deliveries, Scenario.Json));
        sim.MapGet("/mess", () => Results.Json(mess.Report(), Scenario.Json));
        sim.MapPost("/mess", (MessSpec spec) =>
        {
            if (Mess.Problem(spec) is { } problem)
            {
                return Results.Problem(problem, statusCode: StatusCodes.Status400BadRequest);
            }
            mess.Reset(spec);
            return Results.Json(mess.Report(), Scenario.Json);
        });
        sim.MapPost("/failing", (FailingSpec spec) =>
        {
            if (!model.Scenario.Warehouses.Any(w => w.Id == spec.Warehouse && !w.IsPushed))
            {
                return Results.Problem($"no polled warehouse '{spec.Warehouse}'", statusCode: StatusCodes.Status400BadRequest);
            }
            failing.Fail(spec);
            return Results.NoContent();
        });
        sim.MapDelete("/failing", () =>
        {
            failing.Clear();
            return Results.NoContent();
        });
        sim.MapGet("/failing", () => Results.Json(new { failing = failing.Failing, served = failing.Served }, Scenario.Json));
        sim.MapGet("/traffic", () => Results.Json(traffic.Report(), Scenario.Json));
    }

    public IResult Load(Scenario scenario)
    {
        var errors = StockModel.Validate(scenario);
        if (errors.Count > 0)
        {
            return Results.Problem(string.Join("; ", errors), statusCode: StatusCodes.Status400BadRequest, title: "Invalid scenario");
        }
        // In real time the scenario starts now, so timestamps look current to anything watching.
        var start = options.RealTime ? TruncateToSecond(wallClock.GetUtcNow()) : scenario.Start;
        model.Load(scenario, start);
        webhooks.Clear();
        mess.Reset(scenario.Mess);
        traffic.Reset();
        return Results.Json(new { loaded = scenario.Warehouses.Count, start });
    }

    private static DateTimeOffset TruncateToSecond(DateTimeOffset t) => new(t.UtcTicks - t.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
}
