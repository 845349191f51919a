using System.Globalization;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Stockcast.Connector.Feeds;
using Stockcast.Connector.V1;
using Stockcast.ServiceDefaults.Management;

namespace Stockcast.Connector.Health;

/// <summary>
/// The feeds' health entry (GET /healthz/feeds): Degraded while any feed is DEGRADED, naming each
/// with its dead-letter ratio, last reason and an example dead letter. Not a readiness check: a feed
/// sending bad records is no reason to stop serving the others (readiness and gRPC health ignore it).
/// </summary>
public sealed class FeedHealthCheck(IOptions<ConnectorOptions> options, FeedStatusStore status) : IHealthCheck
{
    public const string Name = "feeds";
    public const string Tag = "feeds";
    public const string Path = "/healthz/feeds";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        var degraded = new List<string>();
        foreach (var feed in options.Value.Feeds)
        {
            var current = await status.GetAsync(feed);
            if (current.State == FeedState.Degraded)
            {
                degraded.Add(feed.WarehouseId);
                data[feed.WarehouseId] = string.Create(CultureInfo.InvariantCulture,
                    $"DEGRADED: {current.DeadLetterRatio:P0} of {current.WindowRecords} records in {current.DeadLetterWindowSeconds / 60} min dead-lettered; last: {current.LastDeadLetterReason} (e.g. dead letter {current.ExampleDeadLetterId})");
            }
            else
            {
                data[feed.WarehouseId] = current.Stale ? "stale" : "healthy";
            }
        }
        return degraded.Count == 0
            ? HealthCheckResult.Healthy("every feed's records are being applied", data)
            : HealthCheckResult.Degraded($"feeds dead-lettering too many records: {string.Join(", ", degraded)}", data: data);
    }
}

public static class FeedHealthEndpoint
{
    /// <summary>GET /healthz/feeds, on the management port only (it names feeds and their dead letters): 200 with {"status": "Healthy"|"Degraded", "feeds": {warehouse: state}}; 503 only when Redis cannot be read.</summary>
    public static IEndpointRouteBuilder MapFeedHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks(FeedHealthCheck.Path, new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(FeedHealthCheck.Tag),
            ResponseWriter = (http, report) => http.Response.WriteAsJsonAsync(new
            {
                status = report.Status.ToString(),
                feeds = report.Entries.Values.SelectMany(e => e.Data).ToDictionary(d => d.Key, d => d.Value),
                error = report.Entries.Values.Select(e => e.Exception?.Message).FirstOrDefault(m => m is not null),
            }),
        }).AllowAnonymous().OnManagementPortOnly();
        return app;
    }
}
