using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Stockcast.Alerting.Catalog;
using Stockcast.Alerting.Delivery;
using Stockcast.Alerting.Engine;
using Stockcast.Alerting.Signals;
using Stockcast.Alerting.V1;
using Stockcast.ServiceDefaults.Auth;
using Stockcast.ServiceDefaults.Errors;
using Stockcast.ServiceDefaults.Identifiers;
using AlertingBase = Stockcast.Alerting.V1.Alerting.AlertingBase;

namespace Stockcast.Alerting.Grpc;

[Authorize(Policy = Policies.Read)]
public sealed class AlertingService(AlertingMetrics metrics, CatalogStore catalog, SignalStore signals, Preflight preflight, AlertBook book, NotificationLog notifications) : AlertingBase
{
    private const int MaxLimit = 1000;
    private static readonly TimeSpan DefaultStreamLength = TimeSpan.FromHours(2);

    [Authorize(Policy = Policies.Admin)]
    public override async Task<Rule> SetRule(Rule request, ServerCallContext context)
    {
        RequestValidation.Rule(request);
        var rule = request.Clone();
        rule.Id = RuleIds.Of(rule);
        await catalog.SetRuleAsync(rule);
        return rule;
    }

    [Authorize(Policy = Policies.Admin)]
    public override async Task<DeleteRuleResponse> DeleteRule(DeleteRuleRequest request, ServerCallContext context)
    {
        RequestValidation.Required(request.Id, "id");
        return new DeleteRuleResponse { Deleted = await catalog.DeleteRuleAsync(request.Id) };
    }

    public override Task<ListRulesResponse> ListRules(ListRulesRequest request, ServerCallContext context)
        => Task.FromResult(new ListRulesResponse { Rules = { catalog.Rules.Values.OrderBy(r => r.Id, StringComparer.Ordinal) } });

    [Authorize(Policy = Policies.Write)]
    public override async Task<UpsertProductsResponse> UpsertProducts(UpsertProductsRequest request, ServerCallContext context)
    {
        RequestValidation.Products(request.Products);
        await catalog.UpsertProductsAsync(request.Products);
        return new UpsertProductsResponse { Upserted = request.Products.Count };
    }

    [Authorize(Policy = Policies.Admin)]
    public override async Task<LiveStream> UpsertStream(LiveStream request, ServerCallContext context)
    {
        RequestValidation.Stream(request);
        await catalog.UpsertStreamAsync(request);
        return catalog.Streams.GetValueOrDefault(request.Id) ?? request;
    }

    [Authorize(Policy = Policies.Admin)]
    public override async Task<DeleteStreamResponse> DeleteStream(DeleteStreamRequest request, ServerCallContext context)
    {
        RequestValidation.Required(request.Id, "id");
        return new DeleteStreamResponse { Deleted = await catalog.DeleteStreamAsync(request.Id) };
    }

    public override Task<ListStreamsResponse> ListStreams(ListStreamsRequest request, ServerCallContext context)
        => Task.FromResult(new ListStreamsResponse { Streams = { catalog.Streams.Values.OrderBy(s => s.StartsAt.ToDateTimeOffset()).ThenBy(s => s.Id, StringComparer.Ordinal) } });

    [Authorize(Policy = Policies.Write)]
    public override async Task<IngestResponse> Ingest(IngestRequest request, ServerCallContext context)
    {
        SignalStore.Validate(request.Signals);
        var accepted = await signals.AppendAsync(request.Signals);
        metrics.Signals.WithLabels("grpc", "accepted").Inc(accepted);
        metrics.Signals.WithLabels("grpc", "duplicate").Inc(request.Signals.Count - accepted);
        return new IngestResponse { Accepted = accepted, Duplicates = request.Signals.Count - accepted };
    }

    public override async Task<PreflightResponse> Preflight(PreflightRequest request, ServerCallContext context)
    {
        List<string> skus;
        string market;
        TimeSpan? duration = request.Duration is null ? null : RequestTimes.Checked(request.Duration, "duration");
        if (request.RoomId.Length > 0)
        {
            var stream = catalog.Streams.GetValueOrDefault(request.RoomId)
                ?? throw new NotFoundException($"no stream is scheduled for room '{request.RoomId}'");
            skus = request.Skus.Count > 0 ? [.. request.Skus] : [.. stream.Skus];
            market = request.Market.Length > 0 ? request.Market : stream.Market;
            duration ??= stream.EndsAt.ToDateTimeOffset() - stream.StartsAt.ToDateTimeOffset();
        }
        else
        {
            if (request.Skus.Count == 0)
            {
                throw new InvalidFieldException("skus", "name a room_id or at least one SKU");
            }
            skus = [.. request.Skus];
            market = request.Market;
        }
        Identifiers.Market.Check(market, "market");
        for (var i = 0; i < skus.Count; i++)
        {
            Identifiers.Sku.Check(skus[i], $"skus[{i}]");
        }
        if (duration is { } d && (d <= TimeSpan.Zero || d > TimeSpan.FromDays(7)))
        {
            throw new InvalidFieldException("duration", "must be positive and at most 7 days");
        }
        var verdicts = await preflight.CheckAsync(skus, market, duration ?? DefaultStreamLength, request.RoomId.Length > 0 ? request.RoomId : null);
        return new PreflightResponse { Verdicts = { verdicts } };
    }

    public override async Task WatchAlerts(WatchAlertsRequest request, IServerStreamWriter<AlertNotification> responseStream, ServerCallContext context)
    {
        var after = await notifications.Stream.ResumePointAsync(request.AfterId, "after_id");
        // Headers now: a client that lists alerts once it has them misses nothing in between.
        await context.WriteResponseHeadersAsync([]);
        await foreach (var (id, notification) in notifications.Stream.FollowAsync(after, context.CancellationToken))
        {
            var alert = notification.Alert;
            if ((request.RoomId.Length == 0 || alert.RoomId == request.RoomId) && (request.Sku.Length == 0 || alert.Sku == request.Sku) && alert.Severity >= request.MinSeverity)
            {
                notification.Id = id;
                await responseStream.WriteAsync(notification, context.CancellationToken);
            }
        }
    }

    public override async Task<ListAlertsResponse> ListAlerts(ListAlertsRequest request, ServerCallContext context)
    {
        if (request.Limit is < 0 or > MaxLimit)
        {
            throw new InvalidFieldException("limit", $"must be between 0 and {MaxLimit}");
        }
        var alerts = await book.ListAsync(a =>
            (request.IncludeResolved || a.State == AlertState.Firing)
            && (request.Kind == AlertKind.Unspecified || a.Kind == request.Kind)
            && (request.Sku.Length == 0 || a.Sku == request.Sku)
            && (request.RoomId.Length == 0 || a.RoomId == request.RoomId)
            && a.Severity >= request.MinSeverity);
        var ordered = alerts.OrderBy(a => a.State).ThenByDescending(a => a.Severity).ThenByDescending(a => a.RaisedAt.ToDateTimeOffset()).Take(request.Limit == 0 ? 100 : request.Limit);
        return new ListAlertsResponse { Alerts = { ordered } };
    }

    [Authorize(Policy = Policies.Write)]
    public override async Task<Alert> Acknowledge(AcknowledgeRequest request, ServerCallContext context)
    {
        RequestValidation.Required(request.AlertId, "alert_id");
        RequestValidation.Required(request.Who, "who");
        return await book.AcknowledgeAsync(request.AlertId, request.Who)
            ?? throw new NotFoundException($"no alert '{request.AlertId}'");
    }
}
