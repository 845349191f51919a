using Stockcast.Overlay;
using Stockcast.Overlay.Board;
using Stockcast.Overlay.Grpc;
using Stockcast.Overlay.Pages;
using Stockcast.Overlay.Sockets;
using Stockcast.Overlay.Sse;
using Stockcast.ServiceDefaults;
using Stockcast.ServiceDefaults.Limits;

// Settings live beside the binary, wherever the process is started from.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddServiceDefaults();
builder.AddOverlay();

var app = builder.Build();
app.UseWebSockets();
app.UsePublicLimits();
app.MapDefaultEndpoints();
app.MapGrpcService<OverlayService>();
app.MapOverlayEvents();
app.MapOverlaySocket();
app.MapRoomPages();
app.MapBoard();
app.Run();

/// <summary>Visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
