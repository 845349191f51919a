using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;
using Stockcast.Ledger.V1;
using Stockcast.ServiceDefaults.Redis;
using StackExchange.Redis;

namespace Stockcast.Ledger.Store;

/// <summary>
/// All Redis access of the ledger. Every call is one atomic script on the ledger's hash slot;
/// results come back as the API's own messages.
/// </summary>
public sealed class StockStore(IConnectionMultiplexer redis, IOptions<RedisOptions> redisOptions, IOptions<LedgerOptions> ledgerOptions, TimeProvider clock)
{
    private readonly string _prefix = redisOptions.Value.KeyPrefix;
    private readonly LedgerOptions _options = ledgerOptions.Value;

    private IDatabase Db => redis.GetDatabase();
    private RedisKey RevisionKey => _prefix + "rev";
    private RedisKey LogKey => _prefix + "log";
    private RedisKey HistoryKey => _prefix + "history";
    private long RetentionMs => _options.IdempotencyRetentionHours * 3_600_000L;
    private long ReservationRetentionMs => _options.ReservationRetentionHours * 3_600_000L;

    private long _floor;

    /// <summary>The pub/sub channel each change-making script publishes its last revision on.</summary>
    public RedisChannel ChangesChannel => RedisChannel.Literal(_prefix + "changes");

    /// <summary>The channel a warehouse registration is announced on: replicas' availability views read the markets again.</summary>
    public RedisChannel WarehousesChannel => RedisChannel.Literal(_prefix + "warehouses");

    /// <summary>
    /// The highest revision this process has answered with, from a write or a read of Redis: an answer
    /// from memory must hold at least this much, so a caller never sees its own write missing or a
    /// revision go back on one connection.
    /// </summary>
    public long Floor => Volatile.Read(ref _floor);

    /// <summary>After Redis went back to an older history: the floor starts again from what it holds now.</summary>
    public void ResetFloor() => Volatile.Write(ref _floor, 0);

    private long Saw(long revision)
    {
        var floor = Volatile.Read(ref _floor);
        while (revision > floor)
        {
            var seen = Interlocked.CompareExchange(ref _floor, revision, floor);
            if (seen == floor)
            {
                break;
            }
            floor = seen;
        }
        return revision;
    }

    public async Task RegisterWarehouseAsync(Warehouse warehouse)
    {
        await Run(LedgerScripts.RegisterWarehouse,
            warehouse.WarehouseId, warehouse.Region, string.Join(',', warehouse.Markets.Distinct().Order(StringComparer.Ordinal)), warehouse.AllocationDelayMs);
        await Db.PublishAsync(WarehousesChannel, warehouse.WarehouseId);
    }

    public async Task<IReadOnlyList<Warehouse>> ListWarehousesAsync()
    {
        var flat = (RedisResult[])(await Run(LedgerScripts.ListWarehouses))!;
        var warehouses = new List<Warehouse>(flat.Length / 2);
        for (var i = 0; i < flat.Length; i += 2)
        {
            var parts = ((string)flat[i + 1]!).Split('\t');
            var warehouse = new Warehouse
            {
                WarehouseId = (string)flat[i]!,
                Region = parts[0],
                AllocationDelayMs = long.Parse(parts[2], CultureInfo.InvariantCulture),
            };
            warehouse.Markets.AddRange(parts[1].Split(',', StringSplitOptions.RemoveEmptyEntries));
            warehouses.Add(warehouse);
        }
        return [.. warehouses.OrderBy(w => w.WarehouseId, StringComparer.Ordinal)];
    }

