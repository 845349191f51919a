using Stockcast.Alerting;
using Stockcast.Alerting.Grpc;
using Stockcast.Alerting.Signals;
using Stockcast.ServiceDefaults;

// Settings live beside the binary, wherever the process is started from.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddServiceDefaults();
builder.AddAlerting();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapSignalSubscription();
app.MapGrpcService<AlertingService>();
app.Run();

/// <summary>Visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
