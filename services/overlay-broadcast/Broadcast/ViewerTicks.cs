using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Stockcast.Overlay.Rooms;

namespace Stockcast.Overlay.Broadcast;

/// <summary>
/// One tick per heartbeat for every viewer on this replica, instead of a timer per connection: a
/// heartbeat to each connection that was quiet since the last tick, and a re-check of each distinct
/// (room, token) pair, busy or quiet, ending every stream of a revoked token. 10,000 viewers on one
/// token cost one check a tick, not 10,000.
/// </summary>
public sealed class ViewerTicks(ViewerTokens tokens, IOptions<OverlayOptions> options, TimeProvider clock, ILogger<ViewerTicks> log) : BackgroundService
{
    private readonly ConcurrentDictionary<ViewerFeed, (string RoomId, string? Token)> _feeds = new();

    /// <summary>Ticks <paramref name="feed"/> until the result is disposed; <paramref name="token"/> null: nothing to re-check.</summary>
    public IDisposable Add(ViewerFeed feed, string roomId, string? token)
    {
        _feeds[feed] = (roomId, token);
        return new Removal(this, feed);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.HeartbeatSeconds), clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await TickAsync();
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // One failed tick must not end heartbeats and revocation for good.
                    log.LogWarning(ex, "viewer tick failed; next tick in {Seconds} s", options.Value.HeartbeatSeconds);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    private async Task TickAsync()
    {
        var byToken = new Dictionary<(string RoomId, string Token), List<ViewerFeed>>();
        foreach (var (feed, (roomId, token)) in _feeds)
        {
            feed.Tick();
            if (token is not null)
            {
                if (!byToken.TryGetValue((roomId, token), out var feeds))
                {
                    byToken[(roomId, token)] = feeds = [];
                }
                feeds.Add(feed);
            }
        }
        foreach (var ((roomId, token), feeds) in byToken)
        {
            if (!await tokens.IsValidAsync(roomId, token))
            {
                feeds.ForEach(f => f.End(ViewerEnd.Revoked));
            }
        }
    }

    private sealed class Removal(ViewerTicks ticks, ViewerFeed feed) : IDisposable
    {
        public void Dispose() => ticks._feeds.TryRemove(feed, out _);
    }
}
