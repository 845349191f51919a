using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dapr;
using Google.Protobuf;
using Microsoft.Extensions.Options;
using Stockcast.Alerting.V1;
using Stockcast.ServiceDefaults.Auth;
using Stockcast.ServiceDefaults.Errors;

namespace Stockcast.Alerting.Signals;

/// <summary>
/// Sales and demand signals through Dapr pub/sub: a programmatic subscription (GET /dapr/subscribe)
/// to the signals topic, delivered as CloudEvents to <see cref="Route"/>. The body (the CloudEvent's
/// data) is one Signal or {"signals": [...]} in protobuf JSON. Dapr delivers at least once, so each
/// signal is kept once per event id — its own event_id, else the CloudEvent id — on any replica
/// (<see cref="SignalStore"/>). Answers follow Dapr's subscriber contract: SUCCESS (also for a
/// redelivery), DROP for a message that can never be taken, RETRY when the store failed. Both
/// endpoints let only the sidecar in (<see cref="Policies.DaprApp"/>: its app API token); a missing or
/// wrong token is answered 401, which Dapr retries, so a token being rotated loses no signal.
/// </summary>
public static class SignalSubscription
{
    public const string Route = "/dapr/signals";

    /// <summary>Where Dapr.AspNetCore's CloudEvents middleware puts the CloudEvent id (when asked to forward it).</summary>
    public const string CloudEventIdHeader = "Cloudevent.id";

    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    /// <summary>Maps the subscription when Alerting:Dapr:PubSubName is set; otherwise does nothing.</summary>
    public static WebApplication MapSignalSubscription(this WebApplication app)
    {
        var dapr = app.Services.GetRequiredService<IOptions<AlertingOptions>>().Value.Dapr;
        if (!dapr.Enabled)
        {
            return app;
        }
        // Unwraps structured CloudEvents to their data, and hands on only the id: the dedup key of last resort.
        app.UseCloudEvents(new CloudEventsMiddlewareOptions { ForwardCloudEventPropertiesAsHeaders = true, IncludedCloudEventPropertiesAsHeaders = ["id"] });
        app.MapSubscribeHandler().RequireAuthorization(Policies.DaprApp);
        app.MapPost(Route, DeliverAsync).WithTopic(dapr.PubSubName, dapr.SignalsTopic).RequireAuthorization(Policies.DaprApp);
        return app;
    }

    private static async Task<IResult> DeliverAsync(HttpContext http, SignalStore store, AlertingMetrics metrics, IOptions<AlertingOptions> options, ILoggerFactory logs)
    {
        var log = logs.CreateLogger(typeof(SignalSubscription));
        List<Signal> signals;
        try
        {
            using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
            signals = Parse(await reader.ReadToEndAsync(http.RequestAborted), http.Request.Headers[CloudEventIdHeader].ToString());
            SignalStore.Validate(signals, "data");
        }
        catch (Exception ex) when (ex is JsonException or InvalidProtocolBufferException or InvalidJsonException or InvalidFieldException)
        {
            var reason = ex.Message;
            log.LogWarning("Dropped a signal delivery on {Topic} that can never be taken: {Reason}", options.Value.Dapr.SignalsTopic, reason);
            metrics.Signals.WithLabels("dapr", "rejected").Inc();
            return Answer("DROP", reason);
        }
        int accepted;
        try
        {
            accepted = await store.AppendAsync(signals);
        }
        catch (Exception ex) when (!http.RequestAborted.IsCancellationRequested)
        {
            log.LogWarning("Keeping a signal delivery failed, Dapr will retry it: {Error}", ex.Message);
            return Answer("RETRY", "the signal store is unavailable");
        }
        metrics.Signals.WithLabels("dapr", "accepted").Inc(accepted);
        metrics.Signals.WithLabels("dapr", "duplicate").Inc(signals.Count - accepted);
        return Answer("SUCCESS");
    }

    /// <summary>One Signal or {"signals": [...]}; a signal without event_id takes the CloudEvent's id (with its index in a batch).</summary>
    public static List<Signal> Parse(string body, string cloudEventId)
    {
        using var document = JsonDocument.Parse(body);
        if (document.RootElement.ValueKind == JsonValueKind.String)
        {
            // A publisher that serialised its JSON as a string (data: "{\"sku\": ...}"): unwrap it once.
            body = document.RootElement.GetString()!;
        }
        using var unwrapped = JsonDocument.Parse(body);
        var root = unwrapped.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException($"data must be a Signal or {{\"signals\": [...]}} (got a JSON {root.ValueKind.ToString().ToLowerInvariant()})");
        }
        var batch = root.TryGetProperty("signals", out _);
        List<Signal> signals = batch ? [.. Parser.Parse<IngestRequest>(body).Signals] : [Parser.Parse<Signal>(body)];
        for (var i = 0; i < signals.Count; i++)
        {
            if (signals[i].EventId.Length == 0 && cloudEventId.Length > 0)
            {
                signals[i].EventId = batch ? $"{cloudEventId}#{i}" : cloudEventId;
            }
        }
        return signals;
    }

    private static IResult Answer(string status, string? reason = null)
        => Results.Json(reason is null ? new SubscriberAnswer(status) : new SubscriberAnswer(status, reason));

    /// <summary>Dapr reads "status"; "reason" is for people reading the answer.</summary>
    private sealed record SubscriberAnswer(string Status, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason = null);
}
