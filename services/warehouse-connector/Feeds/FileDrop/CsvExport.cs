using System.Runtime.CompilerServices;
using System.Text.Unicode;
using CsvHelper;

namespace Stockcast.Connector.Feeds.FileDrop;

/// <summary>
/// CSV (and tab-separated) exports through CsvHelper: RFC 4180 quoting (delimiters, doubled quotes and
/// line breaks inside quotes), UTF-8 with or without a byte order mark (UTF-16 with one is transcoded),
/// CRLF or LF, the delimiter found from the header line unless the feed sets it. A quote inside an
/// unquoted cell (5" wide) is text. A quote never closed, a row longer than MaxRecordBytes or text
/// that is not UTF-8 fails the file; a row with more or fewer cells than the header is that row's problem.
/// </summary>
public sealed class CsvExport(char? delimiter) : IDropFormat
{
    public async Task CheckAsync(Stream file, ExportRows rows, CancellationToken cancellationToken)
    {
        using var csv = new Rows(file, delimiter);
        rows.Layout(await csv.HeaderAsync(cancellationToken));
        while (await csv.NextAsync(cancellationToken))
        {
        }
    }

    public async IAsyncEnumerable<DropRow> ReadAsync(Stream file, ExportRows rows, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var csv = new Rows(file, delimiter);
        var layout = rows.Layout(await csv.HeaderAsync(cancellationToken));
        while (await csv.NextAsync(cancellationToken))
        {
            yield return Row(csv.Reader, layout, rows);
        }
    }

    private static DropRow Row(CsvReader csv, ColumnLayout layout, ExportRows rows)
    {
        rows.Begin(csv.LineNumber);
        foreach (var (field, column) in layout.Fields)
        {
            rows.Cell(field, column < csv.FieldCount ? csv.GetSpan(column) : default);
        }
        if (csv.FieldCount != layout.HeaderCount)
        {
            rows.Problem($"row: {csv.FieldCount} cells where the header has {layout.HeaderCount} (a delimiter in an unquoted cell?)");
        }
        return rows.End();
    }

    /// <summary>A reader over the file that stops at what makes it unparseable and passes over blank rows.</summary>
    private sealed class Rows : IDisposable
    {
        private long? _unclosedQuoteAt;

        public Rows(Stream file, char? delimiter)
        {
            Reader = CsvReader.Create(file, new CsvReaderOptions
            {
                Separator = delimiter,
                DetectSeparatorHint = true,
                TrackLineNumbers = true,
                SkipEmptyLines = true,
                MaxRecordSize = DropFormats.MaxRecordBytes,
                MalformedData = CsvMalformedDataHandling.Recover,
                FieldCountMismatch = CsvFieldCountHandling.Allow,
                OnMalformedRecord = m => _unclosedQuoteAt ??= m.Reason == CsvMalformedReason.UnterminatedQuote ? m.LineNumber : null,
            }, leaveOpen: true);
        }

        public CsvReader Reader { get; }

        public async Task<IReadOnlyList<string>> HeaderAsync(CancellationToken cancellationToken)
        {
            await Guarded(() => Reader.ReadHeaderAsync(cancellationToken));
            return Reader.Headers.Count == 0 ? throw new DropFileException("the file has no header row") : Reader.Headers;
        }

        public async Task<bool> NextAsync(CancellationToken cancellationToken)
        {
            while (await Guarded(() => Reader.ReadAsync(cancellationToken)))
            {
                if (_unclosedQuoteAt is { } line)
                {
                    throw new DropFileException($"line {line}: a quoted cell is never closed");
                }
                if (!Utf8.IsValid(Reader.RawRecord))
                {
                    throw new DropFileException($"line {Reader.LineNumber} is not UTF-8 text; export the file as UTF-8");
                }
                if (!IsBlank(Reader))
                {
                    return true;
                }
            }
            return false;
        }

        public void Dispose() => Reader.Dispose();

        /// <summary>Nothing but spaces and delimiters (spreadsheets end exports with such rows).</summary>
        private static bool IsBlank(CsvReader csv)
        {
            for (var i = 0; i < csv.FieldCount; i++)
            {
                if (!csv.GetSpan(i).Trim(" \t"u8).IsEmpty)
                {
                    return false;
                }
            }
            return true;
        }

        private async ValueTask<T> Guarded<T>(Func<ValueTask<T>> read)
        {
            try
            {
                return await read();
            }
            catch (CsvFormatException ex)
            {
                // With Recover and Allow set, only a record over MaxRecordSize throws: a quote never closed, most likely.
                throw new DropFileException($"after line {Reader.LineNumber}: {ex.Message} (a quoted cell never closed?)");
            }
        }

        private async ValueTask Guarded(Func<ValueTask> read) => await Guarded(async () =>
        {
            await read();
            return true;
        });
    }
}
