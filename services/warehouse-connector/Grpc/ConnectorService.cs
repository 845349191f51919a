using System.Text.Json;
using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Stockcast.Connector.DeadLetters;
using Stockcast.Connector.Events;
using Stockcast.Connector.Feeds;
using Stockcast.Connector.V1;
using Stockcast.ServiceDefaults.Auth;
using Stockcast.ServiceDefaults.Errors;

namespace Stockcast.Connector.Grpc;

[Authorize(Policy = Policies.Read)]
public sealed class ConnectorService(IOptions<ConnectorOptions> options, FeedStatusStore status, DeadLetterStore deadLetters, FeedIntake intake, FeedPoller poller, FeedEventStore feedEvents)
    : WarehouseConnector.WarehouseConnectorBase
{
    private const int MaxLetters = 1000;

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
        if (request.Limit is < 0 or > MaxLetters)
        {
            throw new InvalidFieldException("limit", $"must be between 0 and {MaxLetters}");
        }
        var letters = await deadLetters.ListAsync(feed.WarehouseId, request.Limit == 0 ? 100 : request.Limit);
        return new ListDeadLettersResponse { DeadLetters = { letters } };
    }

    [Authorize(Policy = Policies.Write)]
    public override async Task<ReplayDeadLettersResponse> ReplayDeadLetters(ReplayDeadLettersRequest request, ServerCallContext context)
    {
        var feed = Feed(request.WarehouseId);
        var letters = await deadLetters.ListAsync(feed.WarehouseId, MaxLetters, request.Ids);
        var response = new ReplayDeadLettersResponse();
        foreach (var letter in letters)
        {
            // Deliver (or re-refuse) first, remove after: a letter is never lost to a failed replay.
            using var json = JsonDocument.Parse(letter.Payload);
            var result = await intake.AcceptAsync(feed, [json.RootElement], context.CancellationToken, letter.Attempts + 1);
            var refusedAs = result.DeadLettered.Count == 0 ? null : result.DeadLettered[0].DeadLetterId;
            if (refusedAs != letter.Id)
            {
                // Delivered, or refused for another reason (a letter of its own now).
                await deadLetters.RemoveAsync(feed.WarehouseId, letter.Id);
            }
            if (refusedAs is null)
            {
                response.Delivered++;
            }
            else
            {
                response.StillFailing.AddRange(await deadLetters.ListAsync(feed.WarehouseId, 1, [refusedAs]));
            }
        }
        return response;
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
