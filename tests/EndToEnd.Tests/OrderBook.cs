using System.Collections.Concurrent;
using Grpc.Core;
using Stockcast.Ledger.V1;

namespace Stockcast.EndToEnd.Tests;

/// <summary>One SKU × warehouse's units as the warehouse, the ledger and the orders see them.</summary>
/// <param name="Truth">What the warehouse can sell (the simulator's own figure).</param>
/// <param name="Held">Open reservations by the orders placed (from the ledger's reservation records).</param>
/// <param name="Committed">Committed orders the warehouse has not reflected yet (none settle in a run).</param>
public sealed record SkuBalance(string Warehouse, string Sku, long Truth, long LedgerAvailable, long AvailableToPromise, long LedgerHeld, long LedgerCommitted, long Held, long Committed)
{
    /// <summary>Units the ledger no longer accounts for: the warehouse has them, or an order holds them, but the ledger does not count them.</summary>
    public long Lost => Math.Max(0, Truth - LedgerAvailable) + Math.Max(0, Held + Committed - LedgerHeld - LedgerCommitted);

    /// <summary>Units counted twice: the ledger holds more than the warehouse has, or more reserved than the orders hold.</summary>
    public long DoubleApplied => Math.Max(0, LedgerAvailable - Truth) + Math.Max(0, LedgerHeld + LedgerCommitted - Held - Committed);

    /// <summary>Warehouse truth = ATP + open reservations + committed-not-yet-reflected.</summary>
    public bool Conserved => Truth == AvailableToPromise + Held + Committed && Lost == 0 && DoubleApplied == 0;

    public override string ToString()
        => $"{Sku} @ {Warehouse}: warehouse {Truth}, ledger available {LedgerAvailable} (ATP {AvailableToPromise}, held {LedgerHeld}, committed {LedgerCommitted}), orders hold {Held} and committed {Committed}";
}

public sealed record Balance(IReadOnlyList<SkuBalance> Skus)
{
    public IReadOnlyList<SkuBalance> Mismatches => [.. Skus.Where(s => !s.Conserved)];
    public long Lost => Skus.Sum(s => s.Lost);
    public long DoubleApplied => Skus.Sum(s => s.DoubleApplied);
}

/// <summary>
/// Live-room orders as the live-commerce platform places them: Reserve, then Commit, over gRPC with
/// the order id as the idempotency key, retried while the ledger cannot answer. Every order id ever
/// tried is kept, so the balance counts what the ledger really holds for them, whatever the client saw.
/// </summary>
public sealed class OrderBook(StockLedger.StockLedgerClient ledger)
{
    private static readonly TimeSpan CallDeadline = TimeSpan.FromSeconds(3);
    private readonly ConcurrentDictionary<string, byte> _tried = new();
    private readonly ConcurrentDictionary<string, ReserveRequest> _acknowledged = new();
    private readonly ConcurrentDictionary<string, byte> _committed = new();

    /// <summary>Reserves (and commits, when asked); false when the ledger refused it (sold out). Unanswered calls are retried until <paramref name="giveUp"/>.</summary>
    public async Task<bool> BuyAsync(string orderId, string sku, string market, long quantity, bool commit, TimeSpan giveUp)
    {
        _tried[orderId] = 0;
        var until = DateTime.UtcNow + giveUp;
        while (true)
        {
            try
            {
                await UntilAnsweredAsync(() => ledger.ReserveAsync(new ReserveRequest { OrderId = orderId, Sku = sku, Market = market, Quantity = quantity, HoldSeconds = 3600 }, deadline: DateTime.UtcNow + CallDeadline).ResponseAsync, until);
            }
            catch (RpcException refused) when (refused.StatusCode == StatusCode.FailedPrecondition)
            {
                return false;
            }
            _acknowledged[orderId] = new ReserveRequest { OrderId = orderId, Sku = sku, Market = market, Quantity = quantity };
            if (!commit)
            {
                return true;
            }
            try
            {
                await UntilAnsweredAsync(() => ledger.CommitAsync(new CommitRequest { OrderId = orderId }, deadline: DateTime.UtcNow + CallDeadline).ResponseAsync, until);
                _committed[orderId] = 0;
                return true;
            }
            catch (RpcException lost) when (lost.StatusCode == StatusCode.NotFound && DateTime.UtcNow < until)
            {
                // The ledger's store came back without the reservation it acknowledged: place it again.
            }
        }
    }

