using System.Text;
using System.Text.Json.Nodes;
using CsCheck;

namespace Stockcast.Testing.BadInput;

/// <summary>A generated body: its bytes, and what was spoiled where ("records[1].available <- 12 pcs").</summary>
public sealed record FuzzedBody(byte[] Bytes, string Path, string Spoil)
{
    public override string ToString()
    {
        var text = Encoding.UTF8.GetString(Bytes);
        return $"{Path} <- {Spoil}: {text[..Math.Min(text.Length, 300)]}";
    }
}

/// <summary>
/// Bad JSON bodies made from a valid one: one value (at any depth) replaced by what senders get wrong
/// (numbers as strings, words, negative or huge numbers, empty timestamps, nulls, the wrong kind of
/// value, control characters), or removed; or the whole body's encoding mangled (truncated, invalid
/// UTF-8, UTF-16, a byte-order mark, empty).
/// </summary>
public static class JsonGen
{
    /// <summary>One value of <paramref name="valid"/> spoiled, under <paramref name="under"/> ("records[1]") when given.</summary>
    public static Gen<FuzzedBody> OneValueSpoiled(JsonNode valid, string under = "")
    {
        var paths = Paths(valid, "").Where(p => p.Path.StartsWith(under, StringComparison.Ordinal)).ToArray();
        return Gen.Select(Gen.Int[0, paths.Length - 1], Values, Gen.Int[0, 5]).Select((pick, value, removeOne) =>
        {
            var copy = valid.DeepClone();
            var (path, locate) = paths[pick];
            var target = locate(copy);
            // Now and then the value is removed instead (a missing field).
            if (removeOne == 0 && target?.Parent is JsonObject parent && target.GetPropertyName() is { } name)
            {
                parent.Remove(name);
                return new FuzzedBody(Encoding.UTF8.GetBytes(copy.ToJsonString()), path, "removed");
            }
            if (target?.Parent is { } container)
            {
                target.ReplaceWith(value.Node?.DeepClone());
            }
            else
            {
                copy = value.Node?.DeepClone() ?? JsonValue.Create((string?)null);
            }
            return new FuzzedBody(Encoding.UTF8.GetBytes(copy?.ToJsonString() ?? "null"), path, value.Name);
        });
    }

    /// <summary>The valid body's bytes mangled as a whole.</summary>
    public static Gen<FuzzedBody> EncodingMangled(JsonNode valid)
    {
        var text = valid.ToJsonString();
        var bytes = Encoding.UTF8.GetBytes(text);
        return Gen.OneOf(
            Gen.Int[0, bytes.Length - 1].Select(n => new FuzzedBody(bytes[..n], "body", $"truncated at {n}")),
            Gen.Select(Gen.Int[0, bytes.Length - 1], Gen.Byte[0x80, 0xFF]).Select((at, b) => new FuzzedBody([.. bytes[..at], b, .. bytes[at..]], "body", $"byte 0x{b:X2} at {at}")),
            Gen.Const(new FuzzedBody(Encoding.Unicode.GetBytes(text), "body", "UTF-16")),
            Gen.Const(new FuzzedBody([0xEF, 0xBB, 0xBF, .. bytes], "body", "byte-order mark")),
            Gen.Const(new FuzzedBody([], "body", "empty")),
            Gen.Byte.Array[1, 200].Select(b => new FuzzedBody(b, "body", "random bytes")));
    }

    private static IEnumerable<(string Path, Func<JsonNode, JsonNode?> Locate)> Paths(JsonNode node, string path)
    {
        yield return (path, root => path.Length == 0 ? root : Find(root, path));
        switch (node)
        {
            case JsonObject o:
                foreach (var (name, child) in o)
                {
                    var childPath = path.Length == 0 ? name : $"{path}.{name}";
                    if (child is not null)
                    {
                        foreach (var p in Paths(child, childPath))
                        {
                            yield return p;
                        }
                    }
                }
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    if (a[i] is { } item)
                    {
                        foreach (var p in Paths(item, $"{path}[{i}]"))
                        {
                            yield return p;
                        }
                    }
                }
                break;
        }
    }

    private static JsonNode? Find(JsonNode root, string path)
    {
        JsonNode? node = root;
        foreach (var part in path.Replace("[", ".[", StringComparison.Ordinal).Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            node = part.StartsWith('[') ? node?[int.Parse(part[1..^1], System.Globalization.CultureInfo.InvariantCulture)] : node?[part];
        }
        return node;
    }

    private static readonly Gen<(string Name, JsonNode? Node)> Values = Gen.OneOf(
        Gen.OneOf<(string, JsonNode?)>(
            ("null", null),
            ("empty string", ""),
            ("blank", "  "),
            ("number as string", "5"),
            ("padded number", " 12 "),
            ("words", "12 pcs"),
            ("decimal", 2.5),
            ("decimal comma", "2,5"),
            ("negative", -1),
            ("huge", 1e30),
            ("beyond int32", 2147483648L),
            ("beyond int64", JsonNode.Parse("92233720368547758070")),
            ("NaN string", "NaN"),
            ("true", true),
            ("empty array", new JsonArray()),
            ("empty object", new JsonObject()),
            ("control character", "A\u0001B"),
            ("trailing newline", "SKU-1\n"),
            ("NUL", "\0"),
            ("emoji", "🧸"),
            ("10,000 characters", new string('x', 10_000)),
            ("empty timestamp", ""),
            ("date only", "2026-12-04"),
            ("not a date", "yesterday"),
            ("far future", "9999-12-31T23:59:59Z"),
            ("epoch", "1970-01-01T00:00:00Z")),
        Gen.Long.Select(l => ("random number", (JsonNode?)l)),
        Gen.String.Select(s => ("random text", (JsonNode?)s)));
}
