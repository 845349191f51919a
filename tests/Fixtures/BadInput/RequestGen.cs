using System.Collections;
using CsCheck;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;

namespace Stockcast.Testing.BadInput;

/// <summary>
/// A generated request: the message, and the field spoiled in it (null for a wholly random one), also
/// known by its oneof's name when it is one of a oneof's choices ("events[0].kind" for "events[0].snapshot").
/// </summary>
public sealed record FuzzedRequest(IMessage Message, string? SpoiledField, string Spoil, string? SpoiledOneof = null)
{
    public override string ToString() => $"{SpoiledField ?? "(random)"} <- {Spoil}: {Message}";
}

/// <summary>
/// Bad requests of any protobuf message type, made by reflection over its descriptor: mostly a valid
/// request with one field spoiled (empty, too long, control characters, a trailing newline, odd unicode,
/// negative or huge numbers, undefined enum values, a cleared or random sub-message, an emptied,
/// duplicated or oversized list), and now and then a wholly random message of the type.
/// </summary>
public static class RequestGen
{
    private const int MaxDepth = 3;

    public static Gen<FuzzedRequest> For(IMessage valid)
        => Gen.Frequency((5, OneFieldSpoiled(valid)), (1, Random(valid.Descriptor, 0).Select(m => new FuzzedRequest(m, null, "random message"))));

    /// <summary>The valid request with one of its fields (at any depth, set or not) spoiled.</summary>
    public static Gen<FuzzedRequest> OneFieldSpoiled(IMessage valid)
    {
        var slots = Slots(valid, []).ToArray();
        if (slots.Length == 0)
        {
            // A message with no fields (ListRoomsRequest): only its bytes can differ, as unknown fields.
            return Gen.Byte.Array[1, 32].Select(bytes => new FuzzedRequest(WithUnknownField(valid, bytes), null, "unknown field"));
        }
        return Gen.Int[0, slots.Length - 1].SelectMany(i => SpoilsOf(slots[i]).Select(spoil =>
        {
            var copy = Copy(valid);
            spoil.Apply(Locate(copy, slots[i].Steps));
            var oneof = slots[i].Field.RealContainingOneof is { } choice ? PathOf(slots[i].Steps) + choice.Name : null;
            return new FuzzedRequest(copy, slots[i].Path, spoil.Name, oneof);
        }));
    }

    /// <summary>Where a spoil goes: the steps from the request to the message holding the field, the field, and the element of a list.</summary>
    private sealed record Slot(IReadOnlyList<(FieldDescriptor Field, int? Index)> Steps, FieldDescriptor Field, int? Index, object? Current, string Path);

    private sealed record Spoil(string Name, Action<IMessage> Apply);

    private static IEnumerable<Slot> Slots(IMessage message, IReadOnlyList<(FieldDescriptor Field, int? Index)> steps)
    {
        var prefix = PathOf(steps);
        foreach (var field in message.Descriptor.Fields.InFieldNumberOrder())
        {
            var path = prefix + field.Name;
            var value = field.Accessor.GetValue(message);
            yield return new Slot(steps, field, null, value, path);
            if (field.IsMap)
            {
                continue;
            }
            if (field.IsRepeated)
            {
                var list = (IList)value;
                for (var i = 0; i < list.Count; i++)
                {
                    yield return new Slot(steps, field, i, list[i], $"{path}[{i}]");
                    if (list[i] is IMessage element && !IsWellKnown(element.Descriptor))
                    {
                        foreach (var inner in Slots(element, [.. steps, (field, i)]))
                        {
                            yield return inner;
                        }
                    }
                }
            }
            else if (value is IMessage nested && !IsWellKnown(nested.Descriptor))
            {
                foreach (var inner in Slots(nested, [.. steps, (field, null)]))
                {
                    yield return inner;
                }
            }
        }
    }

    private static string PathOf(IEnumerable<(FieldDescriptor Field, int? Index)> steps)
        => string.Concat(steps.Select(s => s.Index is { } i ? $"{s.Field.Name}[{i}]." : $"{s.Field.Name}."));

