using Stockcast.Launch;
using Stockcast.Testing;

namespace Stockcast.Connector.Tests;

public sealed class AuthorizationMatrixTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task EveryRpcAndEndpointAnswersEachCallerAsTheTableDecides()
    {
        using var host = await ConnectorHost.StartAsync(redis.Configuration);

        var problems = await AuthorizationMatrix.ProblemsAsync(host.Services, new RoleKeys(ConnectorHost.ReaderKey, ConnectorHost.PusherKey, ConnectorHost.AdminKey), host.Channel, host.CreateClient(), EndpointPolicies.WarehouseConnector);

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }
}
