using System.Runtime.CompilerServices;
using Google.Protobuf;
using Stockcast.ServiceDefaults.Errors;
using StackExchange.Redis;

namespace Stockcast.ServiceDefaults.Redis;

/// <summary>
/// An append-only log of protobuf messages in one Redis stream, newest kept up to a bound, that any
/// replica appends to and any replica reads: its ids are the resume tokens clients hold. A pub/sub
/// message on append wakes readers at once (they still poll, in case one is missed). An entry that
/// does not parse is skipped by every reader, counted under <paramref name="name"/> and logged with its
/// id (<see cref="MalformedEntries"/>): it never stops a reader.
/// </summary>
/// <param name="name">The stream's fixed name ("signals", "feed-events"…), the label of its malformed-entry count.</param>
public sealed class MessageStream<T>(IConnectionMultiplexer redis, MalformedEntries malformed, string name, string key, int retention, MessageParser<T> parser)
    where T : class, IMessage<T>
{
    /// <summary>The entry field holding the message (for scripts that append in one step with other writes).</summary>
    public const string Field = "m";
    private readonly RedisKey _key = key;
    private readonly RedisChannel _appended = RedisChannel.Literal(key);
    private readonly Lock _gate = new();
    private TaskCompletionSource _next = NewSignal();
    private Task? _subscribed;

    private IDatabase Db => redis.GetDatabase();

    public RedisKey Key => _key;

    public int Retention => retention;

    /// <summary>Appends a message; returns its id.</summary>
    public async Task<string> AppendAsync(T message)
    {
        var id = (await Db.StreamAddAsync(_key, Field, message.ToByteArray(), maxLength: retention, useApproximateMaxLength: true)).ToString();
        await NotifyAsync(id);
        return id;
    }

    /// <summary>Wakes readers after an append made some other way (inside a script, say).</summary>
    public Task NotifyAsync(string id) => Db.PublishAsync(_appended, id);

    /// <summary>The id of the newest message ("0-0" when none): where a reader starting "from now" begins.</summary>
    public async Task<string> LastIdAsync()
    {
        var last = await Db.StreamRangeAsync(_key, "-", "+", count: 1, messageOrder: Order.Descending);
        return last.Length == 0 ? "0-0" : last[0].Id.ToString();
    }

    /// <summary>The oldest id still kept, or null when none is.</summary>
    public async Task<string?> OldestIdAsync()
    {
        var first = await Db.StreamRangeAsync(_key, "-", "+", count: 1);
        return first.Length == 0 ? null : first[0].Id.ToString();
    }

    /// <summary>The oldest id kept, when it is past <paramref name="afterId"/>: what followed that id may have been trimmed.</summary>
    public async Task<string?> TrimmedAfterAsync(string afterId)
        => afterId != "0-0" && Parse(afterId) is { } after && await OldestIdAsync() is { } oldest && Parse(oldest)!.Value.CompareTo(after) > 0 ? oldest : null;

    /// <summary>
    /// Up to <paramref name="count"/> entries after <paramref name="afterId"/> (exclusive), oldest first:
    /// the messages with their ids, malformed ones left out, and the id of the last entry read (where the
    /// next read starts, past any left out).
    /// </summary>
    private async Task<(List<(string Id, T Message)> Messages, string LastId, int Read)> ReadAfterAsync(string afterId, int count)
    {
        var entries = await Db.StreamRangeAsync(_key, "(" + afterId, "+", count);
        var messages = new List<(string Id, T Message)>(entries.Length);
        foreach (var entry in entries)
        {
            var id = entry.Id.ToString();
            if (malformed.Parse(name, id, entry[Field], parser) is { } message)
            {
                messages.Add((id, message));
            }
        }
        return (messages, entries.Length == 0 ? afterId : entries[^1].Id.ToString(), entries.Length);
    }

    /// <summary>Completes when the next message is appended (by any replica). Take it before reading, so none is missed.</summary>
    public async Task<Task> NextAppendAsync()
    {
        Task subscribed;
        lock (_gate)
        {
            // Once subscribed, the multiplexer re-subscribes by itself after a reconnect; a subscription
            // that failed (Redis away) is asked for again by the next reader, never kept.
            if (_subscribed is null || _subscribed.IsFaulted || _subscribed.IsCanceled)
            {
                _subscribed = redis.GetSubscriber().SubscribeAsync(_appended, (_, _) => Interlocked.Exchange(ref _next, NewSignal()).TrySetResult());
            }
            subscribed = _subscribed;
        }
        await subscribed;
        return Volatile.Read(ref _next).Task;
    }

    /// <summary>
    /// Messages after <paramref name="afterId"/>, then new ones as they are appended, until cancelled.
    /// <paramref name="answered"/> is called after every read Redis answered, new messages or not: a
    /// follower's sign that its stream is live.
    /// </summary>
    public async IAsyncEnumerable<(string Id, T Message)> FollowAsync(string afterId, [EnumeratorCancellation] CancellationToken cancellationToken, Action? answered = null)
    {
        const int PerRead = 100;
        while (!cancellationToken.IsCancellationRequested)
        {
            var appended = await NextAppendAsync();
            var (messages, lastId, read) = await ReadAfterAsync(afterId, PerRead);
            answered?.Invoke();
            foreach (var entry in messages)
            {
                yield return entry;
            }
            afterId = lastId;
            if (read < PerRead)
            {
                // The poll covers a missed pub/sub message (a reconnect to Redis, say).
                await Task.WhenAny(appended, Task.Delay(TimeSpan.FromSeconds(1), cancellationToken));
            }
        }
    }

    /// <summary>
    /// Where a client's resume token leads: "" = after the newest, "0" = from the oldest kept, else
    /// after that id. A malformed token is INVALID_ARGUMENT naming <paramref name="field"/>; one older
    /// than the oldest kept is FAILED_PRECONDITION — what followed it may have been trimmed, and
    /// resuming would skip it silently.
    /// </summary>
    public async Task<string> ResumePointAsync(string token, string field)
    {
        if (token.Length == 0)
        {
            return await LastIdAsync();
        }
        if (token == "0")
        {
            return "0-0";
        }
        if (Parse(token) is null)
        {
            throw new InvalidFieldException(field, "must be empty, \"0\" or an id such as 1764090000000-0");
        }
        if (await TrimmedAfterAsync(token) is { } oldest)
        {
            throw new PreconditionFailedException(
                $"trimmed: what followed {token} is no longer kept (oldest: {oldest}); start again from \"0\"",
                "TRIMMED",
                new Dictionary<string, string> { ["oldest-id"] = oldest });
        }
        return token;
    }

    private static (ulong, ulong)? Parse(string id)
    {
        var dash = id.IndexOf('-', StringComparison.Ordinal);
        return dash > 0 && ulong.TryParse(id.AsSpan(0, dash), out var ms) && ulong.TryParse(id.AsSpan(dash + 1), out var seq) ? (ms, seq) : null;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