    private static IMessage Locate(IMessage root, IEnumerable<(FieldDescriptor Field, int? Index)> steps)
        => steps.Aggregate(root, (message, step) => step.Index is { } i
            ? (IMessage)((IList)step.Field.Accessor.GetValue(message))[i]!
            : (IMessage)step.Field.Accessor.GetValue(message));

    private static Gen<Spoil> SpoilsOf(Slot slot)
    {
        var field = slot.Field;
        if (field.IsMap)
        {
            return MapSpoils(field);
        }
        if (field.IsRepeated && slot.Index is null)
        {
            return ListSpoils(field, (IList)slot.Current!);
        }
        Action<IMessage, object?> set = slot.Index is { } index
            ? (m, v) => ((IList)field.Accessor.GetValue(m))[index] = v
            : (m, v) =>
            {
                if (v is null)
                {
                    field.Accessor.Clear(m);
                }
                else
                {
                    field.Accessor.SetValue(m, v);
                }
            };
        return ValuesFor(field, slot.Current, slot.Index is null).Select(v => new Spoil(v.Name, m => set(m, v.Value)));
    }

    private static Gen<Spoil> ListSpoils(FieldDescriptor field, IList current)
    {
        var element = ValuesFor(field, null, canClear: false);
        var spoils = new List<Gen<Spoil>>
        {
            Gen.Const(new Spoil("emptied", m => ((IList)field.Accessor.GetValue(m)).Clear())),
            element.Select(v => new Spoil($"added {v.Name}", m => ((IList)field.Accessor.GetValue(m)).Add(v.Value))),
            // Far more elements than any request should carry (a list of ids, events or keys).
            Gen.Const(new Spoil("5000 elements", m =>
            {
                var list = (IList)field.Accessor.GetValue(m);
                var sample = list.Count > 0 ? list[0] : Sample(field);
                for (var i = 0; i < 5000; i++)
                {
                    list.Add(sample is IMessage message ? Copy(message) : sample);
                }
            })),
        };
        if (current.Count > 0)
        {
            spoils.Add(Gen.Int[0, current.Count - 1].Select(i => new Spoil($"element {i} twice", m =>
            {
                var list = (IList)field.Accessor.GetValue(m);
                list.Add(list[i] is IMessage message ? Copy(message) : list[i]);
            })));
        }
        return Gen.OneOf([.. spoils]);
    }

    private static Gen<Spoil> MapSpoils(FieldDescriptor field)
    {
        var key = field.MessageType.FindFieldByNumber(1);
        var value = field.MessageType.FindFieldByNumber(2);
        return Gen.Select(ValuesFor(key, null, canClear: false), ValuesFor(value, null, canClear: false), (k, v) => new Spoil($"entry {k.Name} = {v.Name}", m =>
        {
            var map = (IDictionary)field.Accessor.GetValue(m);
            map[k.Value!] = v.Value;
        }));
    }

