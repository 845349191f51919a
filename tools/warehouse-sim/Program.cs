using System.Text.Json;
using Stockcast.WarehouseSim;
using Stockcast.WarehouseSim.Apis;
using Stockcast.WarehouseSim.Model;
using Stockcast.WarehouseSim.Webhooks;

var builder = WebApplication.CreateBuilder(args);
var options = builder.Configuration.GetSection("Sim").Get<SimOptions>() ?? new SimOptions();
builder.Services.AddSingleton(options);
builder.Services.AddSingleton<ScenarioClock>();
builder.Services.AddSingleton<StockModel>();
builder.Services.AddSingleton<QuotaClock>();
builder.Services.AddSingleton<Mess>();
builder.Services.AddSingleton<ApiTraffic>();
builder.Services.AddSingleton<FailingAnswers>();
builder.Services.AddSingleton<WebhookSender>();
builder.Services.AddSingleton<Simulator>();
builder.Services.AddSingleton<ShipBobApi>();
builder.Services.AddSingleton<AmazonFbaApi>();
builder.Services.AddSingleton<Ck1Api>();
builder.Services.AddSingleton<ControlApi>();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddHttpClient(nameof(WebhookSender), c => c.Timeout = TimeSpan.FromSeconds(10));
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter()));
if (options.RealTime)
{
    builder.Services.AddHostedService<RealTimeDriver>();
}

var app = builder.Build();
app.Services.GetRequiredService<ShipBobApi>().Map(app);
app.Services.GetRequiredService<AmazonFbaApi>().Map(app);
app.Services.GetRequiredService<Ck1Api>().Map(app);
var control = app.Services.GetRequiredService<ControlApi>();
control.Map(app);
app.MapGet("/healthz", () => Results.Ok("ok"));

if (!string.IsNullOrEmpty(options.ScenarioFile))
{
    var path = Path.Combine(app.Environment.ContentRootPath, options.ScenarioFile);
    var scenario = JsonSerializer.Deserialize<Scenario>(await File.ReadAllTextAsync(path), Scenario.Json)
        ?? throw new InvalidOperationException($"Scenario file {path} is empty");
    if (scenario.Mess is null && options.MessRate > 0)
    {
        scenario = scenario with { Mess = new MessSpec(options.MessRate) };
    }
    var errors = StockModel.Validate(scenario);
    if (errors.Count > 0)
    {
        throw new InvalidOperationException($"Scenario file {path} is invalid: {string.Join("; ", errors)}");
    }
    control.Load(scenario);
}

await app.RunAsync();

public partial class Program;
