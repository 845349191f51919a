using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Stockcast.Overlay.V1;
using Stockcast.Testing;

namespace Stockcast.Overlay.Tests;

/// <summary>Open streams trust a checked token for Overlay:TokenCacheSeconds: revocation lands within it, a Redis outage ends nothing.</summary>
public sealed class ViewerTokenCacheTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private static readonly Dictionary<string, string?> Quick = new() { ["Overlay:HeartbeatSeconds"] = "1", ["Overlay:TokenCacheSeconds"] = "2" };
    private LedgerProcess _ledger = null!;

    public async Task InitializeAsync() => _ledger = await OverlayHost.StartLedgerAsync(redis.Configuration);

    public Task DisposeAsync()
    {
        _ledger.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task ATokenRevokedThroughAnotherReplicaEndsItsStreamWithinTheCacheTime()
    {
        using var made = new OverlayHost(redis.Configuration, _ledger, settings: Quick);
        using var other = new OverlayHost(redis.Configuration, _ledger, made.Namespace, Quick);
        await made.Client().UpsertRoomAsync(OverlayHost.LiveRoom("cache-revoke", "US", "TEE-1"));
        var token = await made.Client().IssueTokenAsync(new IssueTokenRequest { RoomId = "cache-revoke" });
        using var viewer = await SseReader.OpenAsync(other.CreateClient(), token.EventsPath);
        await viewer.ReadUntilAsync(_ => true);

        await made.Client().RevokeTokenAsync(new RevokeTokenRequest { RoomId = "cache-revoke", TokenId = token.TokenId });
        var ending = System.Diagnostics.Stopwatch.StartNew();
        await viewer.ReadUntilAsync<Empty>("revoked", _ => true);

        // The cache time, plus a heartbeat until the next check, plus slack for a shared CPU.
        Assert.InRange(ending.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(2 + 1 + 3));
    }

    [Fact]
    [Trait(Lane.Name, Lane.Slow)]
    public async Task ARedisOutageEndsNoOpenStreamAndANewViewerIsAnswered503WithRetryAfter()
    {
        using var own = new RedisProcess();
        own.Start();
        using var host = new OverlayHost($"{own.EndPoint},connectTimeout=500,asyncTimeout=1000,syncTimeout=1000", _ledger, settings: Quick);
        await host.Client().UpsertRoomAsync(OverlayHost.LiveRoom("cache-outage", "US", "TEE-1"));
        var seen = await host.Client().IssueTokenAsync(new IssueTokenRequest { RoomId = "cache-outage" });
        var unseen = await host.Client().IssueTokenAsync(new IssueTokenRequest { RoomId = "cache-outage" });
        var http = host.CreateClient();
        using var viewer = await SseReader.OpenAsync(http, seen.EventsPath);
        await viewer.ReadUntilAsync(_ => true);

        own.Stop();
        var newViewer = await http.GetAsync(unseen.EventsPath, HttpCompletionOption.ResponseHeadersRead);
        var socket = await http.GetAsync(unseen.EventsPath.Replace("/events", "/ws", StringComparison.Ordinal), HttpCompletionOption.ResponseHeadersRead);

        // Several cache times and heartbeats with Redis gone: each check finds Redis down and keeps the last answer.
        Assert.True(await viewer.StaysOpenAsync(TimeSpan.FromSeconds(6)));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, newViewer.StatusCode);
        Assert.NotNull(newViewer.Headers.RetryAfter);
        Assert.Equal(503, (await newViewer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetInt32());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, socket.StatusCode);
    }
}
