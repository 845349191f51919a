using System.Globalization;
using Microsoft.AspNetCore.Http;
using Prometheus;

namespace Stockcast.ServiceDefaults.Limits;

/// <summary>
/// Every refusal of a public endpoint for a limit: counted by endpoint kind and reason, and answered
/// as problem details with the reason in words (and Retry-After when waiting mends it).
/// </summary>
public sealed class PublicRefusals(IMetricFactory metrics)
{
    public const string RateLimited = "rate_limited";
    public const string BodyTooLarge = "body_too_large";
    public const string OutsideReplayWindow = "outside_replay_window";
    public const string RoomConnections = "room_connections";
    public const string TokenConnections = "token_connections";

    private readonly Counter _refused = metrics.CreateCounter(
        "stockcast_public_refusals_total",
        "Requests to a public endpoint refused for a limit, by endpoint kind and reason (rate_limited, body_too_large, outside_replay_window, room_connections, token_connections).",
        ["endpoint", "reason"]);

    /// <summary>How many refusals were counted (tests, and nothing else: Prometheus reads the counter).</summary>
    public double Count(string endpoint, string reason) => _refused.WithLabels(endpoint, reason).Value;

    /// <summary>Counts the refusal and answers it: <paramref name="status"/> with problem details saying why.</summary>
    public IResult Refuse(HttpContext http, string endpoint, string reason, int status, string detail, TimeSpan? retryAfter = null)
    {
        Counted(http, endpoint, reason, retryAfter);
        return Results.Problem(statusCode: status, title: detail, detail: detail, extensions: new Dictionary<string, object?> { ["reason"] = reason });
    }

    /// <summary>Counts the refusal and sets what a refusal carries besides its body (Retry-After).</summary>
    public void Counted(HttpContext http, string endpoint, string reason, TimeSpan? retryAfter = null)
    {
        _refused.WithLabels(endpoint, reason).Inc();
        if (retryAfter is { } wait)
        {
            http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }
    }
}
