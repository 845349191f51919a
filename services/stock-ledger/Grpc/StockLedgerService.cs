using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Stockcast.Ledger.Reads;
using Stockcast.Ledger.Store;
using Stockcast.Ledger.V1;
using Stockcast.Ledger.Watch;
using Stockcast.ServiceDefaults.Auth;
using Stockcast.ServiceDefaults.Errors;
using Stockcast.ServiceDefaults.Identifiers;

namespace Stockcast.Ledger.Grpc;

[Authorize(Policy = Policies.Read)]
public sealed class StockLedgerService(
    LedgerMetrics metrics,
    StockStore store,
    WatchStreams watches,
    AvailabilityView view,
    IOptions<LedgerOptions> options,
    TimeProvider clock,
    ILogger<StockLedgerService> log) : StockLedger.StockLedgerBase
{
    private const int MaxKeysPerRead = 1000;
    private const int DefaultPageSize = 100;

    private readonly RequestValidation _validation = new(options.Value, clock);

    [Authorize(Policy = Policies.Write)]
    public override async Task<Warehouse> RegisterWarehouse(RegisterWarehouseRequest request, ServerCallContext context)
    {
        var w = request.Warehouse ?? throw new InvalidFieldException("warehouse", "required");
        var markets = w.Markets.ToArray();
        if (WarehouseRules.Problem(w.WarehouseId, w.Region, markets, w.AllocationDelayMs) is (var field, var problem))
        {
            throw new InvalidFieldException("warehouse." + field, problem);
        }
        await store.RegisterWarehouseAsync(w);
        log.LogInformation("Warehouse {Warehouse} registered in {Region} serving {Markets}", w.WarehouseId, w.Region, string.Join(',', markets));
        return w;
    }

    public override async Task<ListWarehousesResponse> ListWarehouses(ListWarehousesRequest request, ServerCallContext context)
        => new() { Warehouses = { await store.ListWarehousesAsync() } };

    [Authorize(Policy = Policies.Write)]
    public override async Task ApplyStockEvents(IAsyncStreamReader<ApplyStockEventsRequest> requestStream, IServerStreamWriter<ApplyStockEventsResponse> responseStream, ServerCallContext context)
    {
        await foreach (var request in requestStream.ReadAllAsync(context.CancellationToken))
        {
            try
            {
                _validation.Batch(request);
            }
            catch (InvalidFieldException)
            {
                metrics.Events.WithLabels("", "invalid").Inc(request.Events.Count);
                throw;
            }
            var batch = await store.ApplyAsync(request.Events, request.Fence);
            if (batch.UnknownWarehouseAt is int i)
            {
                metrics.Events.WithLabels("", "invalid").Inc(request.Events.Count);
                throw new InvalidFieldException($"events[{i}].warehouse_id", $"unknown warehouse '{request.Events[i].WarehouseId}'; register it first");
            }
            if (batch.FencedBy is long newer)
            {
                metrics.Events.WithLabels("", "fenced").Inc(request.Events.Count);
                throw new PreconditionFailedException($"fence '{request.Fence.Name}': term {request.Fence.Term} is older than term {newer}, which has written since; nothing applied", "FENCED");
            }
            var response = batch.Response;
            response.BatchId = request.BatchId;
            RecordOutcomes(request, response);
            foreach (var superseded in batch.SupersededDeltas)
            {
                metrics.SupersededDeltas.WithLabels(request.Events[superseded].WarehouseId).Inc();
            }
            await responseStream.WriteAsync(response, context.CancellationToken);
        }
    }

    private void RecordOutcomes(ApplyStockEventsRequest request, ApplyStockEventsResponse response)
    {
        // Tallied per warehouse first: a batch is usually one warehouse, and label lookups per event add up at 100k events/s.
        var nowMs = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var tallies = new Dictionary<string, WarehouseTally>(StringComparer.Ordinal);
        for (var i = 0; i < request.Events.Count; i++)
        {
            var e = request.Events[i];
            if (!tallies.TryGetValue(e.WarehouseId, out var tally))
            {
                tallies[e.WarehouseId] = tally = new WarehouseTally(metrics.SyncLagSeconds.WithLabels(e.WarehouseId));
            }
            var outcome = response.Results[i].Outcome;
            tally.Outcomes[(int)outcome]++;
            if (outcome == EventOutcome.Applied)
            {
                var sourceMs = e.SourceTime.Seconds * 1000 + e.SourceTime.Nanos / 1_000_000;
                tally.NewestSourceMs = Math.Max(tally.NewestSourceMs, sourceMs);
                tally.Lag.Observe(Math.Max(0, nowMs - sourceMs) / 1000.0);
            }
        }
        foreach (var (warehouse, tally) in tallies)
        {
            for (var outcome = EventOutcome.Applied; outcome <= EventOutcome.Rejected; outcome++)
            {
                if (tally.Outcomes[(int)outcome] > 0)
                {
                    metrics.Events.WithLabels(warehouse, OutcomeLabel(outcome)).Inc(tally.Outcomes[(int)outcome]);
                }
            }
            if (tally.Outcomes[(int)EventOutcome.Applied] > 0)
            {
                metrics.LastAppliedTimestamp.WithLabels(warehouse).Set(nowMs / 1000.0);
                metrics.LastSourceTimestamp.WithLabels(warehouse).IncTo(tally.NewestSourceMs / 1000.0);
            }
        }
    }

    private sealed class WarehouseTally(Prometheus.Histogram.Child lag)
    {
        public Prometheus.Histogram.Child Lag { get; } = lag;
        public long[] Outcomes { get; } = new long[(int)EventOutcome.Rejected + 1];
        public long NewestSourceMs { get; set; }
    }

    private static string OutcomeLabel(EventOutcome outcome) => outcome switch
    {
        EventOutcome.Applied => "applied",
        EventOutcome.Duplicate => "duplicate",
        EventOutcome.Stale => "stale",
        _ => "rejected",
    };

    public override async Task<StockRecord> GetStock(GetStockRequest request, ServerCallContext context)
    {
        Identifiers.Sku.Check(request.Sku, "sku");
        Identifiers.WarehouseId.Check(request.WarehouseId, "warehouse_id");
        var (_, records) = await store.ReadRecordsAsync([new StockKey { Sku = request.Sku, WarehouseId = request.WarehouseId }]);
        return records[0] ?? throw new NotFoundException($"no stock record for sku '{request.Sku}' at warehouse '{request.WarehouseId}'");
    }

    public override async Task<BatchGetStockResponse> BatchGetStock(BatchGetStockRequest request, ServerCallContext context)
    {
        if (request.Keys.Count > MaxKeysPerRead)
        {
            throw new InvalidFieldException("keys", $"{request.Keys.Count} keys exceed the limit of {MaxKeysPerRead}");
        }
        for (var i = 0; i < request.Keys.Count; i++)
        {
            Identifiers.Sku.Check(request.Keys[i].Sku, $"keys[{i}].sku");
            Identifiers.WarehouseId.Check(request.Keys[i].WarehouseId, $"keys[{i}].warehouse_id");
        }
        var (revision, records) = await store.ReadRecordsAsync(request.Keys);
        var response = new BatchGetStockResponse { Revision = revision };
        for (var i = 0; i < records.Length; i++)
        {
            if (records[i] is { } record)
            {
                response.Records.Add(record);
            }
            else
            {
                response.Missing.Add(request.Keys[i]);
            }
        }
        return response;
    }

    public override async Task<ListStockResponse> ListStock(ListStockRequest request, ServerCallContext context)
    {
        var byWarehouse = request.WarehouseId.Length > 0;
        if (byWarehouse && request.SkuPrefix.Length > 0)
        {
            throw new InvalidFieldException("sku_prefix", "set either warehouse_id or sku_prefix, not both");
        }
        if (byWarehouse)
        {
            Identifiers.WarehouseId.Check(request.WarehouseId, "warehouse_id");
        }
        else if (request.SkuPrefix.Length > 0)
        {
            Identifiers.SkuPrefix.Check(request.SkuPrefix, "sku_prefix");
        }
        if (request.PageSize is < 0 or > MaxKeysPerRead)
        {
            throw new InvalidFieldException("page_size", $"must be between 0 and {MaxKeysPerRead}");
        }
        var pageSize = request.PageSize == 0 ? DefaultPageSize : request.PageSize;
        var after = PageToken.Decode(request.PageToken, byWarehouse);
        var (revision, records) = await store.ListAsync(byWarehouse, byWarehouse ? request.WarehouseId : request.SkuPrefix, after, pageSize);
        var response = new ListStockResponse { Revision = revision, Records = { records } };
        if (records.Count == pageSize)
        {
            var last = records[^1];
            response.NextPageToken = PageToken.Encode(byWarehouse ? last.Sku : $"{last.Sku}\t{last.WarehouseId}", byWarehouse);
        }
        return response;
    }

    public override async Task<Availability> GetAvailability(GetAvailabilityRequest request, ServerCallContext context)
    {
        Identifiers.Sku.Check(request.Sku, "sku");
        Identifiers.Market.Check(request.Market, "market");
        if (request.MinRevision < 0)
        {
            throw new InvalidFieldException("min_revision", "must not be negative");
        }
        // Never behind what this process has answered (its writes included), nor what the caller asks for.
        var atLeast = Math.Max(store.Floor, request.MinRevision);
        var answer = await view.AnswerAsync(request.Sku, request.Market, atLeast, TimeSpan.FromMilliseconds(options.Value.ReadViewWaitMs), context.CancellationToken);
        metrics.AvailabilityReads.WithLabels(answer is null ? "store" : "view").Inc();
        if (answer is not null)
        {
            return answer;
        }
        var (revision, records) = await store.AvailabilityAsync(request.Sku, request.Market);
        answer = new Availability { Sku = request.Sku, Market = request.Market, Revision = revision };
        foreach (var record in records)
        {
            AvailabilityView.Add(answer, record.WarehouseId, record.AvailableToPromise, record.SourceTime);
        }
        return answer;
    }

    [Authorize(Policy = Policies.Write)]
    public override async Task<Reservation> Reserve(ReserveRequest request, ServerCallContext context)
    {
        Identifiers.OrderId.Check(request.OrderId, "order_id");
        Identifiers.Sku.Check(request.Sku, "sku");
        Identifiers.Market.Check(request.Market, "market");
        if (request.Quantity < 1 || request.Quantity > options.Value.MaxQuantity)
        {
            throw new InvalidFieldException("quantity", $"must be between 1 and {options.Value.MaxQuantity}");
        }
        if (request.HoldSeconds < 0 || request.HoldSeconds > options.Value.MaxHoldSeconds)
        {
            throw new InvalidFieldException("hold_seconds", $"must be between 0 and {options.Value.MaxHoldSeconds}");
        }
        var holdSeconds = request.HoldSeconds == 0 ? options.Value.DefaultHoldSeconds : request.HoldSeconds;
        var result = await store.ReserveAsync(request.OrderId, request.Sku, request.Market, request.Quantity, holdSeconds * 1000);
        metrics.Reservations.WithLabels("reserve", result.Code.ToLowerInvariant()).Inc();
        return result.Code switch
        {
            "OK" or "EXISTS" => result.Reservation!,
            "EXPIRED" => throw Errors.ReservationExpired(request.OrderId),
            "CONFLICT" => throw new AlreadyExistsException(
                $"order '{request.OrderId}' is already reserved for {result.Reservation!.Quantity} x '{result.Reservation.Sku}' in {result.Reservation.Market}"),
            _ => throw new PreconditionFailedException(
                $"insufficient stock: market {request.Market} can promise {result.MarketAvailable} of '{request.Sku}' (at most {result.LargestWarehouseAvailable} from one warehouse), {request.Quantity} requested",
                "INSUFFICIENT_STOCK"),
        };
    }

    [Authorize(Policy = Policies.Write)]
    public override async Task<Reservation> Release(ReleaseRequest request, ServerCallContext context)
    {
        Identifiers.OrderId.Check(request.OrderId, "order_id");
        var result = await store.ReleaseAsync(request.OrderId);
        metrics.Reservations.WithLabels("release", result.Code.ToLowerInvariant()).Inc();
        return result.Code switch
        {
            "OK" => result.Reservation!,
            "NOTFOUND" => throw new NotFoundException($"no reservation for order '{request.OrderId}'"),
            _ => throw new PreconditionFailedException($"order '{request.OrderId}' is {StatusName(result.Reservation!)}: it was handed to the warehouse, which now settles it"),
        };
    }

    [Authorize(Policy = Policies.Write)]
    public override async Task<Reservation> Commit(CommitRequest request, ServerCallContext context)
    {
        Identifiers.OrderId.Check(request.OrderId, "order_id");
        var result = await store.CommitAsync(request.OrderId);
        metrics.Reservations.WithLabels("commit", result.Code.ToLowerInvariant()).Inc();
        return result.Code switch
        {
            "OK" => result.Reservation!,
            "NOTFOUND" => throw new NotFoundException($"no reservation for order '{request.OrderId}'"),
            "EXPIRED" => throw Errors.ReservationExpired(request.OrderId),
            _ => throw new PreconditionFailedException($"order '{request.OrderId}' is {StatusName(result.Reservation!)} and can no longer be committed"),
        };
    }

    public override async Task<Reservation> GetReservation(GetReservationRequest request, ServerCallContext context)
    {
        Identifiers.OrderId.Check(request.OrderId, "order_id");
        var result = await store.GetReservationAsync(request.OrderId);
        return result.Reservation ?? throw new NotFoundException($"no reservation for order '{request.OrderId}'");
    }

    private static string StatusName(Reservation r) => r.Status.ToString().ToLowerInvariant();

    public override async Task Watch(WatchRequest request, IServerStreamWriter<WatchResponse> responseStream, ServerCallContext context)
    {
        if (request.StartRevision < 0)
        {
            throw new InvalidFieldException("start_revision", "must not be negative");
        }
        if (request.ProgressIntervalSeconds is < 0 or > 300)
        {
            throw new InvalidFieldException("progress_interval_seconds", "must be between 0 and 300");
        }
        for (var i = 0; i < request.Skus.Count; i++)
        {
            Identifiers.Sku.Check(request.Skus[i], $"skus[{i}]");
        }
        for (var i = 0; i < request.WarehouseIds.Count; i++)
        {
            Identifiers.WarehouseId.Check(request.WarehouseIds[i], $"warehouse_ids[{i}]");
        }
        if (request.Market.Length > 0)
        {
            Identifiers.Market.Check(request.Market, "market");
        }
        await watches.RunAsync(request, responseStream, context.CancellationToken);
    }
}
