using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Stockcast.Connector.Feeds.FileDrop;

/// <summary>
/// JSON Lines (*.jsonl, *.ndjson): one record per line, blank lines skipped. A line that is not JSON,
/// or longer than MaxRecordBytes, is that line's problem; the other lines are applied.
/// </summary>
public sealed class JsonLinesExport : IDropFormat
{
    private const int ShownBytes = 200;

    /// <summary>Only the encoding can make every line unreadable; each line is checked as it is read.</summary>
    public async Task CheckAsync(Stream file, ExportRows rows, CancellationToken cancellationToken)
    {
        var head = new byte[4];
        var length = await file.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken);
        DropFormats.Utf8Preamble(head.AsSpan(0, length));
    }

    public async IAsyncEnumerable<DropRow> ReadAsync(Stream file, ExportRows rows, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var pipe = PipeReader.Create(file, new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: true));
        var lines = new Lines(rows);
        var found = new List<DropRow>();
        try
        {
            while (true)
            {
                var read = await pipe.ReadAsync(cancellationToken);
                var consumed = lines.Take(read.Buffer, read.IsCompleted, found);
                pipe.AdvanceTo(consumed, read.Buffer.End);
                foreach (var row in found)
                {
                    yield return row;
                }
                found.Clear();
                if (read.IsCompleted)
                {
                    yield break;
                }
            }
        }
        finally
        {
            await pipe.CompleteAsync();
        }
    }

    private sealed class Lines(ExportRows rows)
    {
        private long _line;
        private bool _started;
        private bool _skippingLongLine;

        /// <summary>Turns every whole line of the buffer (and at the end, the last one) into a row.</summary>
        public SequencePosition Take(ReadOnlySequence<byte> buffer, bool final, List<DropRow> found)
        {
            if (!_started)
            {
                if (!DropFormats.TrySkipPreamble(ref buffer, final))
                {
                    return buffer.Start;
                }
                _started = true;
            }
            var reader = new SequenceReader<byte>(buffer);
            while (reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n'))
            {
                Line(line, found);
            }
            if (final && !reader.End)
            {
                Line(reader.UnreadSequence, found);
                reader.AdvanceToEnd();
            }
            else if (reader.Remaining > DropFormats.MaxRecordBytes)
            {
                // Set aside what was read of it, and pass over the rest of it as it comes.
                if (!_skippingLongLine)
                {
                    _line++;
                    found.Add(rows.Unreadable(_line, Shown(reader.UnreadSequence.Slice(0, ShownBytes + 1).ToArray()), $"line: longer than {DropFormats.MaxRecordBytes / 1024} KiB"));
                    _skippingLongLine = true;
                }
                reader.AdvanceToEnd();
            }
            return reader.Position;
        }

        private void Line(ReadOnlySequence<byte> line, List<DropRow> found)
        {
            if (_skippingLongLine)
            {
                _skippingLongLine = false;
                return;
            }
            _line++;
            var bytes = (line.IsSingleSegment ? line.FirstSpan : line.ToArray()).Trim(" \t\r"u8);
            if (bytes.IsEmpty)
            {
                return;
            }
            if (!Utf8.IsValid(bytes))
            {
                found.Add(rows.Unreadable(_line, Shown(bytes), "line: not UTF-8 text"));
                return;
            }
            try
            {
                var json = new Utf8JsonReader(bytes);
                var record = JsonElement.ParseValue(ref json);
                // Anything after the record on its line is refused here, as it would be by JsonDocument.Parse.
                json.Read();
                found.Add(rows.FromJson(_line, record));
            }
            catch (JsonException ex)
            {
                found.Add(rows.Unreadable(_line, Shown(bytes), $"line: not JSON ({ex.Message})"));
            }
        }

        private static string Shown(ReadOnlySpan<byte> bytes)
            => Encoding.UTF8.GetString(bytes[..Math.Min(ShownBytes, bytes.Length)]) + (bytes.Length > ShownBytes ? "..." : "");
    }
}
