using Stockcast.Ledger;
using Stockcast.Ledger.Grpc;
using Stockcast.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddStockLedger();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapGrpcService<StockLedgerService>();
app.Run();

/// <summary>Visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
