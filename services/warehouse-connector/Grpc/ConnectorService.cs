using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Stockcast.Connector.DeadLetters;
using Stockcast.Connector.Events;
using Stockcast.Connector.Feeds;
using Stockcast.Connector.V1;
using Stockcast.ServiceDefaults.Auth;
using Stockcast.ServiceDefaults.Errors;
using Stockcast.ServiceDefaults.Identifiers;

namespace Stockcast.Connector.Grpc;

[Authorize(Policy = Policies.Read)]
public sealed class ConnectorService(
    IOptions<ConnectorOptions> options,
    FeedStatusStore status,
    DeadLetterStore deadLetters,
    DeadLetterReplay replay,
    FeedPoller poller,
    FeedEventStore feedEvents,
    ConnectorMetrics metrics) : WarehouseConnector.WarehouseConnectorBase
{
    private const int MaxLetters = 1000;
    private const int DefaultPageSize = 100;

    public override async Task<ListFeedsResponse> ListFeeds(ListFeedsRequest request, ServerCallContext context)
    {
        var response = new ListFeedsResponse();
        foreach (var feed in options.Value.Feeds)
        {
            var current = await status.GetAsync(feed);
            current.DeadLetters = await deadLetters.CountAsync(feed.WarehouseId);
            response.Feeds.Add(current);
        }
        return response;
    }

    [Authorize(Policy = Policies.Write)]
    public override async Task<TriggerFullSyncResponse> TriggerFullSync(TriggerFullSyncRequest request, ServerCallContext context)
    {
        var feed = Feed(request.WarehouseId);
        if (!feed.IsPolled)
        {
            throw new PreconditionFailedException($"the feed of '{feed.WarehouseId}' is pushed ({feed.Source}); only polled feeds can be read on demand", "FEED_NOT_POLLED");
        }
        try
        {
            var result = await poller.SyncNowAsync(feed, full: true, context.CancellationToken);
            return new TriggerFullSyncResponse
            {
                RecordsReceived = result.Received,
                RecordsApplied = result.Applied,
                RecordsDeadLettered = result.DeadLettered,
                SkusDrifted = result.SkusDrifted,
                DriftUnits = result.DriftUnits,
                SkusMissing = result.SkusMissing,
            };
        }
        catch (Exception ex) when (ex is FeedException or HttpRequestException)
        {
            throw new UnavailableException($"reading '{feed.WarehouseId}' failed: {ex.Message}", "WAREHOUSE_UNAVAILABLE");
        }
    }

    public override async Task<ListDeadLettersResponse> ListDeadLetters(ListDeadLettersRequest request, ServerCallContext context)
    {
        var feed = Feed(request.WarehouseId);
        var (letters, next) = await deadLetters.ListAsync(feed.WarehouseId, Query(request.Filter), PageSize(request.Limit), request.PageToken);
        return new ListDeadLettersResponse { DeadLetters = { letters }, NextPageToken = next, Total = await deadLetters.CountAsync(feed.WarehouseId) };
    }

    [Authorize(Policy = Policies.Admin)]
    public override async Task<ReplayDeadLettersResponse> ReplayDeadLetters(ReplayDeadLettersRequest request, ServerCallContext context)
    {
        var feed = Feed(request.WarehouseId);
        var ids = request.Ids.Count > 0
            ? request.Ids.Distinct(StringComparer.Ordinal).ToList()
            : (await deadLetters.ListAsync(feed.WarehouseId, Query(request.Filter), MaxLetters)).Letters.Select(l => l.Id).ToList();
        if (ids.Count > MaxLetters)
        {
            throw new InvalidFieldException("ids", $"{ids.Count} ids; replay at most {MaxLetters} a call");
        }
        return await replay.ReplayAsync(feed, await deadLetters.GetAsync(feed.WarehouseId, ids), context.CancellationToken);
    }

    [Authorize(Policy = Policies.Admin)]
    public override async Task<PurgeDeadLettersResponse> PurgeDeadLetters(PurgeDeadLettersRequest request, ServerCallContext context)
    {
        var feed = Feed(request.WarehouseId);
        var query = Query(request.Filter);
        if (request.Ids.Count == 0 && query.IsEmpty && !request.All)
        {
            throw new InvalidFieldException("all", "name the ids, give a filter, or set all to purge every dead letter of the feed");
        }
        var purged = 0;
        if (request.Ids.Count > 0)
        {
            purged = await deadLetters.RemoveAsync(feed.WarehouseId, [.. request.Ids.Distinct(StringComparer.Ordinal)]);
        }
        else
        {
            // Page by page from the newest: each page removed is gone from the next read.
            for (var page = await deadLetters.ListAsync(feed.WarehouseId, query, MaxLetters); page.Letters.Count > 0; page = await deadLetters.ListAsync(feed.WarehouseId, query, MaxLetters))
            {
                purged += await deadLetters.RemoveAsync(feed.WarehouseId, [.. page.Letters.Select(l => l.Id)]);
            }
        }
        metrics.DeadLetters.WithLabels(feed.WarehouseId).Set(await deadLetters.CountAsync(feed.WarehouseId));
        return new PurgeDeadLettersResponse { Purged = purged };
    }

    public override async Task WatchFeedEvents(WatchFeedEventsRequest request, IServerStreamWriter<FeedEvent> responseStream, ServerCallContext context)
    {
        if (request.WarehouseId.Length > 0)
        {
            Feed(request.WarehouseId);
        }
        var after = await feedEvents.Stream.ResumePointAsync(request.AfterId, "after_id");
        await foreach (var (id, e) in feedEvents.Stream.FollowAsync(after, context.CancellationToken))
        {
            if (request.WarehouseId.Length == 0 || e.WarehouseId == request.WarehouseId)
            {
                e.Id = id;
                await responseStream.WriteAsync(e, context.CancellationToken);
            }
        }
    }

    private static int PageSize(int requested) => requested is < 0 or > MaxLetters
        ? throw new InvalidFieldException("limit", $"must be between 0 and {MaxLetters}")
        : requested == 0 ? DefaultPageSize : requested;

    private static DeadLetterQuery Query(DeadLetterFilter? filter)
    {
        if (filter is null)
        {
            return new DeadLetterQuery();
        }
        var query = new DeadLetterQuery(
            filter.ReasonContains,
            filter.ReceivedAfter is null ? null : RequestTimes.Checked(filter.ReceivedAfter, "filter.received_after"),
            filter.ReceivedBefore is null ? null : RequestTimes.Checked(filter.ReceivedBefore, "filter.received_before"));
        if (query.After >= query.Before)
        {
            throw new InvalidFieldException("filter.received_before", "must be later than filter.received_after");
        }
        return query;
    }

    private FeedOptions Feed(string warehouseId)
    {
        if (warehouseId.Length == 0)
        {
            throw new InvalidFieldException("warehouse_id", "required");
        }
        return options.Value.Feeds.FirstOrDefault(f => f.WarehouseId == warehouseId)
            ?? throw new NotFoundException($"no feed is configured for warehouse '{warehouseId}'");
    }
}
