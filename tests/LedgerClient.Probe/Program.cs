using System.Globalization;
using Grpc.Core;
using Grpc.Net.ClientFactory;
using Microsoft.Extensions.DependencyInjection;
using Stockcast.Ledger.V1;
using Stockcast.LedgerClient;
using Stockcast.ServiceDefaults.Clients;

// Usage: <ledger address> <api key> <watch streams> <unary calls>
// Makes the unary calls (ListWarehouses) one after another, then opens the Watch streams and waits
// for each to answer; prints "ready" and holds the streams open until standard input closes.
var address = new Uri(args[0]);
var apiKey = args[1];
var watches = int.Parse(args[2], CultureInfo.InvariantCulture);
var calls = int.Parse(args[3], CultureInfo.InvariantCulture);

var services = new ServiceCollection().AddLogging();
services.AddLedgerClient("probe", _ => new ServiceEndpoint(address, apiKey));
await using var provider = services.BuildServiceProvider();
var ledger = provider.GetRequiredService<GrpcClientFactory>().CreateClient<StockLedger.StockLedgerClient>("probe");

for (var i = 0; i < calls; i++)
{
    await ledger.ListWarehousesAsync(new ListWarehousesRequest());
}
var streams = Enumerable.Range(0, watches).Select(_ => ledger.Watch(new WatchRequest { ProgressIntervalSeconds = 1 })).ToList();
foreach (var stream in streams)
{
    if (!await stream.ResponseStream.MoveNext(CancellationToken.None))
    {
        throw new RpcException(new Status(StatusCode.Unavailable, "a Watch stream ended before answering"));
    }
}
Console.WriteLine("ready");
await Console.In.ReadToEndAsync();
streams.ForEach(stream => stream.Dispose());
