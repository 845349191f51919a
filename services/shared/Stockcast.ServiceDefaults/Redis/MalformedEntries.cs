using System.Collections.Concurrent;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Prometheus;
using StackExchange.Redis;

namespace Stockcast.ServiceDefaults.Redis;

/// <summary>
/// The one way a value read from Redis that does not parse (an older or newer release, a hand edit,
/// a truncated write) is handled: skipped, counted in stockcast_malformed_entries_total{stream} and
/// logged with its entry id — once per entry, however many readers meet it or however often a
/// refresh re-reads it — so one bad entry never stops the loop that reads it.
/// </summary>
public sealed class MalformedEntries(IMetricFactory metrics, ILoggerFactory logs)
{
    // Remembered so an entry is counted once; a flood of bad entries must not grow this for ever.
    private const int MaxRemembered = 10_000;
    private readonly ConcurrentDictionary<(string Stream, string Id), byte> _reported = new();
    private readonly ILogger _log = logs.CreateLogger("Stockcast.Redis");

    private readonly Counter _total = metrics.CreateCounter(
        "stockcast_malformed_entries_total",
        "Entries in Redis streams and hashes that did not parse: skipped (never stopping the reader), counted once each and logged with their id.",
        ["stream"], new CounterConfiguration { SuppressInitialValue = true });

    /// <summary>
    /// The message in <paramref name="value"/>, or null when there is none — missing, not protobuf, or
    /// nothing this release knows (garbage can parse as unknown fields only; what a newer release
    /// added is left out) — and then it is counted and logged.
    /// </summary>
    /// <param name="stream">The fixed name of what is read ("signals", "rules"…): the metric's label.</param>
    /// <param name="id">The stream entry id or hash field, for the log.</param>
    public T? Parse<T>(string stream, string id, RedisValue value, MessageParser<T> parser) where T : class, IMessage<T>
    {
        string problem;
        if (value.IsNull)
        {
            problem = "it has no value";
        }
        else
        {
            try
            {
                var message = Known<T>.Parser(parser).ParseFrom((byte[])value!);
                if (!message.Equals(Known<T>.Empty(parser)))
                {
                    return message;
                }
                problem = "it holds no field this release knows";
            }
            catch (InvalidProtocolBufferException ex)
            {
                problem = ex.Message;
            }
        }
        Skipped(stream, id, problem);
        return null;
    }

    /// <summary>The hash's entries that parse, by field; the others skipped, counted and logged.</summary>
    public Dictionary<string, T> Readable<T>(string stream, HashEntry[] entries, MessageParser<T> parser) where T : class, IMessage<T>
    {
        var readable = new Dictionary<string, T>(entries.Length, StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (Parse(stream, entry.Name!, entry.Value, parser) is { } message)
            {
                readable[entry.Name!] = message;
            }
        }
        return readable;
    }

    /// <summary>The whole number in <paramref name="value"/>; null when missing, or when it is not one — then counted and logged.</summary>
    public long? Number(string stream, string id, RedisValue value)
    {
        if (value.IsNull)
        {
            return null;
        }
        if (value.TryParse(out long number))
        {
            return number;
        }
        Skipped(stream, id, "not a whole number");
        return null;
    }

    /// <summary>Counts and logs (once) an entry its reader found unusable for a reason of its own.</summary>
    public void Skipped(string stream, string id, string problem)
    {
        if (_reported.Count >= MaxRemembered)
        {
            _reported.Clear();
        }
        if (_reported.TryAdd((stream, id), 0))
        {
            _total.WithLabels(stream).Inc();
            _log.LogError("Skipped the entry {Id} of {Stream} in Redis: it does not parse ({Problem})", id, stream, problem);
        }
    }

    /// <summary>Per message type, made once: a parser that drops unknown fields, and the empty message.</summary>
    private static class Known<T> where T : class, IMessage<T>
    {
        private static MessageParser<T>? _parser;
        private static T? _empty;

        public static MessageParser<T> Parser(MessageParser<T> parser) => _parser ??= parser.WithDiscardUnknownFields(true);

        public static T Empty(MessageParser<T> parser) => _empty ??= parser.ParseFrom(ReadOnlySpan<byte>.Empty);
    }
}