    /// <summary>
    /// Applies a validated batch atomically: every event gets its outcome, or nothing is applied because
    /// a warehouse is unknown (<see cref="AppliedBatch.UnknownWarehouseAt"/>) or the fence has seen a newer
    /// term (<see cref="AppliedBatch.FencedBy"/>).
    /// </summary>
    public async Task<AppliedBatch> ApplyAsync(IReadOnlyList<StockEvent> events, WriterFence? fence)
    {
        var args = new List<RedisValue>(7 + events.Count * 12) { _options.ChangeLogMaxLength, RetentionMs, ReservationRetentionMs, fence?.Name ?? "", fence?.Term ?? 0, events.Count };
        foreach (var e in events)
        {
            var isSnapshot = e.KindCase == StockEvent.KindOneofCase.Snapshot;
            var q = isSnapshot ? e.Snapshot.Quantities : e.Delta.Change;
            args.Add(isSnapshot ? "S" : "D");
            args.Add(e.WarehouseId);
            args.Add(e.Sku);
            args.Add(e.SourceTime.ToDateTimeOffset().ToUnixTimeMilliseconds());
            args.Add(isSnapshot ? e.Snapshot.SourceVersion : e.Delta.SourceVersion);
            args.Add(q.OnHand);
            args.Add(q.Available);
            args.Add(q.Reserved);
            args.Add(q.Inbound);
            args.Add(q.Unsellable);
            args.Add(isSnapshot ? "" : e.Delta.EventId);
            args.Add(e.SourceTimeEstimated ? 1 : 0);
        }
        var reply = (RedisResult[])(await Run(LedgerScripts.ApplyEvents, [.. args]))!;
        switch ((long)reply[0])
        {
            case -1:
                return new AppliedBatch(new ApplyStockEventsResponse(), [], UnknownWarehouseAt: (int)(long)reply[1]);
            case -2:
                return new AppliedBatch(new ApplyStockEventsResponse(), [], FencedBy: (long)reply[1]);
        }
        var response = new ApplyStockEventsResponse { Revision = Saw((long)reply[0]) };
        var superseded = new List<int>();
        for (var i = 1; i < reply.Length; i += 2)
        {
            var code = (int)(long)reply[i];
            if (code == SupersededDelta)
            {
                superseded.Add(response.Results.Count);
            }
            var outcome = code == SupersededDelta ? EventOutcome.Stale : (EventOutcome)code;
            response.Results.Add(outcome == EventOutcome.Applied
                ? new EventResult { Outcome = outcome, Revision = (long)reply[i + 1] }
                : new EventResult { Outcome = outcome, Reason = (string)reply[i + 1]! });
        }
        return new AppliedBatch(response, superseded);
    }

    /// <summary>The script's own outcome code for a delta older than the last snapshot: STALE to callers, counted apart.</summary>
    private const int SupersededDelta = 5;

    public async Task<(long Revision, StockRecord?[] Records)> ReadRecordsAsync(IReadOnlyList<StockKey> keys)
    {
        var args = new List<RedisValue>(1 + keys.Count * 2) { keys.Count };
        foreach (var key in keys)
        {
            args.Add(key.WarehouseId);
            args.Add(key.Sku);
        }
        var reply = (RedisResult[])(await Run(LedgerScripts.ReadRecords, [.. args]))!;
        var records = new StockRecord?[keys.Count];
        for (var i = 0; i < keys.Count; i++)
        {
            records[i] = ParseRecord(keys[i].Sku, keys[i].WarehouseId, (RedisResult[])reply[i + 1]!);
        }
        return (Saw((long)reply[0]), records);
    }

    public async Task<(long Revision, IReadOnlyList<StockRecord> Records)> AvailabilityAsync(string sku, string market)
    {
        var reply = (RedisResult[])(await Run(LedgerScripts.Availability, sku, market))!;
        var records = new List<StockRecord>((reply.Length - 1) / 2);
        for (var i = 1; i < reply.Length; i += 2)
        {
            records.Add(ParseRecord(sku, (string)reply[i]!, (RedisResult[])reply[i + 1]!)!);
        }
        return (Saw((long)reply[0]), records);
    }

    /// <summary>One page, by SKU prefix or by warehouse, after the given index member (exclusive).</summary>
    public async Task<(long Revision, IReadOnlyList<StockRecord> Records)> ListAsync(bool byWarehouse, string key, string after, int limit)
    {
        var reply = (RedisResult[])(await Run(LedgerScripts.ListRecords, byWarehouse ? "wh" : "sku", key, after, limit))!;
        var records = new List<StockRecord>((reply.Length - 1) / 3);
        for (var i = 1; i < reply.Length; i += 3)
        {
            var record = ParseRecord((string)reply[i]!, (string)reply[i + 1]!, (RedisResult[])reply[i + 2]!);
            if (record is not null)
            {
                records.Add(record);
            }
        }
        return (Saw((long)reply[0]), records);
    }

    public async Task<ReservationResult> ReserveAsync(string orderId, string sku, string market, long quantity, long holdMs)
        => ParseReservation(orderId, await Run(LedgerScripts.Reserve, _options.ChangeLogMaxLength, ReservationRetentionMs, orderId, sku, market, quantity, holdMs));

    public async Task<ReservationResult> ReleaseAsync(string orderId)
        => ParseReservation(orderId, await Run(LedgerScripts.Release, _options.ChangeLogMaxLength, ReservationRetentionMs, orderId));

    public async Task<ReservationResult> CommitAsync(string orderId)
        => ParseReservation(orderId, await Run(LedgerScripts.Commit, _options.ChangeLogMaxLength, ReservationRetentionMs, _options.DefaultAllocationDelayMs, orderId));

    public async Task<ReservationResult> GetReservationAsync(string orderId)
        => ParseReservation(orderId, await Run(LedgerScripts.GetReservation, orderId));

