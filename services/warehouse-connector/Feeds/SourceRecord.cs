using System.Text.Json;
using Stockcast.Ledger.V1;

namespace Stockcast.Connector.Feeds;

/// <summary>
/// One record as a source sent it, and what reading it needs besides itself: when it was received,
/// and the time to fall back on when it carries none usable (a polled API's Date header, else the
/// receipt). A dead letter keeps all of it, so a replay reads the record as the first time, with the
/// feed's settings of the moment.
/// </summary>
public sealed record SourceRecord(JsonElement Payload, DateTimeOffset ReceivedAt, DateTimeOffset FallbackTime)
{
    /// <summary>Where it came from, when the source can say (a file and its line): kept with its dead letter.</summary>
    public string Origin { get; init; } = "";

    /// <summary>1 for a new record; for a replayed dead letter, the attempt this is.</summary>
    public int Attempt { get; init; } = 1;

    /// <summary>A record with no better fallback time than its receipt (pushes, webhooks, files).</summary>
    public static SourceRecord Received(JsonElement payload, DateTimeOffset at) => new(payload, at, at);
}

/// <summary>How a record's source time was settled.</summary>
public enum SourceTimeKind
{
    /// <summary>The source's own time.</summary>
    Given,

    /// <summary>None usable (missing, empty, unparseable, before 2000): the fallback time, marked estimated.</summary>
    Estimated,

    /// <summary>Further ahead than the allowed clock skew: the receipt time, marked estimated.</summary>
    Clamped,
}

/// <summary>
/// What reading one source record gave: the ledger event, or the reason there is none. <paramref name="Format"/>
/// says how the payload is read (a replay reads it the same way); <paramref name="Identity"/> is what
/// the record is about (their SKU, event id), so the same problem seen again is one dead letter.
/// </summary>
public sealed record NormalisedRecord(SourceRecord Source, string Format, string Identity, StockEvent? Event, string? Reason)
{
    public SourceTimeKind Time { get; init; }

    /// <summary>A negative available figure the source means as a backorder, applied as zero available.</summary>
    public bool Backorder { get; init; }

    public static NormalisedRecord Refused(SourceRecord source, string format, string identity, string reason) => new(source, format, identity, null, reason);
}

/// <summary>One way of reading source records into ledger events: the canonical JSON, or an adapter's own payloads.</summary>
public interface IRecordReader
{
    /// <summary>The payload format it reads ("canonical", "shipbob", …), kept with each dead letter.</summary>
    string Format { get; }

    /// <summary>Reads one record with the feed's current settings (SKU map, units); never throws for bad input.</summary>
    NormalisedRecord Read(SourceRecord record, FeedOptions feed);
}

/// <summary>Every reader the connector has, by format: how a dead letter is read again.</summary>
public sealed class RecordReaders(IEnumerable<IRecordReader> readers)
{
    private readonly Dictionary<string, IRecordReader> _byFormat = readers.ToDictionary(r => r.Format, StringComparer.Ordinal);

    public IRecordReader? Find(string format) => _byFormat.GetValueOrDefault(format);
}
