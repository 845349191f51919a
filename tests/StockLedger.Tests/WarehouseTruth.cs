using Stockcast.Ledger.V1;

namespace Stockcast.Ledger.Tests;

/// <summary>
/// The model behind <see cref="NeverOversoldTests"/>: what each warehouse really holds and reports, which
/// reports reached the ledger, and the live-room orders, for a few SKUs × the warehouses serving market US.
/// It answers two kinds of question: what is true (<see cref="Known"/>, <see cref="Unreflected"/>) and
/// what the documented rules make the ledger show (<see cref="UnsettledByRule"/>, <see cref="ExpectedAtp"/>).
/// </summary>
internal sealed class WarehouseTruth(string caseId, int[] skewSeconds, int[] initial)
{
    /// <summary>The warehouses serving US, in id order (Reserve's ties go to the lowest id).</summary>
    public static readonly string[] Warehouses = ["us-east", "us-north", "us-west"];

    /// <summary>Each warehouse's allocation delay in the ledger: us-north is registered with 90 s, the others take the 120 s default.</summary>
    public static readonly long[] AllocationDelayMs = [120_000, 90_000, 120_000];

    /// <summary>
    /// The longest a report takes to reach the ledger. A report from a warehouse whose clock is ahead counts
    /// as taken when it arrives, so it may be up to this much younger than it is: each warehouse allocates
    /// a handed-over order within its allocation delay less this (the contract the ledger's rule needs).
    /// </summary>
    public const long TransitMs = 60_000;

    public const int Skus = 2;
    public static int Pairs => Skus * Warehouses.Length;

    private readonly long[] _own = [.. initial.Select(i => (long)i)];
    private readonly SentReport?[] _newestSnapshot = new SentReport?[Pairs];
    private readonly List<SentReport>[] _deltas = [.. Enumerable.Range(0, Pairs).Select(_ => new List<SentReport>())];
    private int _events;

    public string Sku(int sku) => $"NO-{caseId}-{(char)('A' + sku)}";
    public static int SkuOf(int pair) => pair / Warehouses.Length;
    public static int WarehouseOf(int pair) => pair % Warehouses.Length;
    public static int PairOf(int sku, int warehouse) => sku * Warehouses.Length + warehouse;
    public StockKey Key(int pair) => new() { Sku = Sku(SkuOf(pair)), WarehouseId = Warehouses[WarehouseOf(pair)] };

    private readonly List<SentReport> _inFlight = [];
    public List<SentReport> Delivered { get; } = [];
    public List<Order> Orders { get; } = [];

    private static long AllocationMs(int pair) => AllocationDelayMs[WarehouseOf(pair)] - TransitMs;
    private IEnumerable<Order> At(int pair, OrderState state) => Orders.Where(o => o.Pair == pair && o.State == state);

    /// <summary>What the warehouse really has available now: its own stock movements, less the handed-over orders it has allocated.</summary>
    public long TruthAvailable(int pair, long nowMs) => _own[pair] - At(pair, OrderState.Committed).Where(o => o.HandOverMs + AllocationMs(pair) <= nowMs).Sum(o => o.Quantity);

    /// <summary>What another sales channel of the warehouse can still sell: it keeps aside every order handed over to it.</summary>
    private long OwnSellable(int pair) => _own[pair] - At(pair, OrderState.Committed).Sum(o => o.Quantity);

    /// <summary>
    /// The warehouse's figure as the reports that reached the ledger tell it: the newest snapshot plus every
    /// delta not older than it (docs/ledger-data-model.md, "Deltas and snapshots").
    /// </summary>
    public long Known(int pair)
    {
        var snapshot = _newestSnapshot[pair]!;
        return snapshot.Quantity + _deltas[pair].Where(d => d.StampMs >= snapshot.StampMs).Sum(d => d.Quantity);
    }

    /// <summary>Committed units the known figure does not include: the warehouse allocated them after its newest snapshot the ledger has.</summary>
    public long Unreflected(int pair) => At(pair, OrderState.Committed).Where(o => o.HandOverMs + AllocationMs(pair) > _newestSnapshot[pair]!.TakenMs).Sum(o => o.Quantity);

    /// <summary>Committed units the ledger's settle rule still subtracts.</summary>
    public long UnsettledByRule(int pair) => At(pair, OrderState.Committed).Where(o => !o.Settled).Sum(o => o.Quantity);

    public long Held(int pair) => At(pair, OrderState.Held).Sum(o => o.Quantity);

    /// <summary>What the ledger should promise from this SKU × warehouse, by its documented rules.</summary>
    public long ExpectedAtp(int pair) => Math.Max(0, Known(pair) - Held(pair) - UnsettledByRule(pair));