    /// <summary>Expires held reservations whose time has come; returns how many were due.</summary>
    public async Task<int> ExpireHoldsAsync(int limit)
        => (int)(long)(await Run(LedgerScripts.ExpireHolds, _options.ChangeLogMaxLength, ReservationRetentionMs, limit));

    public async Task<long> CurrentRevisionAsync()
    {
        var value = await Db.StringGetAsync(RevisionKey);
        return value.IsNull ? 0 : (long)value;
    }

    /// <summary>The name of the change log's history: made on first use, replaced by <see cref="NewHistoryAsync"/>.</summary>
    public async Task<string> HistoryAsync()
    {
        // One round trip: SET NX GET answers the id already there, or nothing when this one was set.
        var made = NewHistoryId();
        return (string?)await Db.StringSetAndGetAsync(HistoryKey, made, expiry: null, when: When.NotExists) ?? made;
    }

    /// <summary>Starts a new history: the log was found behind what was served, so revisions from the old one may name other changes.</summary>
    public Task NewHistoryAsync() => Db.StringSetAsync(HistoryKey, NewHistoryId());

    private static string NewHistoryId() => Guid.NewGuid().ToString("N");

    /// <summary>The oldest revision still in the change log, or the next one to be written when it is empty.</summary>
    public async Task<long> OldestRevisionAsync()
    {
        var first = await Db.StreamRangeAsync(LogKey, "-", "+", count: 1);
        return first.Length > 0 ? FirstRevisionOf(first[0]) : await CurrentRevisionAsync() + 1;
    }

    /// <summary>
    /// Changes from the log starting at <paramref name="fromRevision"/>, in order, read a few log
    /// entries at a time (an entry holds the changes of one script: one batch or one reservation).
    /// Empty when there is nothing newer; the first change is later than asked when the log was compacted.
    /// </summary>
    public async Task<List<StockChange>> ReadChangesAsync(long fromRevision, int maxEntries)
    {
        // An entry's id is its last revision, so the first entry returned holds fromRevision if it still exists.
        var entries = await Db.StreamRangeAsync(LogKey, $"{fromRevision}-0", "+", maxEntries);
        var changes = new List<StockChange>();
        foreach (var entry in entries)
        {
            ParseEntry(entry, fromRevision, changes);
        }
        return changes;
    }

    private async Task<RedisResult> Run(LuaSource script, params RedisValue[] args)
    {
        var values = new RedisValue[args.Length + 2];
        values[0] = _prefix;
        values[1] = clock.GetUtcNow().ToUnixTimeMilliseconds();
        Array.Copy(args, 0, values, 2, args.Length);
        try
        {
            return await Db.ScriptEvaluateAsync(script.Sha1, [RevisionKey], values);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            // First use on this node (or after a restart/failover): send the text once, Redis caches it.
            return await Db.ScriptEvaluateAsync(script.Text, [RevisionKey], values);
        }
    }

    private static StockRecord? ParseRecord(string sku, string warehouseId, RedisResult[] fields)
    {
        if (fields[9].IsNull)
        {
            return null;
        }
        long F(int i) => (long)fields[i];
        // Records written before the estimated-time flag have no "se": their times are the warehouse's.
        return BuildRecord(sku, warehouseId, F(0), F(1), F(2), F(3), F(4), F(5), F(6), F(7), F(8), F(9), fields.Length > 10 && !fields[10].IsNull && (long)fields[10] == 1);
    }

    private static StockRecord BuildRecord(string sku, string warehouseId, long onHand, long available, long reserved, long inbound, long unsellable,
        long sourceMs, long sourceVersion, long held, long committed, long revision, bool estimated) => new()
    {
        Sku = sku,
        WarehouseId = warehouseId,
        Quantities = new Quantities { OnHand = onHand, Available = available, Reserved = reserved, Inbound = inbound, Unsellable = unsellable },
        SourceTime = Timestamp.FromDateTimeOffset(DateTimeOffset.FromUnixTimeMilliseconds(sourceMs)),
        SourceVersion = sourceVersion,
        Held = held,
        Committed = committed,
        AvailableToPromise = Math.Max(0, available - held - committed),
        ModRevision = revision,
        SourceTimeEstimated = estimated,
    };

    private static ChangeCause CauseOf(ReadOnlySpan<char> code) => code switch
    {
        "S" => ChangeCause.Snapshot,
        "D" => ChangeCause.Delta,
        "R" => ChangeCause.Reserved,
        "L" => ChangeCause.Released,
        "E" => ChangeCause.Expired,
        "C" => ChangeCause.Committed,
        _ => ChangeCause.Unspecified,
    };

