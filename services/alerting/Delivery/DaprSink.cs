using System.Text;
using Dapr;
using Dapr.Client;
using Google.Protobuf;
using Microsoft.Extensions.Options;
using Stockcast.Alerting.V1;

namespace Stockcast.Alerting.Delivery;

/// <summary>
/// Publishes every alert notification, as protobuf JSON, to Alerting:Dapr:AlertsTopic on the
/// Alerting:Dapr:PubSubName component through the sidecar's gRPC API. The notification id is both
/// in the payload and the CloudEvent id, so receivers can drop a redelivery (delivery is at least
/// once). Every failure is transient: the sidecar restarting or the broker being away must not lose
/// an alert, so the <see cref="SinkPump"/> retries until it is published.
/// </summary>
public sealed class DaprSink(DaprClient dapr, IOptions<AlertingOptions> options) : IAlertSink
{
    public const string ContentType = "application/json";

    /// <summary>The CloudEvent type of an alert notification.</summary>
    public const string EventType = "stockcast.alerting.v1.AlertNotification";

    // A hung sidecar must not stall this sink for ever: give up on one attempt and retry.
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(10);

    public string Name => "dapr";

    public Severity MinSeverity => Severity.Info;

    public async Task DeliverAsync(AlertNotification notification, CancellationToken cancellationToken)
    {
        var settings = options.Value.Dapr;
        var payload = Encoding.UTF8.GetBytes(JsonFormatter.Default.Format(notification));
        // Dapr takes "cloudevent.*" publish metadata as the CloudEvent's own attributes.
        var metadata = new Dictionary<string, string>
        {
            ["cloudevent.id"] = notification.Id,
            ["cloudevent.type"] = EventType,
        };
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(PublishTimeout);
        try
        {
            await dapr.PublishByteEventAsync(settings.PubSubName, settings.AlertsTopic, payload, ContentType, metadata, attempt.Token);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is DaprException or OperationCanceledException)
        {
            var why = ex is OperationCanceledException ? $"no answer within {PublishTimeout.TotalSeconds:0} s" : (ex.InnerException ?? ex).Message;
            throw new SinkException($"publishing to {settings.PubSubName}/{settings.AlertsTopic} failed: {why}", permanent: false, ex);
        }
        catch (DaprException) when (cancellationToken.IsCancellationRequested)
        {
            // The pump is stopping (shutdown, or the lead moved): not a delivery failure.
            throw new OperationCanceledException(cancellationToken);
        }
    }
}
