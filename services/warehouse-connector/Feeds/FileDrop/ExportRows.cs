using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Stockcast.Connector.Feeds.FileDrop;

/// <summary>One row of a drop file: its line, the feed it goes to, its canonical record, and what is wrong with it, if anything.</summary>
public sealed record DropRow(long Line, FeedOptions Feed, JsonElement Record, string? Problem);

/// <summary>A drop file that can never be parsed: it fails whole, with nothing of it applied.</summary>
public sealed class DropFileException(string message) : Exception(message);

/// <summary>A CSV export's columns: each present field with its column, and how many columns the header has.</summary>
public sealed record ColumnLayout(IReadOnlyList<(ExportField Field, int Column)> Fields, int HeaderCount);

/// <summary>
/// Turns an export's rows into canonical records (the push API's JSON), one row at a time with one
/// reused buffer: the feed's Columns first, then the default spellings (ExportFields); unknown
/// columns ignored; the warehouse code routed (WarehouseRouting). Cells are checked as docs/connector.md
/// says: an empty cell of a required field is the row's problem, never zero; an empty cell of an
/// optional quantity is a figure the export does not give; a row without a time takes the file's
/// last write time (when the ERP wrote the export).
/// </summary>
public sealed class ExportRows
{
    private const int MaxCachedProperties = 256;
    private readonly WarehouseRouting _routing;
    private readonly string _fileTime;
    private readonly Dictionary<string, string> _columns;
    private readonly Dictionary<string, ExportField[]> _claimed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ExportField[]> _properties = new(StringComparer.Ordinal);
    private readonly ArrayBufferWriter<byte> _buffer = new(512);
    private readonly Utf8JsonWriter _json;
    private readonly HashSet<ExportField> _seen = [];
    private readonly List<string> _problems = [];
    private string? _warehouseCode;
    private long _line;

    public ExportRows(WarehouseRouting routing, DateTimeOffset fileTime)
    {
        _routing = routing;
        _fileTime = fileTime.ToString("O", CultureInfo.InvariantCulture);
        _columns = new Dictionary<string, string>(routing.Drop.Columns, StringComparer.OrdinalIgnoreCase);
        foreach (var group in _columns.GroupBy(c => ExportFields.Key(c.Value)))
        {
            _claimed[group.Key] = [.. group.Select(c => ExportFields.ByName[c.Key])];
        }
        // Dead-letter payloads stay readable for non-Latin SKUs; whoever shows them in HTML escapes them there.
        _json = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    /// <summary>Finds each field's column in a CSV header; a missing required or ambiguous column fails the file.</summary>
    public ColumnLayout Layout(IReadOnlyList<string> header)
    {
        var keys = header.Select(ExportFields.Key).ToArray();
        var fields = new List<(ExportField, int)>();
        var problems = new List<string>();
        foreach (var field in ExportFields.All)
        {
            var named = _columns.GetValueOrDefault(field.Name);
            var columns = Enumerable.Range(0, keys.Length)
                .Where(i => named is not null ? keys[i] == ExportFields.Key(named) : !_claimed.ContainsKey(keys[i]) && ExportFields.BySpelling.GetValueOrDefault(keys[i]) == field)
                .ToList();
            switch (columns.Count)
            {
                case 1:
                    fields.Add((field, columns[0]));
                    break;
                case 0 when named is not null:
                    problems.Add($"column '{named}' (Columns:{field.Name}) is not in the header");
                    break;
                case 0 when field.Required:
                    problems.Add($"no column for {field.Name} (name it with Columns:{field.Name})");
                    break;
                case 0:
                    break;
                default:
                    problems.Add($"columns {string.Join(" and ", columns.Select(i => $"'{header[i]}'"))} all read as {field.Name} (name the one to use with Columns:{field.Name})");
                    break;
            }
        }
        if (problems.Count > 0)
        {
            var shown = string.Join(", ", header.Take(20).Select(h => $"'{h}'")) + (header.Count > 20 ? ", ..." : "");
            throw new DropFileException($"{string.Join("; ", problems)}; the header has {shown}");
        }
        return new ColumnLayout(fields, header.Count);
    }

    public void Begin(long line)
    {
        _line = line;
        _buffer.ResetWrittenCount();
        _json.Reset(_buffer);
        _json.WriteStartObject();
        _seen.Clear();
        _problems.Clear();
        _warehouseCode = null;
    }

    /// <summary>A CSV cell, as UTF-8 text.</summary>
    public void Cell(ExportField field, ReadOnlySpan<byte> utf8)
    {
        _seen.Add(field);
        var trimmed = utf8.Trim(" \t"u8);
        if (trimmed.IsEmpty)
        {
            if (field.Required)
            {
                _problems.Add($"{field.Name}: empty cell (a missing figure is never taken as zero)");
            }
            else if (field.Kind == FieldKind.Warehouse)
            {
                _warehouseCode = "";
            }
            return;
        }
        switch (field.Kind)
        {
            case FieldKind.Quantity or FieldKind.Version when long.TryParse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number):
                _json.WriteNumber(field.Name, number);
                break;
            case FieldKind.Warehouse:
                _warehouseCode = Encoding.UTF8.GetString(trimmed);
                _json.WriteString(field.Name, trimmed);
                break;
            default:
                // The SKU as the export has it (the SKU rule decides about its edges); the rest trimmed.
                _json.WriteString(field.Name, field == ExportFields.Sku ? utf8 : trimmed);
                break;
        }
    }

