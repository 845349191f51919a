using System.Text;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;
using Stockcast.ServiceDefaults.Redis;
using Stockcast.Testing;
using StackExchange.Redis;

namespace Stockcast.ServiceDefaults.Tests;

/// <summary>
/// A garbage entry between two good ones, in a Redis stream read through <see cref="MessageStream{T}"/>
/// (alerting's notifications and signals, the connector's feed events) or in a hash read through
/// <see cref="MalformedEntries.Readable{T}"/> (rooms, rules, products, live streams, alerts): every
/// reader gets both good ones, and the entry is counted once, under its stream's name.
/// </summary>
public sealed class MalformedEntryTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly string _key = "{t" + Guid.NewGuid().ToString("N")[..12] + "}:stream";
    private ConnectionMultiplexer _connection = null!;
    private MalformedEntries _malformed = null!;

    public async Task InitializeAsync()
    {
        _connection = await ConnectionMultiplexer.ConnectAsync(redis.Configuration);
        _malformed = new MalformedEntries(Metrics.WithCustomRegistry(_registry), NullLoggerFactory.Instance);
    }

    public Task DisposeAsync()
    {
        _connection.Dispose();
        return Task.CompletedTask;
    }

    public static TheoryData<string> Garbage => [.. Garbled.Keys];

    /// <summary>What a hand edit, another release or a truncated write can leave in an entry.</summary>
    private static readonly Dictionary<string, NameValueEntry[]> Garbled = new()
    {
        ["no message field"] = [new("other", "x")],
        ["an empty message field"] = [new(MessageStream<StringValue>.Field, Array.Empty<byte>())],
        ["text, not protobuf"] = [new(MessageStream<StringValue>.Field, "{\"value\":\"json, not protobuf\"}")],
        ["bytes that are not UTF-8"] = [new(MessageStream<StringValue>.Field, new byte[] { 0xFF, 0xFE, 0xC3, 0x28, 0x80 })],
        ["a truncated message"] = [new(MessageStream<StringValue>.Field, new StringValue { Value = "cut short" }.ToByteArray()[..4])],
        // 1 MiB of 'x' parses as unknown field 15 over and over: a message with nothing this release knows.
        ["a huge value of unknown fields"] = [new(MessageStream<StringValue>.Field, Encoding.ASCII.GetBytes(new string('x', 1 << 20)))],
    };

    [Theory]
    [MemberData(nameof(Garbage))]
    public async Task EveryReaderOfAStreamGetsBothGoodEntriesAroundAGarbageOneWhichIsCountedOnce(string garbage)
    {
        var stream = new MessageStream<StringValue>(_connection, _malformed, "test-stream", _key, 100, StringValue.Parser);
        await stream.AppendAsync(new StringValue { Value = "before" });
        var bad = (await _connection.GetDatabase().StreamAddAsync(_key, Garbled[garbage])).ToString();
        await stream.AppendAsync(new StringValue { Value = "after" });

        // Two readers, as two Watch callers or two alert sinks would be.
        foreach (var _ in new[] { "first reader", "second reader" })
        {
            var read = await ReadAsync(stream, 2);
            Assert.Equal(["before", "after"], read.Select(m => m.Message.Value));
            Assert.DoesNotContain(bad, read.Select(m => m.Id));
        }
        Assert.Contains("stockcast_malformed_entries_total{stream=\"test-stream\"} 1\n", await ExportedAsync());
    }

    [Fact]
    public async Task AReaderWhoseWholeBatchIsGarbageReadsOnPastIt()
    {
        // More than one read's worth (100) of garbage: the reader must move past it, not re-read it for ever.
        var stream = new MessageStream<StringValue>(_connection, _malformed, "test-stream", _key, 1000, StringValue.Parser);
        var db = _connection.GetDatabase();
        for (var i = 0; i < 150; i++)
        {
            await db.StreamAddAsync(_key, MessageStream<StringValue>.Field, "garbage");
        }
        await stream.AppendAsync(new StringValue { Value = "after" });

        Assert.Equal(["after"], (await ReadAsync(stream, 1)).Select(m => m.Message.Value));
        Assert.Contains("stockcast_malformed_entries_total{stream=\"test-stream\"} 150\n", await ExportedAsync());
    }

    [Fact]
    public async Task AGarbageHashEntryIsLeftOutOfTheOthersAndCountedOnceHoweverOftenItIsReadAgain()
    {
        var db = _connection.GetDatabase();
        await db.HashSetAsync(_key, [
            new HashEntry("good-1", new StringValue { Value = "one" }.ToByteArray()),
            new HashEntry("bad", new byte[] { 0xFF, 0xFF, 0xFF }),
            new HashEntry("good-2", new StringValue { Value = "two" }.ToByteArray()),
        ]);

        for (var refresh = 0; refresh < 3; refresh++)
        {
            var readable = _malformed.Readable("test-hash", await db.HashGetAllAsync(_key), StringValue.Parser);
            Assert.Equal(["good-1:one", "good-2:two"], readable.Select(e => $"{e.Key}:{e.Value.Value}").Order());
        }
        Assert.Contains("stockcast_malformed_entries_total{stream=\"test-hash\"} 1\n", await ExportedAsync());
    }

    [Fact]
    public async Task AStoredFigureThatIsNotANumberReadsAsMissingAndIsCountedOnce()
    {
        // Cursors, feed status times, start stock, cool-downs: read as missing, the reader carries on.
        Assert.Equal([42L, null, null, null], new RedisValue[] { 42, RedisValue.Null, "forty-two", "forty-two" }.Select(v => _malformed.Number("test-figures", "sku-1", v)));
        Assert.Contains("stockcast_malformed_entries_total{stream=\"test-figures\"} 1\n", await ExportedAsync());
    }

    private static async Task<List<(string Id, StringValue Message)>> ReadAsync(MessageStream<StringValue> stream, int count)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var read = new List<(string Id, StringValue Message)>();
        await foreach (var entry in stream.FollowAsync("0-0", deadline.Token))
        {
            read.Add(entry);
            if (read.Count == count)
            {
                break;
            }
        }
        return read;
    }

    private async Task<string> ExportedAsync()
    {
        using var text = new MemoryStream();
        await _registry.CollectAndExportAsTextAsync(text);
        return Encoding.UTF8.GetString(text.ToArray());
    }
}
