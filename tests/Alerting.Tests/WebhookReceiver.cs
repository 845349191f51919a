using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Stockcast.Alerting.V1;

namespace Stockcast.Alerting.Tests;

/// <summary>
/// A real HTTP receiver on a loopback port (Kestrel), standing in for whatever a platform team points
/// a webhook at. It records every delivery as it arrives, with the raw bytes a verifier needs, and
/// can be told to fail the first deliveries or to hold each one until released.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    /// <summary>
    /// A held delivery is answered after this at the latest, below the sink's 10 s timeout: a test
    /// that forgets to release cannot turn the hold into a retry, or hang.
    /// </summary>
    public static readonly TimeSpan HoldBound = TimeSpan.FromSeconds(8);

    public sealed record Delivery(string EventId, string Timestamp, string Signature, string ContentType, byte[] Body, int Status, TimeSpan ArrivedAt)
    {
        public AlertNotification Notification => JsonParser.Default.Parse<AlertNotification>(Encoding.UTF8.GetString(Body));

        public bool Accepted => Status is >= 200 and < 300;

        /// <summary>What a receiver does first: recompute the HMAC over timestamp + "." + body and compare in fixed time.</summary>
        public bool SignedWith(string secret)
        {
            var signed = Encoding.UTF8.GetBytes(Timestamp + ".").Concat(Body).ToArray();
            var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
            return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(Signature));
        }
    }

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Delivery> _deliveries = new();
    private readonly Stopwatch _since = Stopwatch.StartNew();
    private readonly Lock _gate = new();
    private int _arrived;
    private int _failFirst;
    private int _failStatus;
    private TimeSpan? _retryAfter;
    private TaskCompletionSource? _hold;
    private int _inFlight;

    private WebhookReceiver(WebApplication app) => _app = app;

    /// <summary>Every delivery so far, in the order they arrived (held ones included).</summary>
    public IReadOnlyList<Delivery> Deliveries => [.. _deliveries];

    /// <summary>Requests being answered right now (held ones among them).</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    public string Url => _app.Urls.First() + "/hooks/alerts";

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        // The alerting service's appsettings.json sits beside the tests and names fixed ports: start
        // from nothing, on a port the OS picks (no race with another test taking the same one).
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Kestrel:Endpoints:Http:Url"] = "http://127.0.0.1:0" });
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hooks/alerts", (Func<HttpContext, Task<IResult>>)receiver.ReceiveAsync);
        await app.StartAsync();
        return receiver;
    }

    /// <summary>The next <paramref name="count"/> deliveries are answered with <paramref name="status"/> (and a Retry-After, if given).</summary>
    public void FailNext(int count, int status, TimeSpan? retryAfter = null)
    {
        lock (_gate)
        {
            _failFirst = _arrived + count;
            _failStatus = status;
            _retryAfter = retryAfter;
        }
    }

    /// <summary>From now on every delivery is held (recorded on arrival, answered 200 only once released).</summary>
    public void Hold()
    {
        lock (_gate)
        {
            _hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>Answers the held deliveries, and the later ones at once.</summary>
    public void Release()
    {
        lock (_gate)
        {
            _hold?.TrySetResult();
            _hold = null;
        }
    }

    private async Task<IResult> ReceiveAsync(HttpContext http)
    {
        Interlocked.Increment(ref _inFlight);
        try
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            int status;
            TimeSpan? retryAfter;
            Task held;
            lock (_gate)
            {
                var failing = _arrived < _failFirst;
                _arrived++;
                status = failing ? _failStatus : StatusCodes.Status200OK;
                retryAfter = failing ? _retryAfter : null;
                held = failing ? Task.CompletedTask : _hold?.Task ?? Task.CompletedTask;
                _deliveries.Enqueue(new Delivery(
                    http.Request.Headers["X-Stockcast-Event-Id"].ToString(),
                    http.Request.Headers["X-Stockcast-Timestamp"].ToString(),
                    http.Request.Headers["X-Stockcast-Signature"].ToString(),
                    http.Request.ContentType ?? "",
                    body.ToArray(),
                    status,
                    _since.Elapsed));
            }
            try
            {
                await held.WaitAsync(HoldBound);
            }
            catch (TimeoutException)
            {
                // Bounded: answered anyway.
            }
            if (retryAfter is { } wait)
            {
                http.Response.Headers.RetryAfter = ((int)wait.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            return status == StatusCodes.Status200OK ? Results.Ok() : Results.Text($"refused by the test receiver ({status})", statusCode: status);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Release();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