    /// <summary>A property of a JSON record, by the name the export gives it: unknown names are ignored.</summary>
    private void Property(string name, JsonElement value)
    {
        foreach (var field in FieldsOf(name))
        {
            if (!_seen.Add(field))
            {
                _problems.Add($"{field.Name}: given by more than one property");
                continue;
            }
            if (field.Kind == FieldKind.Warehouse)
            {
                _warehouseCode = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
                if (_warehouseCode is null)
                {
                    _problems.Add($"warehouse: must be text (got {value.ValueKind})");
                }
            }
            if (field == ExportFields.SourceTime && (value.ValueKind == JsonValueKind.Null || value.ValueKind == JsonValueKind.String && value.ValueEquals("")))
            {
                // As an empty cell: no time, so the file's.
                _seen.Remove(field);
                continue;
            }
            _json.WritePropertyName(field.Name);
            value.WriteTo(_json);
        }
    }

    public void Problem(string problem) => _problems.Add(problem);

    public DropRow End()
    {
        if (!_seen.Contains(ExportFields.SourceTime))
        {
            _json.WriteString(ExportFields.SourceTime.Name, _fileTime);
        }
        _json.WriteEndObject();
        _json.Flush();
        var reader = new Utf8JsonReader(_buffer.WrittenSpan);
        var record = JsonElement.ParseValue(ref reader);
        var (feed, unrouted) = _warehouseCode is null ? (_routing.Drop, null) : _routing.Route(_warehouseCode);
        if (unrouted is not null)
        {
            _problems.Add(unrouted);
        }
        return new DropRow(_line, feed, record, _problems.Count == 0 ? null : string.Join("; ", _problems));
    }

    /// <summary>A JSON record, its properties read by the names the export gives them; one that is not an object is passed on as it is (validation says so).</summary>
    public DropRow FromJson(long line, JsonElement record)
    {
        if (record.ValueKind != JsonValueKind.Object)
        {
            return new DropRow(line, _routing.Drop, record.Clone(), null);
        }
        Begin(line);
        foreach (var property in record.EnumerateObject())
        {
            Property(property.Name, property.Value);
        }
        return End();
    }

    /// <summary>A row that is not a record at all (a line that is not JSON): kept as the text it is, with its problem.</summary>
    public DropRow Unreadable(long line, string text, string problem)
        => new(line, _routing.Drop, JsonSerializer.SerializeToElement(text), problem);

    /// <summary>The feed's Columns claim a header for their fields; the default spellings mean the rest.</summary>
    private ExportField[] FieldsOf(string name)
    {
        if (_properties.TryGetValue(name, out var cached))
        {
            return cached;
        }
        var key = ExportFields.Key(name);
        var fields = _claimed.TryGetValue(key, out var claimed) ? claimed
            : ExportFields.BySpelling.TryGetValue(key, out var field) && !_columns.ContainsKey(field.Name) ? [field]
            : [];
        if (_properties.Count < MaxCachedProperties)
        {
            _properties[name] = fields;
        }
        return fields;
    }
}
