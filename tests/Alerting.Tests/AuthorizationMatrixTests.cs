using Stockcast.Launch;
using Stockcast.Testing;

namespace Stockcast.Alerting.Tests;

public sealed class AuthorizationMatrixTests(FollowedLedgerFixture ledger) : IClassFixture<FollowedLedgerFixture>
{
    [Fact]
    public async Task EveryRpcAndEndpointAnswersEachCallerAsTheTableDecides()
    {
        // With Dapr on, so its endpoints are in the endpoint table too.
        using var host = new AlertingHost(ledger.Redis.Configuration, ledger.Ledger, settings: new Dictionary<string, string?>
        {
            ["Alerting:Dapr:PubSubName"] = "seller-events",
            ["Alerting:Dapr:AppApiToken"] = "app-api-token-for-tests-0123456789",
        });
        await host.WaitReadyAsync();

        var problems = await AuthorizationMatrix.ProblemsAsync(host.Services, new RoleKeys(AlertingHost.ReaderKey, AlertingHost.WriterKey, AlertingHost.AdminKey), host.Channel, host.CreateClient(), EndpointPolicies.Alerting);

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }
}
