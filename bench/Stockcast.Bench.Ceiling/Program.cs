using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Stockcast.Ledger.V1;

// The ceiling GetAvailability is compared with: the ledger's Kestrel endpoints (Grpc on HTTP/2, Http
// on HTTP/1.1, from the same environment the launcher gives the services) and grpc-dotnet with no
// interceptors, middleware, authentication, logging or metrics, answering the ledger's own
// GetAvailability with a fixed reply of the same shape the bench's US calls get (two warehouses).
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.Services.AddGrpc();
var app = builder.Build();
app.MapGrpcService<FixedAvailability>();
app.MapGet("/readyz", () => "ready");
app.Run();

/// <summary>GetAvailability with one reply built once: what grpc-dotnet and Kestrel cost per call, and nothing else.</summary>
internal sealed class FixedAvailability : StockLedger.StockLedgerBase
{
    private static readonly Timestamp Now = Timestamp.FromDateTime(DateTime.UtcNow);

    private static readonly Availability Reply = new()
    {
        Sku = "SKU-00000",
        Market = "US",
        AvailableToPromise = 200,
        Warehouses =
        {
            new WarehouseAvailability { WarehouseId = "us-east", AvailableToPromise = 100, SourceTime = Now },
            new WarehouseAvailability { WarehouseId = "us-west", AvailableToPromise = 100, SourceTime = Now },
        },
        OldestSourceTime = Now,
        Revision = 1,
    };

    public override Task<Availability> GetAvailability(GetAvailabilityRequest request, ServerCallContext context) => Task.FromResult(Reply);
}
