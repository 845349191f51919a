using Stockcast.Launch;
using Stockcast.Testing;

namespace Stockcast.Ledger.Tests;

public sealed class AuthorizationMatrixTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task EveryRpcAndEndpointAnswersEachCallerAsTheTableDecides()
    {
        using var host = await new LedgerHost(redis.Configuration).ReadyAsync();

        var problems = await AuthorizationMatrix.ProblemsAsync(host.Services, new RoleKeys(LedgerHost.ReaderKey, LedgerHost.WriterKey, LedgerHost.AdminKey), host.Channel, host.CreateClient(), EndpointPolicies.StockLedger);

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }
}
