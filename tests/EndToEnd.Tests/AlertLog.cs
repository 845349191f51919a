using System.Collections.Concurrent;
using Grpc.Core;
using Stockcast.Alerting.V1;
using AlertingClient = Stockcast.Alerting.V1.Alerting.AlertingClient;

namespace Stockcast.EndToEnd.Tests;

/// <summary>An alert notification and when this test saw it.</summary>
public sealed record SeenAlert(DateTimeOffset At, AlertNotification Notification)
{
    public AlertKind Kind => Notification.Alert.Kind;
    public NotificationType Type => Notification.Type;
}

/// <summary>
/// The alert stream as an on-call tool follows it: WatchAlerts from the beginning, resumed after the
/// last id it got whenever the stream breaks (alerting restarted, Redis away), so nothing is missed.
/// </summary>
public sealed class AlertLog : IAsyncDisposable
{
    private readonly ConcurrentQueue<SeenAlert> _seen = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _following;

    public AlertLog(AlertingClient alerting) => _following = FollowAsync(alerting);

    public IReadOnlyList<SeenAlert> Seen => [.. _seen];

    /// <summary>Notifications seen from <paramref name="since"/> on.</summary>
    public IReadOnlyList<SeenAlert> Since(DateTimeOffset since) => [.. _seen.Where(a => a.At >= since)];

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _following;
        _stop.Dispose();
    }

    private async Task FollowAsync(AlertingClient alerting)
    {
        var after = "0";
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var call = alerting.WatchAlerts(new WatchAlertsRequest { AfterId = after }, cancellationToken: _stop.Token);
                await foreach (var notification in call.ResponseStream.ReadAllAsync(_stop.Token))
                {
                    _seen.Enqueue(new SeenAlert(DateTimeOffset.UtcNow, notification));
                    after = notification.Id;
                }
            }
            catch (RpcException) when (!_stop.IsCancellationRequested)
            {
                // Alerting is away or restarting: ask again shortly, from the last id.
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (RpcException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
