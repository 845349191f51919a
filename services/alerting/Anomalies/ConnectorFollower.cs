using Grpc.Core;
using Grpc.Net.ClientFactory;
using Microsoft.Extensions.Options;
using Stockcast.Alerting.Engine;
using Stockcast.Alerting.Leadership;
using Stockcast.Alerting.V1;
using Stockcast.Connector.V1;
using Stockcast.ServiceDefaults.Redis;
using Stockcast.ServiceDefaults.Resilience;
using StackExchange.Redis;
using Condition = Stockcast.Alerting.Engine.Condition;

namespace Stockcast.Alerting.Anomalies;

/// <summary>
/// While this replica leads: follows the connector's WatchFeedEvents from a cursor kept in Redis
/// (moved after each event is handled, so a failover resumes there) and turns feed events into
/// alerts: a stale feed fires until the feed recovers; an unexplained zero, an implausible jump or
/// corrected drift is raised once per event (its alert id is the event's id, so a replay after a
/// failover does not repeat it). Runs on the stream loop ("connector-events"); a term that ends is
/// not a failure: the loop waits to lead again.
/// </summary>
public sealed class ConnectorFollower(
    IOptions<AlertingOptions> options,
    LeaderLease lease,
    AlertBook book,
    IConnectionMultiplexer redis,
    IOptions<RedisOptions> redisOptions,
    GrpcClientFactory clients,
    Streams streams,
    ILogger<ConnectorFollower> log) : BackgroundService
{
    private readonly RedisKey _cursor = redisOptions.Value.KeyPrefix + "al:connector:cursor";
    private readonly StreamLoop _loop = streams.Loop("connector-events");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.ConnectorAddress is null)
        {
            return;
        }
        var connector = clients.CreateClient<WarehouseConnector.WarehouseConnectorClient>(AlertingExtensions.ConnectorClient);
        await _loop.RunAsync(cancellationToken => FollowTermAsync(connector, cancellationToken), stoppingToken);
    }

    /// <summary>One term as leader: follows from the cursor until the term ends.</summary>
    private async Task FollowTermAsync(WarehouseConnector.WarehouseConnectorClient connector, CancellationToken cancellationToken)
    {
        var term = await lease.ElectedAsync(cancellationToken);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, term.Ended);
        try
        {
            var after = (string?)await redis.GetDatabase().StringGetAsync(_cursor) ?? "";
            using var call = connector.WatchFeedEvents(new WatchFeedEventsRequest { AfterId = after }, cancellationToken: linked.Token);
            while (await call.ResponseStream.MoveNext(linked.Token))
            {
                _loop.Heard();
                var e = call.ResponseStream.Current;
                await HandleAsync(e, term);
                await redis.GetDatabase().StringSetAsync(_cursor, e.Id);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled } && term.Ended.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // The term ended: wait to lead again.
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.FailedPrecondition)
        {
            log.LogWarning("Connector events were trimmed past our cursor; following from the oldest kept: {Error}", ex.Status.Detail);
            await redis.GetDatabase().StringSetAsync(_cursor, "0");
        }
        catch (FencedException)
        {
            // Lost the lead mid-write; the next leader resumes from the cursor.
        }
    }

    private async Task HandleAsync(FeedEvent e, LeaderTerm term)
    {
        var staleKey = $"feed:stale:{e.WarehouseId}";
        switch (e.Kind)
        {
            case FeedEventKind.FeedStale:
                await book.ApplyAsync(new Condition(staleKey, AlertKind.FeedStale, Severity.Critical, Standing.Firing, "",
                    $"The {e.WarehouseId} feed is stale: {e.Detail}", $"check the {e.WarehouseId} feed (API status, credentials, webhook delivery); its stock figures are not live")
                { WarehouseId = e.WarehouseId }, term, TimeSpan.Zero);
                break;
            case FeedEventKind.FeedRecovered:
                await book.ResolveAsync(term, staleKey, TimeSpan.Zero, "recovered");
                break;
            case FeedEventKind.UnexplainedZero:
                await RaiseOnceAsync(e, term, AlertKind.UnexplainedZero, Severity.Critical,
                    $"{e.Sku} at {e.WarehouseId} fell to 0: {e.Detail}", "confirm the count with the warehouse before promising or pitching it");
                break;
            case FeedEventKind.ImplausibleJump:
                await RaiseOnceAsync(e, term, AlertKind.ImplausibleJump, Severity.Warning,
                    $"{e.Sku} at {e.WarehouseId}: {e.Detail}", "verify the figure with the warehouse before promising it to viewers");
                break;
            case FeedEventKind.DriftCorrected:
                await RaiseOnceAsync(e, term, AlertKind.DriftCorrected, Severity.Info,
                    $"Reconciling {e.WarehouseId}: {e.Detail}", "if this repeats, the feed is missing updates: check its incremental reads or webhooks");
                break;
        }
    }

    private Task RaiseOnceAsync(FeedEvent e, LeaderTerm term, AlertKind kind, Severity severity, string message, string action)
    {
        var condition = new Condition($"event:{kind}:{e.Id}", kind, severity, Standing.Firing, e.Sku, message, action)
        {
            WarehouseId = e.WarehouseId,
            Figures = new Dictionary<string, double> { ["previous_on_hand"] = e.PreviousOnHand, ["on_hand"] = e.OnHand, ["explained_units"] = e.ExplainedUnits, ["skus"] = e.Skus, ["units"] = e.Units },
        };
        return book.RaiseOnceAsync(condition, "feed-" + e.Id, term);
    }
}
