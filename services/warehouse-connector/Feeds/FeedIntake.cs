using System.Text.Json;
using Grpc.Core;
using Stockcast.Connector.DeadLetters;
using Stockcast.Connector.Delivery;
using Stockcast.Connector.Events;
using Stockcast.Connector.V1;
using Stockcast.Ledger.V1;
using Stockcast.LedgerClient;

namespace Stockcast.Connector.Feeds;

/// <summary>
/// What became of one intake: every record is exactly one of applied, unchanged, duplicate, stale
/// or dead-lettered (the refused ones, with their reasons).
/// </summary>
public sealed record IntakeResult(int Received, int Applied, int Duplicate, int Stale, int Unchanged, IReadOnlyList<RefusedRecord> DeadLettered)
{
    /// <summary>Records the ledger already held: duplicates, older versions and snapshots that change nothing.</summary>
    public int AlreadyHeld => Duplicate + Stale + Unchanged;
}

public sealed record RefusedRecord(int Index, string DeadLetterId, string Reason);

/// <summary>
/// The path every record takes, record by record: read it (an adapter's reader), refuse what is
/// malformed or what the ledger's rules would refuse (a dead letter, never applied), resolve event
/// ids given twice in the batch (the last wins), read the ledger's figures before, leave out
/// snapshots that change nothing, deliver the rest (the sink sets aside what the ledger still
/// refuses), dead-letter what the ledger rejects, flag what the applied figures do not explain
/// (anomaly events), tally drift on a reconciling read, record the feed's status and health.
/// </summary>
public sealed class FeedIntake(
    ConnectorMetrics metrics,
    CanonicalRecords canonical,
    StockEventRules rules,
    LedgerSink ledger,
    DeadLetterStore deadLetters,
    FeedStatusStore status,
    FeedEventStore feedEvents,
    TimeProvider clock,
    ILogger<FeedIntake> log)
{
    /// <summary>Canonical JSON records received now (the push API, webhooks).</summary>
    public Task<IntakeResult> AcceptAsync(FeedOptions feed, IReadOnlyList<JsonElement> input, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        return AcceptAsync(feed, [.. input.Select(r => canonical.Read(SourceRecord.Received(r, now), feed))], cancellationToken);
    }

    /// <summary>A batch of a polled read, read by the adapter's reader (a reconciling read tallies its drift).</summary>
    public Task<IntakeResult> AcceptAsync(FeedRead read, IRecordReader reader, IReadOnlyList<SourceRecord> input, CancellationToken cancellationToken)
        => AcceptAsync(read.Feed, [.. input.Select(r => reader.Read(r, read.Feed))], cancellationToken, read);

    /// <summary>Records already read (webhooks that refuse some themselves, replayed dead letters).</summary>
    public async Task<IntakeResult> AcceptAsync(FeedOptions feed, IReadOnlyList<NormalisedRecord> records, CancellationToken cancellationToken, FeedRead? read = null)
    {
        var batch = new IntakeBatch(records, rules);
        var superseded = batch.ResolveRepeatedEventIds();
        var refused = new List<(int Index, string Reason)>(batch.Refused);
        int applied = 0, duplicate = superseded, stale = 0, unchanged = 0;
        var anomalies = new List<FeedEvent>();
        if (batch.Pending.Count > 0)
        {
            EventResult[] results;
            Dictionary<string, StockRecord> current;
            IReadOnlyList<int> sent;
            try
            {
                current = await ledger.ReadAsync(feed.WarehouseId, batch.Pending.Select(i => records[i].Event!.Sku), cancellationToken);
                unchanged = batch.SetAsideUnchanged(current);
                sent = batch.Pending;
                results = sent.Count == 0 ? [] : await ledger.DeliverAsync(feed.WarehouseId, [.. sent.Select(i => records[i].Event!)], read?.Fence, cancellationToken);
            }
            catch (RpcException ex)
            {
                // Nothing of this batch is acknowledged, not even its dead letters: the caller sends it again.
                await status.RecordAsync(feed, $"ledger: {ex.Status.StatusCode} {ex.Status.Detail}");
                throw;
            }
            var now = clock.GetUtcNow();
            for (var j = 0; j < sent.Count; j++)
            {
                var e = records[sent[j]].Event!;
                switch (results[j].Outcome)
                {
                    case EventOutcome.Applied:
                        applied++;
                        metrics.SyncLagSeconds.WithLabels(feed.WarehouseId).Observe(Math.Max(0, (now - e.SourceTime.ToDateTimeOffset()).TotalSeconds));
                        if (Follow(feed, e, current, read) is { } anomaly)
                        {
                            anomalies.Add(anomaly);
                        }
                        break;
                    case EventOutcome.Duplicate:
                        duplicate++;
                        break;
                    case EventOutcome.Stale:
                        stale++;
                        break;
                    default:
                        // REJECTED: the ledger refused it as malformed (LedgerSink says so in the reason).
                        refused.Add((sent[j], results[j].Reason));
                        break;
                }
            }
        }
        foreach (var e in records.Select(r => r.Event).OfType<StockEvent>())
        {
            read?.SeenSkus.Add(e.Sku);
        }

        refused.Sort((a, b) => a.Index.CompareTo(b.Index));
        var letters = new List<RefusedRecord>(refused.Count);
        foreach (var (index, reason) in refused)
        {
            letters.Add(await DeadLetterAsync(feed, index, records[index], reason));
        }
        var refusedAt = refused.Select(r => r.Index).ToHashSet();
        var kept = records.Where((r, i) => r.Event is not null && !refusedAt.Contains(i)).ToList();
        var estimated = kept.Count(r => r.Time != SourceTimeKind.Given);
        await RecordStatusAsync(feed, records.Count, applied, letters, estimated, unchanged, duplicate, kept);
        metrics.Records.WithLabels(feed.WarehouseId, "received").Inc(records.Count);
        metrics.Records.WithLabels(feed.WarehouseId, "applied").Inc(applied);
        metrics.Records.WithLabels(feed.WarehouseId, "unchanged").Inc(unchanged);
        metrics.Records.WithLabels(feed.WarehouseId, "duplicate").Inc(duplicate);
        metrics.Records.WithLabels(feed.WarehouseId, "stale").Inc(stale);
        metrics.Records.WithLabels(feed.WarehouseId, "dead_lettered").Inc(letters.Count);
        metrics.SupersededEvents.WithLabels(feed.WarehouseId).Inc(superseded);
        metrics.EstimatedTimeRecords.WithLabels(feed.WarehouseId).Inc(estimated);
        metrics.ClampedTimeRecords.WithLabels(feed.WarehouseId).Inc(kept.Count(r => r.Time == SourceTimeKind.Clamped));
        metrics.Backorders.WithLabels(feed.WarehouseId).Inc(kept.Count(r => r.Backorder));
        metrics.DeadLetters.WithLabels(feed.WarehouseId).Set(await deadLetters.CountAsync(feed.WarehouseId));
        foreach (var anomaly in anomalies)
        {
            await feedEvents.AppendAsync(anomaly);
        }
        return new IntakeResult(records.Count, applied, duplicate, stale, unchanged, letters);
    }

    /// <summary>
    /// Counts the intake in the feed's status. Records received and every one refused is a failure
    /// of the feed (its last error says why), not a success that would keep it looking fresh.
    /// </summary>
    private async Task RecordStatusAsync(FeedOptions feed, int received, int applied, List<RefusedRecord> letters, int estimated, int unchanged, int duplicate, List<NormalisedRecord> kept)
    {
        var newest = kept.Count == 0 ? (DateTimeOffset?)null : kept.Max(r => r.Event!.SourceTime.ToDateTimeOffset());
        var lastLetter = letters.Count == 0 ? null : new DeadLetterNote(letters[^1].DeadLetterId, letters[^1].Reason);
        var error = received > 0 && letters.Count == received ? $"all {received} records dead-lettered, e.g. {lastLetter!.Id}: {lastLetter.Reason}" : null;
        await status.RecordAsync(feed, new FeedTally(received, applied, letters.Count, estimated, unchanged, duplicate), newest, error, lastLetter);
    }

    /// <summary>
    /// Moves the SKU's figures in <paramref name="current"/> on by an applied event (a batch may
    /// change one SKU several times), tallies drift on a reconciling read, and checks the change.
    /// </summary>
    private static FeedEvent? Follow(FeedOptions feed, StockEvent applied, Dictionary<string, StockRecord> current, FeedRead? read)
    {
        var before = current.GetValueOrDefault(applied.Sku);
        var after = before?.Clone() ?? new StockRecord { Sku = applied.Sku, WarehouseId = feed.WarehouseId, Quantities = new Quantities() };
        if (applied.Snapshot is { } snapshot)
        {
            after.Quantities = snapshot.Quantities.Clone();
            if (read is { Reconciles: true } && before is not null
                && (before.Quantities.OnHand != snapshot.Quantities.OnHand || before.Quantities.Available != snapshot.Quantities.Available))
            {
                read.Drifted.Add((applied.Sku, before.Quantities.OnHand, snapshot.Quantities.OnHand));
            }
        }
        else
        {
            var change = applied.Delta.Change;
            after.Quantities.OnHand += change.OnHand;
            after.Quantities.Available += change.Available;
            after.Quantities.Reserved += change.Reserved;
            after.Quantities.Inbound += change.Inbound;
            after.Quantities.Unsellable += change.Unsellable;
        }
        current[applied.Sku] = after;
        return AnomalyRules.Check(feed, before, after.Quantities.OnHand);
    }

    private async Task<RefusedRecord> DeadLetterAsync(FeedOptions feed, int index, NormalisedRecord record, string reason)
    {
        var letter = await deadLetters.AddAsync(feed.WarehouseId, feed.Source, record, reason);
        log.LogWarning("Record {Index} from {Warehouse} dead-lettered as {DeadLetter}: {Reason}", index, feed.WarehouseId, letter.Id, reason);
        return new RefusedRecord(index, letter.Id, reason);
    }
}
