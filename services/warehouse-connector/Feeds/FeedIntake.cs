using System.Text.Json;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Stockcast.Connector.DeadLetters;
using Stockcast.Connector.Delivery;
using Stockcast.Connector.Events;
using Stockcast.Connector.V1;
using Stockcast.Ledger.V1;

namespace Stockcast.Connector.Feeds;

/// <summary>What became of one intake: counts, and the refused records with their reasons.</summary>
public sealed record IntakeResult(int Received, int Applied, int Duplicate, int Stale, IReadOnlyList<RefusedRecord> DeadLettered);

public sealed record RefusedRecord(int Index, string DeadLetterId, string Reason);

/// <summary>
/// The path every record takes: normalise, dead-letter what is malformed (never applied), read the
/// ledger's figures before, deliver the rest to the ledger as one batch, dead-letter what the ledger
/// rejects, flag what the applied figures do not explain (anomaly events), tally drift on a
/// reconciling read, record the feed's status.
/// </summary>
public sealed class FeedIntake(
    ConnectorMetrics metrics,
    CanonicalRecords records,
    LedgerSink ledger,
    DeadLetterStore deadLetters,
    FeedStatusStore status,
    FeedEventStore feedEvents,
    TimeProvider clock,
    ILogger<FeedIntake> log)
{
    /// <param name="attempt">1 for new records; a replayed dead letter's attempt number.</param>
    public Task<IntakeResult> AcceptAsync(FeedOptions feed, IReadOnlyList<JsonElement> input, CancellationToken cancellationToken, int attempt = 1)
        => AcceptAsync(feed, [.. input.Select(r => records.Read(r, feed))], cancellationToken, attempt);

    /// <summary>A batch of a polled read (a reconciling read tallies its drift).</summary>
    public Task<IntakeResult> AcceptAsync(FeedRead read, IReadOnlyList<JsonElement> input, CancellationToken cancellationToken)
        => AcceptAsync(read.Feed, [.. input.Select(r => records.Read(r, read.Feed))], cancellationToken, read: read);

    /// <summary>For adapters that refuse some records themselves (e.g. an unmapped item id) before the shared checks.</summary>
    public async Task<IntakeResult> AcceptAsync(FeedOptions feed, IReadOnlyList<NormalisedRecord> normalised, CancellationToken cancellationToken, int attempt = 1, FeedRead? read = null)
    {
        var malformed = new List<(int Index, NormalisedRecord Record)>();
        var events = new List<(int Index, NormalisedRecord Record)>();
        for (var i = 0; i < normalised.Count; i++)
        {
            (normalised[i].Event is null ? malformed : events).Add((i, normalised[i]));
        }

        var refused = new List<RefusedRecord>();
        int applied = 0, duplicate = 0, stale = 0;
        var anomalies = new List<FeedEvent>();
        if (events.Count > 0)
        {
            ApplyStockEventsResponse response;
            Dictionary<string, StockRecord> current;
            try
            {
                current = await ledger.ReadAsync(feed.WarehouseId, events.Select(e => e.Record.Event!.Sku), cancellationToken);
                response = await ledger.ApplyAsync(feed.WarehouseId, [.. events.Select(e => e.Record.Event!)], read?.Fence, cancellationToken);
            }
            catch (RpcException ex)
            {
                // Nothing of this batch is acknowledged, not even its dead letters: the caller sends it again.
                await status.RecordAsync(feed.WarehouseId, 0, 0, 0, null, $"ledger: {ex.Status.StatusCode} {ex.Status.Detail}");
                throw;
            }
            var now = clock.GetUtcNow();
            for (var i = 0; i < events.Count; i++)
            {
                var result = response.Results[i];
                read?.SeenSkus.Add(events[i].Record.Event!.Sku);
                switch (result.Outcome)
                {
                    case EventOutcome.Applied:
                        applied++;
                        metrics.SyncLagSeconds.WithLabels(feed.WarehouseId).Observe(Math.Max(0, (now - events[i].Record.Event!.SourceTime.ToDateTimeOffset()).TotalSeconds));
                        if (Follow(feed, events[i].Record.Event!, current, read) is { } anomaly)
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
                        refused.Add(await DeadLetterAsync(feed, events[i].Index, events[i].Record.Payload, $"ledger rejected: {result.Reason}", attempt));
                        break;
                }
            }
        }

        foreach (var (index, record) in malformed)
        {
            refused.Add(await DeadLetterAsync(feed, index, record.Payload, record.Reason!, attempt));
        }
        refused.Sort((a, b) => a.Index.CompareTo(b.Index));
        var newest = events.Count == 0 ? (DateTimeOffset?)null : events.Max(e => e.Record.Event!.SourceTime.ToDateTimeOffset());
        await status.RecordAsync(feed.WarehouseId, normalised.Count, applied, refused.Count, newest, null);
        metrics.Records.WithLabels(feed.WarehouseId, "received").Inc(normalised.Count);
        metrics.Records.WithLabels(feed.WarehouseId, "applied").Inc(applied);
        metrics.Records.WithLabels(feed.WarehouseId, "duplicate").Inc(duplicate);
        metrics.Records.WithLabels(feed.WarehouseId, "stale").Inc(stale);
        metrics.Records.WithLabels(feed.WarehouseId, "dead_lettered").Inc(refused.Count);
        metrics.LastSuccessTimestamp.WithLabels(feed.WarehouseId).Set(clock.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0);
        metrics.DeadLetters.WithLabels(feed.WarehouseId).Set(await deadLetters.CountAsync(feed.WarehouseId));
        foreach (var anomaly in anomalies)
        {
            await feedEvents.AppendAsync(anomaly);
        }
        return new IntakeResult(normalised.Count, applied, duplicate, stale, refused);
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

    private async Task<RefusedRecord> DeadLetterAsync(FeedOptions feed, int index, string payload, string reason, int attempt)
    {
        var letter = await deadLetters.AddAsync(feed.WarehouseId, feed.Source, payload, reason, attempt);
        log.LogWarning("Record {Index} from {Warehouse} dead-lettered as {DeadLetter}: {Reason}", index, feed.WarehouseId, letter.Id, reason);
        return new RefusedRecord(index, letter.Id, reason);
    }
}
