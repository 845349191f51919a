using System.Net;
using System.Net.Http.Json;
using Stockcast.WarehouseSim.Model;

namespace Stockcast.WarehouseSim.Tests;

/// <summary>A polled API told to fail (POST /sim/failing) answers every read so until DELETE /sim/failing, while its stock keeps moving.</summary>
public sealed class FailingAnswerTests
{
    [Theory]
    [InlineData(FailingAnswer.ServerError, HttpStatusCode.InternalServerError)]
    [InlineData(FailingAnswer.Throttled, HttpStatusCode.TooManyRequests)]
    [InlineData(FailingAnswer.Garbage, HttpStatusCode.OK)]
    public async Task AFailingApiAnswersEveryReadWithItsFailureUntilCleared(FailingAnswer answer, HttpStatusCode status)
    {
        using var host = await new SimHost().LoadAsync(Scenarios.Of(Scenarios.ShipBob(skus: 1)));
        var control = host.CreateClient();
        var shipBob = host.ShipBob();
        var warehouse = Scenarios.ShipBob().Id;
        (await control.PostAsJsonAsync("/sim/failing", new { warehouse, answer = answer.ToString() })).EnsureSuccessStatusCode();

        using var failed = await shipBob.GetAsync("/2025-07/inventory-level");
        Assert.Equal(status, failed.StatusCode);
        var body = await failed.Content.ReadAsStringAsync();
        Assert.DoesNotContain("\"items\"", body, StringComparison.Ordinal);
        if (answer == FailingAnswer.Throttled)
        {
            Assert.Equal(TimeSpan.FromSeconds(1), failed.Headers.RetryAfter?.Delta);
            Assert.Equal(["1"], failed.Headers.GetValues("x-retry-after"));
        }
        // The warehouse itself goes on: a change made now is in the first read after the API recovers.
        await host.AdjustAsync(warehouse, Scenarios.Sku(0), -5);

        (await control.DeleteAsync("/sim/failing")).EnsureSuccessStatusCode();
        var page = await SimHost.JsonAsync(await shipBob.GetAsync("/2025-07/inventory-level"));
        Assert.Equal(145, (int)page["items"]![0]!["total_on_hand_quantity"]!);
        Assert.Contains($"\"{warehouse}\":1", await control.GetStringAsync("/sim/failing"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnlyAPolledWarehouseCanBeMadeToFail()
    {
        using var host = await new SimHost().LoadAsync(Scenarios.Of(Scenarios.ShipBob()));
        using var response = await host.CreateClient().PostAsJsonAsync("/sim/failing", new { warehouse = "nowhere", answer = "ServerError" });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
