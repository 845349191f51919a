using Stockcast.Connector;
using Stockcast.Connector.Grpc;
using Stockcast.Connector.Health;
using Stockcast.Connector.Push;
using Stockcast.Connector.Webhooks;
using Stockcast.ServiceDefaults;
using Stockcast.ServiceDefaults.Limits;

// Settings live beside the binary, wherever the process is started from.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddServiceDefaults();
builder.AddWarehouseConnector();

var app = builder.Build();
app.UsePublicLimits();
app.MapDefaultEndpoints();
app.MapGrpcService<ConnectorService>();
app.MapCanonicalPush();
app.MapShipHeroWebhook();
app.MapShopifyWebhook();
app.MapFeedHealth();
app.Run();

/// <summary>Visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