    /// <summary>
    /// What the platform does after the ledger's store lost its latest writes: every order the ledger
    /// acknowledged but no longer holds as acknowledged is placed again under its own id (Reserve and
    /// Commit are idempotent on it). Returns how many were.
    /// </summary>
    public async Task<int> PlaceLostOrdersAgainAsync(TimeSpan giveUp)
    {
        var again = 0;
        foreach (var (orderId, order) in _acknowledged)
        {
            var committed = _committed.ContainsKey(orderId);
            Reservation? held = null;
            try
            {
                held = await ledger.GetReservationAsync(new GetReservationRequest { OrderId = orderId }, deadline: DateTime.UtcNow + CallDeadline);
            }
            catch (RpcException missing) when (missing.StatusCode == StatusCode.NotFound)
            {
                // Lost with the writes.
            }
            if (held is null || (committed && held.Status == ReservationStatus.Held))
            {
                await BuyAsync(orderId, order.Sku, order.Market, order.Quantity, committed, giveUp);
                again++;
            }
        }
        return again;
    }

    /// <summary>A viewer who reserves and changes their mind at once: two ledger changes, no unit moved.</summary>
    public async Task ReserveAndReleaseAsync(string orderId, string sku, string market)
    {
        _tried[orderId] = 0;
        await ledger.ReserveAsync(new ReserveRequest { OrderId = orderId, Sku = sku, Market = market, Quantity = 1, HoldSeconds = 3600 }, deadline: DateTime.UtcNow + CallDeadline);
        await ledger.ReleaseAsync(new ReleaseRequest { OrderId = orderId }, deadline: DateTime.UtcNow + CallDeadline);
    }

    public async Task<Balance> BalanceAsync(IReadOnlyDictionary<(string Warehouse, string Sku), long> truth)
    {
        var reservations = new List<Reservation>();
        foreach (var orderId in _tried.Keys)
        {
            try
            {
                reservations.Add(await ledger.GetReservationAsync(new GetReservationRequest { OrderId = orderId }, deadline: DateTime.UtcNow + CallDeadline));
            }
            catch (RpcException missing) when (missing.StatusCode == StatusCode.NotFound)
            {
                // Never reached the ledger.
            }
        }
        var records = new Dictionary<(string, string), StockRecord>();
        foreach (var warehouse in truth.Keys.Select(k => k.Warehouse).Distinct())
        {
            var page = await ledger.ListStockAsync(new ListStockRequest { WarehouseId = warehouse, PageSize = 1000 }, deadline: DateTime.UtcNow + CallDeadline);
            foreach (var record in page.Records)
            {
                records[(warehouse, record.Sku)] = record;
            }
        }
        long Units(string warehouse, string sku, ReservationStatus status)
            => reservations.Where(r => r.WarehouseId == warehouse && r.Sku == sku && r.Status == status).Sum(r => r.Quantity);
        return new Balance([.. truth.Select(t =>
        {
            var (warehouse, sku) = t.Key;
            var record = records.GetValueOrDefault((warehouse, sku)) ?? new StockRecord { Quantities = new Quantities() };
            return new SkuBalance(warehouse, sku, t.Value, record.Quantities.Available, record.AvailableToPromise, record.Held, record.Committed,
                Units(warehouse, sku, ReservationStatus.Held), Units(warehouse, sku, ReservationStatus.Committed));
        })]);
    }

    /// <summary>Calls until the ledger answers (a refusal is an answer and is thrown); an unreachable or restarting ledger is asked again.</summary>
    private static async Task UntilAnsweredAsync(Func<Task> call, DateTime until)
    {
        while (true)
        {
            try
            {
                await call();
                return;
            }
            catch (RpcException unanswered) when (unanswered.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal or StatusCode.Cancelled && DateTime.UtcNow < until)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200));
            }
        }
    }
}