    /// <summary>
    /// An entry's first revision. Entries written before one entry per script (pre-release builds;
    /// a local Redis may still hold some) have no numeric "f": their id is their revision.
    /// </summary>
    private static long FirstRevisionOf(StreamEntry entry)
        => entry["f"].TryParse(out long first) ? first : long.Parse(entry.Id.ToString().AsSpan(0, entry.Id.ToString().IndexOf('-')), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Adds the entry's changes from <paramref name="fromRevision"/> on. The line layout is fixed by append() in LedgerScripts.
    /// A line that does not parse becomes a <see cref="IsMalformed">malformed</see> placeholder holding its revision and the
    /// entry's id, so revisions stay contiguous and the readers skip it instead of stopping.
    /// </summary>
    internal static void ParseEntry(StreamEntry entry, long fromRevision, List<StockChange> into)
    {
        if (!entry["f"].TryParse(out long _))
        {
            return; // a pre-release entry (see FirstRevisionOf): nothing this build can read
        }
        var revision = FirstRevisionOf(entry);
        var text = ((string?)entry["c"] ?? "").AsSpan();
        Span<Range> parts = stackalloc Range[15];
        foreach (var line in text.Split('\n'))
        {
            if (revision >= fromRevision)
            {
                into.Add(TryParseLine(revision, text[line], parts) ?? new StockChange { Revision = revision, Reference = entry.Id.ToString() });
            }
            revision++;
        }
    }

    /// <summary>A placeholder for a change log line that did not parse (no record; the reference is the log entry's id).</summary>
    public static bool IsMalformed(StockChange change) => change.Record is null;

    private static StockChange? TryParseLine(long revision, ReadOnlySpan<char> line, Span<Range> parts)
    {
        try
        {
            return ParseLine(revision, line, parts);
        }
        catch (Exception ex) when (ex is FormatException or OverflowException)
        {
            return null;
        }
    }

    private static StockChange ParseLine(long revision, ReadOnlySpan<char> line, Span<Range> parts)
    {
        // 14 fields; 13 in lines written before the estimated-time flag.
        var count = line.Split(parts, '\t');
        if (count is not (13 or 14))
        {
            throw new FormatException($"change log line for revision {revision} is malformed");
        }
        long F(ReadOnlySpan<char> l, Range r) => long.Parse(l[r], CultureInfo.InvariantCulture);
        var record = BuildRecord(line[parts[1]].ToString(), line[parts[2]].ToString(),
            F(line, parts[4]), F(line, parts[5]), F(line, parts[6]), F(line, parts[7]), F(line, parts[8]),
            F(line, parts[9]), F(line, parts[10]), F(line, parts[11]), F(line, parts[12]), revision, count == 14 && line[parts[13]] is "1");
        return new StockChange
        {
            Revision = revision,
            Cause = CauseOf(line[parts[0]]),
            Record = record,
            Reference = line[parts[3]].ToString(),
        };
    }

    private ReservationResult ParseReservation(string orderId, RedisResult reply)
    {
        var parts = (RedisResult[])reply!;
        var code = (string)parts[0]!;
        if (code == "SHORT")
        {
            return new ReservationResult(code, null, (long)parts[1], (long)parts[2]);
        }
        if (parts.Length == 1)
        {
            return new ReservationResult(code, null, 0, 0);
        }
        long Ms(int i) => (long)parts[i];
        var reservation = new Reservation
        {
            OrderId = orderId,
            Sku = (string)parts[1]!,
            Market = (string)parts[2]!,
            WarehouseId = (string)parts[3]!,
            Quantity = (long)parts[4],
            Status = (ReservationStatus)(int)(long)parts[5],
            CreatedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.FromUnixTimeMilliseconds(Ms(6))),
            Revision = Saw((long)parts[9]),
        };
        if (reservation.Status == ReservationStatus.Held)
        {
            reservation.ExpiresAt = Timestamp.FromDateTimeOffset(DateTimeOffset.FromUnixTimeMilliseconds(Ms(7)));
        }
        if (Ms(8) > 0)
        {
            reservation.CommittedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.FromUnixTimeMilliseconds(Ms(8)));
        }
        return new ReservationResult(code, reservation, 0, 0);
    }
}

/// <summary>What became of a batch: the response, and which of its events were deltas the last snapshot already includes.</summary>
public sealed record AppliedBatch(ApplyStockEventsResponse Response, IReadOnlyList<int> SupersededDeltas, int? UnknownWarehouseAt = null, long? FencedBy = null);

/// <summary>A reservation script's answer: its code, the reservation when there is one, and the stock figures for SHORT.</summary>
public sealed record ReservationResult(string Code, Reservation? Reservation, long MarketAvailable, long LargestWarehouseAvailable);
