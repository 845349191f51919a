using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Unicode;

namespace Stockcast.Connector.Feeds.FileDrop;

/// <summary>
/// The push API's body as a file, <c>{"records": [...]}</c>, read streamed with Utf8JsonReader one
/// record at a time (other top-level properties are skipped). Anything that is not well-formed JSON of
/// that shape fails the file whole; a record that is well-formed but wrong is that record's problem.
/// A record's line is the line its opening brace is on.
/// </summary>
public sealed class JsonRecordsExport : IDropFormat
{
    public async Task CheckAsync(Stream file, ExportRows rows, CancellationToken cancellationToken)
    {
        await foreach (var _ in ScanAsync(file, keep: false, cancellationToken))
        {
        }
    }

    public async IAsyncEnumerable<DropRow> ReadAsync(Stream file, ExportRows rows, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var (line, record) in ScanAsync(file, keep: true, cancellationToken))
        {
            yield return rows.FromJson(line, record);
        }
    }

    private static async IAsyncEnumerable<(long Line, JsonElement Record)> ScanAsync(Stream file, bool keep, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var pipe = PipeReader.Create(file, new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: true));
        var scanner = new Scanner(keep);
        var found = new List<(long, JsonElement)>();
        try
        {
            while (true)
            {
                var read = await pipe.ReadAsync(cancellationToken);
                var consumed = scanner.Scan(read.Buffer, read.IsCompleted, found);
                var pending = read.Buffer.Slice(consumed).Length;
                pipe.AdvanceTo(consumed, read.Buffer.End);
                foreach (var record in found)
                {
                    yield return record;
                }
                found.Clear();
                if (read.IsCompleted)
                {
                    scanner.Finish();
                    yield break;
                }
                if (pending > DropFormats.MaxRecordBytes)
                {
                    throw new DropFileException($"line {scanner.Line}: a record longer than {DropFormats.MaxRecordBytes / 1024} KiB");
                }
            }
        }
        finally
        {
            await pipe.CompleteAsync();
        }
    }

    /// <summary>
    /// Walks the document across buffers: each call goes as far as whole units allow (a top-level
    /// property with its value, the records array's opening, one record, a closing bracket) and says
    /// where it stopped, so the next call starts there with more bytes.
    /// </summary>
    private sealed class Scanner(bool keep)
    {
        private enum Phase { Start, Root, Records, End }

        private JsonReaderState _state;
        private Phase _phase;
        private bool _preambleChecked;
        private bool _sawRecords;

        /// <summary>The line where the unconsumed bytes start.</summary>
        public long Line { get; private set; } = 1;

        public SequencePosition Scan(ReadOnlySequence<byte> buffer, bool final, List<(long, JsonElement)> found)
        {
            if (!_preambleChecked)
            {
                if (!DropFormats.TrySkipPreamble(ref buffer, final))
                {
                    return buffer.Start;
                }
                _preambleChecked = true;
            }
            var reader = new Utf8JsonReader(buffer, final, _state);
            long committed = 0, counted = 0;
            try
            {
                while (Unit(ref reader, buffer, found, ref counted))
                {
                    committed = reader.BytesConsumed;
                    _state = reader.CurrentState;
                }
            }
            catch (JsonException ex)
            {
                throw new DropFileException($"not JSON of the shape {{\"records\": [...]}}: {ex.Message}");
            }
            Line += Newlines(buffer.Slice(counted, committed - counted));
            return buffer.GetPosition(committed);
        }

        public void Finish()
        {
            if (_phase != Phase.End || !_sawRecords)
            {
                throw Shape();
            }
        }

        /// <summary>One whole unit, or false (nothing of it taken) when the buffer ends inside it.</summary>
        private bool Unit(ref Utf8JsonReader reader, ReadOnlySequence<byte> buffer, List<(long, JsonElement)> found, ref long counted)
        {
            if (!reader.Read())
            {
                return false;
            }
            switch (_phase)
            {
                case Phase.Start when reader.TokenType == JsonTokenType.StartObject:
                    _phase = Phase.Root;
                    return true;
                case Phase.Root when reader.TokenType == JsonTokenType.EndObject:
                    _phase = Phase.End;
                    return true;
                case Phase.Root:
                    var isRecords = reader.ValueTextEquals("records"u8);
                    if (!reader.Read())
                    {
                        return false;
                    }
                    if (!isRecords)
                    {
                        return reader.TrySkip();
                    }
                    _phase = reader.TokenType == JsonTokenType.StartArray ? Phase.Records : throw Shape();
                    _sawRecords = true;
                    return true;
                case Phase.Records when reader.TokenType == JsonTokenType.EndArray:
                    _phase = Phase.Root;
                    return true;
                case Phase.Records:
                    var start = reader.TokenStartIndex;
                    var record = reader;
                    if (!reader.TrySkip())
                    {
                        return false;
                    }
                    Line += Newlines(buffer.Slice(counted, start - counted));
                    counted = start;
                    // The reader checks structure, not the bytes inside strings: text that is not UTF-8 fails the file, as a CSV's does.
                    var bytes = buffer.Slice(start, reader.Position);
                    if (!Utf8.IsValid(bytes.IsSingleSegment ? bytes.FirstSpan : bytes.ToArray()))
                    {
                        throw new DropFileException($"line {Line} is not UTF-8 text; export the file as UTF-8");
                    }
                    found.Add((Line, keep ? JsonElement.ParseValue(ref record) : default));
                    return true;
                default:
                    throw Shape();
            }
        }

        private static DropFileException Shape() => new("not JSON of the shape {\"records\": [...]}");

        private static long Newlines(ReadOnlySequence<byte> bytes)
        {
            long count = 0;
            foreach (var segment in bytes)
            {
                count += segment.Span.Count((byte)'\n');
            }
            return count;
        }
    }
}
