using System.Net;
using Stockcast.Overlay.V1;
using Stockcast.Testing;
using Xunit.Abstractions;

namespace Stockcast.Overlay.Tests;

/// <summary>
/// The real overlay process with every ASP.NET Core log on (Trace) and the JSON console formatter
/// of its appsettings: hosting logs each request's URL before any middleware runs, so an old
/// link's <c>?token=</c> would be in the log unless the logging pipeline masks it.
/// </summary>
[Trait(Lane.Name, Lane.Slow)]
public sealed class LogRedactionTests(ITestOutputHelper log) : IDisposable
{
    private const string Room = "log-redaction";
    private readonly RedisServerFixture _redis = new();

    [Fact]
    public async Task RequestLogsShowTokensMaskedAndNeverATokenOrApiKey()
    {
        using var ledger = await OverlayHost.StartLedgerAsync(_redis.Configuration);
        using var overlay = new OverlayProcess(_redis.Configuration, ledger.GrpcAddress, new Dictionary<string, string>
        {
            ["Logging:LogLevel:Default"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
        }, keepAllOutput: true);
        await overlay.StartAsync();
        using var channel = TestChannels.WithApiKey(overlay.GrpcAddress, OverlayProcess.AdminKey);
        var client = new V1.Overlay.OverlayClient(channel);
        await client.UpsertRoomAsync(OverlayHost.LiveRoom(Room, "US", "TEE-LOG"));
        var valid = await client.IssueTokenAsync(new IssueTokenRequest { RoomId = Room });
        var invalid = "not-issued-" + Guid.NewGuid().ToString("N");

        using var http = new HttpClient { BaseAddress = overlay.HttpAddress };
        // Old links, with the token in the query, as a proxy or an access log would see them.
        using (var page = await http.GetAsync($"/overlay/{Room}?token={valid.Token}"))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        }
        using (var events = await http.GetAsync($"{valid.EventsPath}?token={valid.Token}", HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, events.StatusCode);
        }
        using (var refused = await http.GetAsync($"/overlay/{Room}/events?token={invalid}"))
        {
            Assert.False(refused.IsSuccessStatusCode);
        }

        // Each request's "Request starting" line, with its query masked; the gRPC calls' too.
        string[] expected = [$"/overlay/{Room}?token=***", $"/overlay/{Room}/events?token=***"];
        await Eventually.TrueAsync(
            () => Task.FromResult(StartingLines(overlay).Count(line => line.Contains(expected[0], StringComparison.Ordinal)) == 1
                && StartingLines(overlay).Count(line => line.Contains(expected[1], StringComparison.Ordinal)) == 2
                && StartingLines(overlay).Any(line => line.Contains("/stockcast.overlay.v1.Overlay/IssueToken", StringComparison.Ordinal))),
            "the overlay logged each request's start with its token masked");
        var output = overlay.AllOutput();
        foreach (var line in StartingLines(overlay))
        {
            log.WriteLine(line);
        }
        Assert.DoesNotContain(valid.Token, output, StringComparison.Ordinal);
        Assert.DoesNotContain(invalid, output, StringComparison.Ordinal);
        Assert.DoesNotContain(OverlayProcess.AdminKey, output, StringComparison.Ordinal);
    }

    public void Dispose() => _redis.Dispose();

    private static IEnumerable<string> StartingLines(OverlayProcess overlay)
        => overlay.AllOutput().Split('\n').Where(line => line.Contains("Request starting", StringComparison.Ordinal));
}
