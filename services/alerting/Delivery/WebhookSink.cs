using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Microsoft.Extensions.Options;
using Stockcast.Alerting.V1;

namespace Stockcast.Alerting.Delivery;

/// <summary>
/// One configured HTTP webhook (<c>Alerting:Webhooks:N</c>): POSTs each notification as protobuf
/// JSON, signed. <c>X-Stockcast-Signature</c> is <c>sha256=</c> + hex HMAC-SHA256 of
/// <c>timestamp + "." + body</c> with the shared secret; the timestamp (<c>X-Stockcast-Timestamp</c>,
/// Unix seconds) is inside the signed text, so a receiver that rejects old timestamps cannot be
/// replayed a captured request, and changing the timestamp breaks the signature. Each attempt is
/// signed afresh. The <see cref="SinkPump"/> retries what this reports as transient; delivery is
/// at-least-once, and <c>X-Stockcast-Event-Id</c> (the notification id) lets a receiver drop repeats.
/// </summary>
public sealed class WebhookSink(WebhookOptions webhook, IHttpClientFactory httpClients, TimeProvider clock) : IAlertSink
{
    public const string HttpClientName = "alerting-webhooks";
    public const string EventIdHeader = "X-Stockcast-Event-Id";
    public const string TimestampHeader = "X-Stockcast-Timestamp";
    public const string SignatureHeader = "X-Stockcast-Signature";

    /// <summary>How long one attempt may take before it counts as failed (and is retried).</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>The longest Retry-After honoured: the pump's backoff does not grow past a minute either.</summary>
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromSeconds(60);
    private const int ExcerptBytes = 256;

    private readonly byte[] _secret = Encoding.UTF8.GetBytes(webhook.Secret);
    private readonly Uri _url = webhook.Url ?? throw new ArgumentException("the webhook has no Url", nameof(webhook));

    /// <summary>Prefixed, so a webhook's cursor and metrics never collide with another kind of sink of the same name.</summary>
    public string Name { get; } = "webhook:" + webhook.Name;

    public Severity MinSeverity { get; } = webhook.ParsedMinSeverity() ?? throw new ArgumentException($"MinSeverity '{webhook.MinSeverity}' is not Info, Warning or Critical", nameof(webhook));

    public async Task DeliverAsync(AlertNotification notification, CancellationToken cancellationToken)
    {
        var body = Encoding.UTF8.GetBytes(JsonFormatter.Default.Format(notification));
        var timestamp = clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, _url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.Add(EventIdHeader, notification.Id);
        request.Headers.Add(TimestampHeader, timestamp);
        request.Headers.Add(SignatureHeader, "sha256=" + Sign(timestamp, body));

        HttpResponseMessage response;
        try
        {
            response = await httpClients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SinkException($"no answer within {Timeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException ex)
        {
            // The message names host and port at most, never the path or query (which may carry a token).
            throw new SinkException($"could not reach the receiver: {ex.Message}", inner: ex);
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            if (status is >= 200 and < 300)
            {
                return;
            }
            // The receiver may recover (busy, restarting, rate limiting); anything else it said no to
            // on purpose (bad request, unauthorised, gone; a redirect is not followed: a POST would turn into a GET).
            var transient = status is 408 or 429 or >= 500;
            var reason = $"the receiver answered {status} {response.ReasonPhrase}{await ExcerptAsync(response, cancellationToken)}";
            // The pump's retry waits as asked instead of its own backoff.
            var wait = status is 429 or 503 ? RetryAfter(response) : null;
            if (wait is { } asked)
            {
                reason += $" (asked to wait {asked.TotalSeconds:0.#} s)";
            }
            throw new SinkException(reason, permanent: !transient, retryAfter: wait);
        }
    }

    private string Sign(string timestamp, byte[] body)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _secret);
        hmac.AppendData(Encoding.UTF8.GetBytes(timestamp + "."));
        hmac.AppendData(body);
        return Convert.ToHexStringLower(hmac.GetHashAndReset());
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var wait = response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - clock.GetUtcNow(),
            _ => (TimeSpan?)null,
        };
        return wait is { } w && w > TimeSpan.Zero ? (w < MaxRetryAfter ? w : MaxRetryAfter) : null;
    }

    /// <summary>The start of the receiver's answer, for the log: it usually says why it refused.</summary>
    private static async Task<string> ExcerptAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        // The client's timeout covers the headers only (ResponseHeadersRead): bound the body read too.
        using var brief = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        brief.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(brief.Token);
            var buffer = new byte[ExcerptBytes];
            var read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, brief.Token);
            var text = Encoding.UTF8.GetString(buffer, 0, read).ReplaceLineEndings(" ").Trim();
            return text.Length == 0 ? "" : ": " + text;
        }
        catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException or IOException && !cancellationToken.IsCancellationRequested)
        {
            return "";
        }
    }
}

public static class WebhookSinkExtensions
{
    /// <summary>
    /// One <see cref="IAlertSink"/> per <c>Alerting:Webhooks:N</c> entry, sharing one named HTTP
    /// client. The count is read from configuration here; each sink's settings come from the
    /// validated options, so a bad entry stops the service at start with a message naming its key.
    /// </summary>
    public static IHostApplicationBuilder AddWebhookSinks(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHttpClient(WebhookSink.HttpClientName, client => client.Timeout = WebhookSink.Timeout)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
            // The default handlers log every request with its full URL at Information: per-event noise,
            // and a webhook URL may carry a token. The pump logs what matters (failures, refusals).
            .RemoveAllLoggers();
        var configured = builder.Configuration.GetSection($"{AlertingOptions.Section}:{nameof(AlertingOptions.Webhooks)}").Get<List<WebhookOptions>>()?.Count ?? 0;
        for (var i = 0; i < configured; i++)
        {
            var index = i;
            builder.Services.AddSingleton<IAlertSink>(sp => new WebhookSink(
                sp.GetRequiredService<IOptions<AlertingOptions>>().Value.Webhooks[index],
                sp.GetRequiredService<IHttpClientFactory>(),
                sp.GetRequiredService<TimeProvider>()));
        }
        return builder;
    }
}