    /// <summary>Values of a field's type that a service must survive: the edges of the type, and random ones.</summary>
    private static Gen<(string Name, object? Value)> ValuesFor(FieldDescriptor field, object? current, bool canClear) => field.FieldType switch
    {
        FieldType.String => Strings(current as string ?? ""),
        FieldType.Bytes => Gen.Byte.Array[0, 64].Select(b => ("random bytes", (object?)ByteString.CopyFrom(b))),
        FieldType.Bool => Gen.Bool.Select(b => ($"{b}", (object?)b)),
        FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => Gen.OneOf(
            Gen.OneOf(0, -1, 1, int.MinValue, int.MaxValue, 1_000_001),
            Gen.Int).Select(i => ($"{i}", (object?)i)),
        FieldType.UInt32 or FieldType.Fixed32 => Gen.OneOf(Gen.OneOf(0u, uint.MaxValue), Gen.UInt).Select(i => ($"{i}", (object?)i)),
        FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => Gen.OneOf(
            Gen.OneOf(0L, -1L, 1L, long.MinValue, long.MaxValue, int.MaxValue + 1L, 9_007_199_254_740_993L),
            Gen.Long).Select(l => ($"{l}", (object?)l)),
        FieldType.UInt64 or FieldType.Fixed64 => Gen.OneOf(Gen.OneOf(0UL, ulong.MaxValue), Gen.ULong).Select(l => ($"{l}", (object?)l)),
        FieldType.Double => Gen.OneOf(
            Gen.OneOf(double.NaN, double.PositiveInfinity, double.NegativeInfinity, -1d, 0d, double.MaxValue, double.Epsilon),
            Gen.Double).Select(d => ($"{d}", (object?)d)),
        FieldType.Float => Gen.OneOf(Gen.OneOf(float.NaN, float.PositiveInfinity, -1f, float.MaxValue), Gen.Float).Select(f => ($"{f}", (object?)f)),
        // Undefined numbers are kept by protobuf and reach the service as they are.
        FieldType.Enum => Gen.OneOf(
            Gen.OneOf(-1, 0, 99, int.MaxValue),
            Gen.Int[0, field.EnumType.Values.Count - 1].Select(i => field.EnumType.Values[i].Number)).Select(n => ($"enum {n}", (object?)System.Enum.ToObject(field.EnumType.ClrType, n))),
        FieldType.Message when field.MessageType.FullName == Timestamp.Descriptor.FullName => Timestamps(),
        FieldType.Message => Gen.OneOf([
            .. canClear ? [Gen.Const(("cleared", (object?)null))] : Array.Empty<Gen<(string, object?)>>(),
            Gen.Const(("empty message", (object?)Create(field.MessageType))),
            Random(field.MessageType, 1).Select(m => ("random message", (object?)m))]),
        _ => throw new NotSupportedException($"{field.FullName}: {field.FieldType}"),
    };

    private static Gen<(string Name, object? Value)> Strings(string valid) => Gen.OneOf(
        Gen.OneOf(
            ("empty", ""),
            ("blank", "   "),
            ("10,000 characters", new string('x', 10_000)),
            ("valid + 300 characters", valid + new string('a', 300)),
            ("trailing newline", valid + "\n"),
            ("leading tab", "\t" + valid),
            ("padded", $" {valid} "),
            ("NUL inside", valid + "\0x"),
            ("control character", valid + "\u0001"),
            ("DEL", valid + "\u007f"),
            ("line separator", valid + "\u2028"),
            ("right-to-left override", "\u202e" + valid),
            ("zero-width space", valid + "\u200b"),
            ("byte-order mark", "\ufeff" + valid),
            ("emoji", valid + "🧸"),
            ("combining accent", valid + "e\u0301"),
            ("replacement character", valid + "\ufffd"),
            ("path", "../" + valid),
            ("slash", valid + "/x"),
            ("wildcard", valid + "*"),
            ("colon", valid + ":x"),
            ("braces", "{" + valid + "}"),
            ("percent-encoded", valid + "%0A"),
            ("markup", "<script>alert(1)</script>"),
            ("lower case", valid.ToLowerInvariant()),
            ("upper case", valid.ToUpperInvariant())),
        Gen.String.Select(s => ("random", s)),
        Gen.String[Gen.Char.AlphaNumeric, 1, 40].Select(s => ("random word", s))).Select(p => (p.Item1, (object?)p.Item2));

