using System.Buffers;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Stockcast.Ledger.V1;

namespace Stockcast.Bench;

/// <summary>
/// A WatchResponse read for only what the latency measurement needs: the header revision and,
/// per change, record.source_version. 100 watchers receive about 500,000 changes/s; decoding
/// every field into objects would cost the load generator more CPU than the ledger spends
/// sending them, on the same two cores. Field numbers come from the generated code.
/// </summary>
public sealed class WatchLite
{
    private const int Varint = (int)WireFormat.WireType.Varint;
    private const int LengthDelimited = (int)WireFormat.WireType.LengthDelimited;

    public long HeaderRevision { get; private set; }
    public List<long> SourceVersions { get; } = [];

    /// <summary>record.source_time per change, in microseconds since the Unix epoch.</summary>
    public List<long> SourceTimesMicros { get; } = [];

    public static readonly Method<WatchRequest, WatchLite> Method = new(
        MethodType.ServerStreaming,
        StockLedger.Descriptor.FullName,
        "Watch",
        Marshallers.Create(r => Google.Protobuf.MessageExtensions.ToByteArray(r), WatchRequest.Parser.ParseFrom),
        Marshallers.Create<WatchLite>((_, _) => throw new NotSupportedException("receive only"), FromPayload));

    private static WatchLite FromPayload(DeserializationContext context)
    {
        var payload = context.PayloadAsReadOnlySequence();
        return payload.IsSingleSegment ? Parse(payload.FirstSpan) : Parse(payload.ToArray());
    }

    public static WatchLite Parse(ReadOnlySpan<byte> data)
    {
        var lite = new WatchLite();
        var i = 0;
        while (i < data.Length)
        {
            var (field, wire) = Tag(data, ref i);
            if (field == WatchResponse.ChangesFieldNumber && wire == LengthDelimited)
            {
                var change = Slice(data, ref i);
                var record = Find(change, StockChange.RecordFieldNumber, LengthDelimited);
                var version = 0L;
                var micros = 0L;
                if (record >= 0)
                {
                    var recordBytes = Slice(change, ref record);
                    var at = Find(recordBytes, StockRecord.SourceVersionFieldNumber, Varint);
                    version = at >= 0 ? (long)ReadVarint(recordBytes, ref at) : 0;
                    at = Find(recordBytes, StockRecord.SourceTimeFieldNumber, LengthDelimited);
                    if (at >= 0)
                    {
                        var time = Slice(recordBytes, ref at);
                        var seconds = Find(time, Timestamp.SecondsFieldNumber, Varint);
                        var nanos = Find(time, Timestamp.NanosFieldNumber, Varint);
                        micros = (seconds >= 0 ? (long)ReadVarint(time, ref seconds) * 1_000_000 : 0) + (nanos >= 0 ? (long)ReadVarint(time, ref nanos) / 1000 : 0);
                    }
                }
                lite.SourceVersions.Add(version);
                lite.SourceTimesMicros.Add(micros);
            }
            else if (field == WatchResponse.HeaderRevisionFieldNumber && wire == Varint)
            {
                lite.HeaderRevision = (long)ReadVarint(data, ref i);
            }
            else
            {
                Skip(data, ref i, wire);
            }
        }
        return lite;
    }

    /// <summary>Checks the decoder against the generated one on a message with every field set.</summary>
    public static void SelfTest()
    {
        var sample = new WatchResponse { HeaderRevision = 1L << 40 };
        for (var k = 0; k < 3; k++)
        {
            sample.Changes.Add(new StockChange
            {
                Revision = 1000 + k,
                Cause = ChangeCause.Snapshot,
                Reference = "ref-" + k,
                Record = new StockRecord
                {
                    Sku = "SKU-" + k, WarehouseId = "us-east", SourceVersion = (1L << 52) + k, ModRevision = 1000 + k,
                    Quantities = new Quantities { OnHand = 5, Available = 4, Reserved = 1, Inbound = 2, Unsellable = 3 },
                    SourceTime = Timestamp.FromDateTime(DateTime.UtcNow),
                    Held = 1, Committed = 1, AvailableToPromise = 2,
                },
            });
        }
        var lite = Parse(Google.Protobuf.MessageExtensions.ToByteArray(sample));
        if (lite.HeaderRevision != sample.HeaderRevision
            || !lite.SourceVersions.SequenceEqual(sample.Changes.Select(c => c.Record.SourceVersion))
            || !lite.SourceTimesMicros.SequenceEqual(sample.Changes.Select(c => (c.Record.SourceTime.Seconds * 1_000_000) + (c.Record.SourceTime.Nanos / 1000))))
        {
            throw new InvalidOperationException("WatchLite does not decode WatchResponse like the generated code");
        }
    }

    /// <summary>Offset just after the tag of the first occurrence of the field, or -1.</summary>
    private static int Find(ReadOnlySpan<byte> data, int wantField, int wantWire)
    {
        var i = 0;
        while (i < data.Length)
        {
            var (field, wire) = Tag(data, ref i);
            if (field == wantField && wire == wantWire)
            {
                return i;
            }
            Skip(data, ref i, wire);
        }
        return -1;
    }

    private static (int Field, int Wire) Tag(ReadOnlySpan<byte> data, ref int i)
    {
        var tag = (uint)ReadVarint(data, ref i);
        return (WireFormat.GetTagFieldNumber(tag), (int)WireFormat.GetTagWireType(tag));
    }

    private static ReadOnlySpan<byte> Slice(ReadOnlySpan<byte> data, ref int i)
    {
        var length = (int)ReadVarint(data, ref i);
        var slice = data.Slice(i, length);
        i += length;
        return slice;
    }

    private static void Skip(ReadOnlySpan<byte> data, ref int i, int wire)
    {
        switch (wire)
        {
            case Varint:
                ReadVarint(data, ref i);
                break;
            case (int)WireFormat.WireType.Fixed64:
                i += 8;
                break;
            case LengthDelimited:
                var length = (int)ReadVarint(data, ref i);
                i += length;
                break;
            case (int)WireFormat.WireType.Fixed32:
                i += 4;
                break;
            default:
                throw new InvalidDataException($"unexpected protobuf wire type {wire}");
        }
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> data, ref int i)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = data[i++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
        throw new InvalidDataException("malformed varint");
    }
}