    /// <summary>What the warehouse can really still promise to the live room, as far as its reports have told.</summary>
    public long Sellable(int pair) => Known(pair) - Unreflected(pair) - Held(pair);

    /// <summary>A snapshot of the warehouse's figure now, stamped by its own clock.</summary>
    public SentReport Snapshot(int pair, long nowMs, int dueStep)
    {
        var (warehouse, stampMs) = (Warehouses[WarehouseOf(pair)], StampOf(pair, nowMs));
        // An oversold warehouse reports 0, not a negative figure.
        var figure = Math.Max(0, TruthAvailable(pair, nowMs));
        var report = Stock.Snapshot(warehouse, Sku(SkuOf(pair)), figure, version: stampMs, at: DateTimeOffset.FromUnixTimeMilliseconds(stampMs), onHand: figure);
        return Send(new SentReport(pair, report, nowMs, stampMs, figure, dueStep));
    }

    /// <summary>A stock movement of the warehouse's own (a delivery, or a sale through another channel), as a delta; none when there is nothing to sell.</summary>
    public void Delta(int pair, long change, long nowMs, int dueStep)
    {
        change = change >= 0 ? change : -Math.Min(-change, OwnSellable(pair));
        if (change == 0)
        {
            return;
        }
        _own[pair] += change;
        var stampMs = StampOf(pair, nowMs);
        var report = Stock.Delta(Warehouses[WarehouseOf(pair)], Sku(SkuOf(pair)), $"{caseId}-e{_events++}", change, at: DateTimeOffset.FromUnixTimeMilliseconds(stampMs));
        report.Delta.Change.OnHand = change;
        Send(new SentReport(pair, report, nowMs, stampMs, change, dueStep));
    }

    private long StampOf(int pair, long nowMs) => nowMs + skewSeconds[WarehouseOf(pair)] * 1000L;

    private SentReport Send(SentReport report)
    {
        _inFlight.Add(report);
        return report;
    }

    /// <summary>
    /// The reports that arrive now: those due, in the order sent. Any report may overtake any other, a sale
    /// the delivery it sold from too.
    /// </summary>
    public List<SentReport> Arriving(Func<SentReport, bool> due) => [.. _inFlight.Where(due)];

    /// <summary>
    /// A report reached the ledger at <paramref name="nowMs"/>. A snapshot newer than any before settles,
    /// by the rule, the committed orders due before its source time clamped to the ledger's clock.
    /// </summary>
    public void Arrived(SentReport report, long nowMs)
    {
        _inFlight.Remove(report);
        Delivered.Add(report);
        if (!report.IsSnapshot)
        {
            _deltas[report.Pair].Add(report);
            return;
        }
        if (_newestSnapshot[report.Pair] is { } newest && newest.StampMs >= report.StampMs)
        {
            return;
        }
        _newestSnapshot[report.Pair] = report;
        var judgedAt = Math.Min(report.StampMs, nowMs);
        foreach (var order in At(report.Pair, OrderState.Committed).Where(o => o.HandOverMs + AllocationDelayMs[WarehouseOf(report.Pair)] < judgedAt))
        {
            order.Settled = true;
        }
    }

    /// <summary>Holds whose time has come by <paramref name="nowMs"/>: the ledger expires them.</summary>
    public List<Order> Expire(long nowMs)
    {
        var due = Orders.Where(o => o.State == OrderState.Held && o.ExpiresMs <= nowMs).ToList();
        due.ForEach(o => o.State = OrderState.Expired);
        return due;
    }
}

/// <summary>A report as it left the warehouse: taken at <see cref="TakenMs"/> (the true time), stamped <see cref="StampMs"/> by the warehouse's clock.</summary>
internal sealed record SentReport(int Pair, StockEvent Event, long TakenMs, long StampMs, long Quantity, int DueStep)
{
    public bool IsSnapshot => Event.KindCase == StockEvent.KindOneofCase.Snapshot;
}

internal enum OrderState
{
    NotReserved,
    Held,
    Committed,
    Released,
    Expired,
}

internal sealed class Order(string id, int sku, long quantity, int holdSeconds)
{
    public string Id { get; } = id;
    public int Sku { get; } = sku;
    public long Quantity { get; } = quantity;
    public int HoldSeconds { get; } = holdSeconds;
    public OrderState State { get; set; }
    public int Pair { get; set; } = -1;
    public long ExpiresMs { get; set; }
    public long HandOverMs { get; set; }
    public bool Settled { get; set; }
}