    private static Gen<(string Name, object? Value)> Timestamps() => Gen.OneOf(
        Gen.OneOf(
            ("cleared", (Timestamp?)null),
            ("epoch", new Timestamp()),
            ("year 1", new Timestamp { Seconds = -62135596800 }),
            ("before year 1", new Timestamp { Seconds = -62135596801 }),
            ("year 9999", new Timestamp { Seconds = 253402300799 }),
            ("after year 9999", new Timestamp { Seconds = 253402300800 }),
            ("negative nanos", new Timestamp { Seconds = 1, Nanos = -1 }),
            ("nanos of a second", new Timestamp { Seconds = 1, Nanos = 1_000_000_000 }),
            ("an hour ahead", Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(1))),
            ("a year ago", Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddYears(-1)))),
        Gen.Select(Gen.Long, Gen.Int, (s, n) => ("random", (Timestamp?)new Timestamp { Seconds = s, Nanos = n }))).Select(t => (t.Item1, (object?)t.Item2));

    /// <summary>A message of the type with each field set, or not, to a random value of its type.</summary>
    public static Gen<IMessage> Random(MessageDescriptor descriptor, int depth)
    {
        var fields = descriptor.Fields.InFieldNumberOrder()
            .Where(f => depth < MaxDepth || f.FieldType != FieldType.Message || f.MessageType.FullName == Timestamp.Descriptor.FullName)
            .Select(f => Gen.Bool.SelectMany(set => set ? RandomValue(f, depth) : Gen.Const<Action<IMessage>>(_ => { })));
        return fields.Aggregate(Gen.Const(new List<Action<IMessage>>()), (all, one) => all.SelectMany(list => one.Select(action => (List<Action<IMessage>>)[.. list, action])))
            .Select(actions =>
            {
                var message = Create(descriptor);
                actions.ForEach(a => a(message));
                return message;
            });
    }

    private static Gen<Action<IMessage>> RandomValue(FieldDescriptor field, int depth)
    {
        if (field.IsMap)
        {
            return MapSpoils(field).Select(s => s.Apply);
        }
        var value = field.FieldType == FieldType.Message && field.MessageType.FullName != Timestamp.Descriptor.FullName
            ? Random(field.MessageType, depth + 1).Select(m => ("random", (object?)m))
            : ValuesFor(field, null, canClear: false);
        if (field.IsRepeated)
        {
            return value.Array[1, 3].Select<(string, object?)[], Action<IMessage>>(values => m =>
            {
                var list = (IList)field.Accessor.GetValue(m);
                foreach (var (_, v) in values)
                {
                    list.Add(v);
                }
            });
        }
        return value.Select<(string, object?), Action<IMessage>>(v => m =>
        {
            if (v.Item2 is not null)
            {
                field.Accessor.SetValue(m, v.Item2);
            }
        });
    }

    private static object Sample(FieldDescriptor field) => field.FieldType switch
    {
        FieldType.String => "x",
        FieldType.Message => Create(field.MessageType),
        FieldType.Enum => System.Enum.ToObject(field.EnumType.ClrType, 0),
        FieldType.Bool => false,
        FieldType.Bytes => ByteString.Empty,
        FieldType.Double => 0d,
        FieldType.Float => 0f,
        _ => Convert.ChangeType(0, field.Accessor.Descriptor.FieldType switch
        {
            FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => typeof(int),
            FieldType.UInt32 or FieldType.Fixed32 => typeof(uint),
            FieldType.UInt64 or FieldType.Fixed64 => typeof(ulong),
            _ => typeof(long),
        }, System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>The message with field number 1000 (which no request declares) as a length-delimited field.</summary>
    private static IMessage WithUnknownField(IMessage message, byte[] bytes)
    {
        var output = new MemoryStream();
        var coded = new CodedOutputStream(output);
        message.WriteTo(coded);
        coded.WriteTag(1000, WireFormat.WireType.LengthDelimited);
        coded.WriteBytes(ByteString.CopyFrom(bytes));
        coded.Flush();
        return message.Descriptor.Parser.ParseFrom(output.ToArray());
    }

    private static IMessage Copy(IMessage message) => message.Descriptor.Parser.ParseFrom(message.ToByteString());

    private static IMessage Create(MessageDescriptor descriptor) => (IMessage)Activator.CreateInstance(descriptor.ClrType)!;

    private static bool IsWellKnown(MessageDescriptor descriptor) => descriptor.File.Package == "google.protobuf";
}
