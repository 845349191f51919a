using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;
using Stockcast.Alerting.V1;
using Stockcast.ServiceDefaults.Auth;

namespace Stockcast.Overlay.Board;

/// <summary>
/// The alerting service's firing alerts, for the operator board: a Watch from now, then (once its
/// headers say the start point is fixed) a list of what is firing, then every notification. One per
/// replica, whatever the number of boards; resumes from the last notification after a break.
/// </summary>
public sealed class AlertFeed(IOptions<OverlayOptions> options, TimeProvider clock, ILogger<AlertFeed> log) : BackgroundService
{
    private const int MaxListed = 1000;
    private readonly ConcurrentDictionary<string, Alert> _firing = new(StringComparer.Ordinal);
    private volatile string _status = options.Value.AlertingAddress is null ? "alerting not configured" : "connecting to alerting";

    /// <summary>Empty while the alerts shown are live; otherwise why they may be incomplete.</summary>
    public string Status => _status;

    /// <summary>Firing alerts the predicate selects, most severe and newest first.</summary>
    public IReadOnlyList<Alert> Firing(Func<Alert, bool> concerns)
        => [.. _firing.Values.Where(concerns).OrderByDescending(a => a.Severity).ThenByDescending(a => a.RaisedAt?.ToDateTimeOffset())];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.AlertingAddress is not { } address)
        {
            return;
        }
        using var channel = GrpcChannel.ForAddress(address);
        var alerting = new Alerting.V1.Alerting.AlertingClient(channel);
        var auth = CallerApiKey.Headers(options.Value.AlertingApiKey);
        var resumeAfter = "";
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                using var call = alerting.WatchAlerts(new WatchAlertsRequest { AfterId = resumeAfter }, auth, cancellationToken: stoppingToken);
                await call.ResponseHeadersAsync;
                if (resumeAfter.Length == 0)
                {
                    var listed = await alerting.ListAlertsAsync(new ListAlertsRequest { Limit = MaxListed }, auth, cancellationToken: stoppingToken);
                    _firing.Clear();
                    foreach (var alert in listed.Alerts)
                    {
                        Apply(alert);
                    }
                }
                _status = "";
                failures = 0;
                await foreach (var notification in call.ResponseStream.ReadAllAsync(stoppingToken))
                {
                    Apply(notification.Alert);
                    resumeAfter = notification.Id;
                }
                throw new RpcException(new Status(StatusCode.Unavailable, "alerting ended the watch"));
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (RpcException ex)
            {
                failures++;
                _status = "alerting unavailable";
                if (ex.StatusCode == StatusCode.FailedPrecondition)
                {
                    resumeAfter = ""; // the resume point was trimmed: list again
                }
                log.LogWarning("Following alerting failed (attempt {Failures}): {Status} {Detail}", failures, ex.StatusCode, ex.Status.Detail);
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 100 * Math.Pow(2, Math.Min(failures, 6)))), clock, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
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
