using System.Net.Http.Json;
using Stockcast.WarehouseSim.Model;

namespace Stockcast.WarehouseSim.Tests;

public sealed class TrafficTests
{
    private static async Task ReadAsAsync(SimHost host, string reader)
    {
        using var client = host.ShipBob();
        client.DefaultRequestHeaders.UserAgent.ParseAdd(reader);
        using var response = await client.GetAsync("/2025-07/inventory-level");
    }

    [Fact]
    public async Task TrafficCountsEachWarehousesRequestsReadersAndHowOftenTheReaderChanged()
    {
        using var host = await new SimHost().LoadAsync(Scenarios.Of(Scenarios.ShipBob()));

        await ReadAsAsync(host, "replica-a");
        await ReadAsAsync(host, "replica-a");
        await ReadAsAsync(host, "replica-b");

        var traffic = await host.CreateClient().GetFromJsonAsync<List<ApiTraffic.WarehouseTraffic>>("/sim/traffic", SimHost.Json);
        var sb = Assert.Single(traffic!);
        Assert.Equal("sb", sb.Warehouse);
        Assert.Equal(3, sb.Requests);
        Assert.Equal(1, sb.MaxInFlight);
        Assert.Equal(1, sb.ReaderChanges);
        Assert.Equal(0, sb.Throttled);
        Assert.Equal(2, sb.Readers["replica-a"]);
        Assert.Equal(1, sb.Readers["replica-b"]);
    }

    [Fact]
    public async Task RequestsOverTheQuotaAreCountedAsThrottled()
    {
        using var host = await new SimHost().LoadAsync(Scenarios.Of(Scenarios.ShipBob()));

        for (var i = 0; i <= Apis.ShipBobApi.CallsPerMinute; i++)
        {
            await ReadAsAsync(host, "replica-a");
        }

        var sb = Assert.Single((await host.CreateClient().GetFromJsonAsync<List<ApiTraffic.WarehouseTraffic>>("/sim/traffic", SimHost.Json))!);
        Assert.Equal(1, sb.Throttled);
    }
}
