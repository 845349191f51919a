using Stockcast.Launch;
using Stockcast.Testing;

namespace Stockcast.Overlay.Tests;

public sealed class AuthorizationMatrixTests(RedisServerFixture redis) : LedgerPerTest(redis, r => OverlayHost.StartLedgerAsync(r))
{
    [Fact]
    public async Task EveryRpcAndEndpointAnswersEachCallerAsTheTableDecides()
    {
        using var host = new OverlayHost(Redis.Configuration, Ledger);

        var problems = await AuthorizationMatrix.ProblemsAsync(host.Services, new RoleKeys(OverlayHost.ReaderKey, OverlayHost.WriterKey, OverlayHost.AdminKey), host.Channel, host.CreateClient(), EndpointPolicies.OverlayBroadcast);

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }
}
