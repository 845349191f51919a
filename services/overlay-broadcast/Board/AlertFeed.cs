using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Net.ClientFactory;
using Microsoft.Extensions.Options;
using Stockcast.Alerting.V1;
using Stockcast.ServiceDefaults.Resilience;

namespace Stockcast.Overlay.Board;

/// <summary>
/// The alerting service's firing alerts, for the operator board: a Watch from now, then (once its
/// headers say the start point is fixed) a list of what is firing, then every notification. One per
/// replica, whatever the number of boards; on the stream loop ("alerts"), it resumes from the last
/// notification after a break and lists again when that point was trimmed.
/// </summary>
public sealed class AlertFeed(IOptions<OverlayOptions> options, GrpcClientFactory clients, Streams streams) : BackgroundService
{
    private const int MaxListed = 1000;
    private readonly ConcurrentDictionary<string, Alert> _firing = new(StringComparer.Ordinal);
    private readonly StreamLoop _loop = streams.Loop("alerts");

    /// <summary>Empty while the alerts shown are live; otherwise why they may be incomplete.</summary>
    public string Status => options.Value.AlertingAddress is null ? "alerting not configured"
        : _loop.Health.IsUp ? ""
        : _loop.Health.Failures == 0 ? "connecting to alerting"
        : "alerting unavailable";

    /// <summary>Firing alerts the predicate selects, most severe and newest first.</summary>
    public IReadOnlyList<Alert> Firing(Func<Alert, bool> concerns)
        => [.. _firing.Values.Where(concerns).OrderByDescending(a => a.Severity).ThenByDescending(a => a.RaisedAt?.ToDateTimeOffset())];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.AlertingAddress is null)
        {
            return;
        }
        var alerting = clients.CreateClient<Alerting.V1.Alerting.AlertingClient>(OverlayExtensions.AlertingClient);
        var resumeAfter = "";
        await _loop.RunAsync(async cancellationToken =>
        {
            try
            {
                using var call = alerting.WatchAlerts(new WatchAlertsRequest { AfterId = resumeAfter }, cancellationToken: cancellationToken);
                await call.ResponseHeadersAsync;
                if (resumeAfter.Length == 0)
                {
                    var listed = await alerting.ListAlertsAsync(new ListAlertsRequest { Limit = MaxListed }, cancellationToken: cancellationToken);
                    _firing.Clear();
                    foreach (var alert in listed.Alerts)
                    {
                        Apply(alert);
                    }
                }
                _loop.Heard();
                await foreach (var notification in call.ResponseStream.ReadAllAsync(cancellationToken))
                {
                    Apply(notification.Alert);
                    resumeAfter = notification.Id;
                }
                throw new RpcException(new Status(StatusCode.Unavailable, "alerting ended the watch"));
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.FailedPrecondition)
            {
                resumeAfter = ""; // the resume point was trimmed: list again
                throw;
            }
        }, stoppingToken);
    }

    /// <summary>Keeps the newest state of each alert (a list and a notification may cross); resolved ones leave.</summary>
    private void Apply(Alert alert)
    {
        if (_firing.TryGetValue(alert.Id, out var held) && held.UpdatedAt is not null && alert.UpdatedAt is not null && held.UpdatedAt.ToDateTimeOffset() > alert.UpdatedAt.ToDateTimeOffset())
        {
            return;
        }
        if (alert.State == AlertState.Firing)
        {
            _firing[alert.Id] = alert;
        }
        else
        {
            _firing.TryRemove(alert.Id, out _);
        }
    }
}
