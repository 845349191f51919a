using System.Buffers;

namespace Stockcast.Connector.Feeds.FileDrop;

/// <summary>
/// One kind of drop file, streamed: read through once to check it (nothing applied), then read again
/// row by row to apply it, so a file that can never be parsed is never half-applied and no file is
/// ever held in memory whole.
/// </summary>
public interface IDropFormat
{
    /// <summary>Reads the file through without keeping anything; throws <see cref="DropFileException"/> for one that can never be parsed.</summary>
    Task CheckAsync(Stream file, ExportRows rows, CancellationToken cancellationToken);

    /// <summary>The file's rows, one at a time; blank lines skipped.</summary>
    IAsyncEnumerable<DropRow> ReadAsync(Stream file, ExportRows rows, CancellationToken cancellationToken);
}

/// <summary>The kinds of drop file, by extension (any case).</summary>
public static class DropFormats
{
    /// <summary>Longest record (a CSV row, a JSON Lines line, one of a JSON document's records) read: bounds memory whatever the file.</summary>
    public const int MaxRecordBytes = 1 << 20;

    public static IDropFormat? For(string extension, FeedOptions feed) => extension.ToLowerInvariant() switch
    {
        ".csv" or ".tsv" => new CsvExport(DropFileSettings.Delimiter(feed)),
        ".json" => new JsonRecordsExport(),
        ".jsonl" or ".ndjson" => new JsonLinesExport(),
        _ => null,
    };

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];
    private static ReadOnlySpan<byte> Utf16LittleEndianBom => [0xFF, 0xFE];
    private static ReadOnlySpan<byte> Utf16BigEndianBom => [0xFE, 0xFF];
    private static ReadOnlySpan<byte> Utf32BigEndianBom => [0x00, 0x00, 0xFE, 0xFF];

    /// <summary>
    /// Takes a UTF-8 byte order mark off the start of a file's first buffer (<see cref="Utf8Preamble"/>);
    /// false, with nothing taken, while the buffer is too short to tell.
    /// </summary>
    public static bool TrySkipPreamble(ref ReadOnlySequence<byte> buffer, bool final)
    {
        if (buffer.Length < Utf32BigEndianBom.Length && !final)
        {
            return false;
        }
        Span<byte> head = stackalloc byte[Utf32BigEndianBom.Length];
        var length = (int)Math.Min(head.Length, buffer.Length);
        buffer.Slice(0, length).CopyTo(head);
        buffer = buffer.Slice(Utf8Preamble(head[..length]));
        return true;
    }

    /// <summary>How many bytes of a byte order mark to skip: UTF-8's; a UTF-16 or UTF-32 one (UTF-32 LE starts as UTF-16 LE) fails the file.</summary>
    public static int Utf8Preamble(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith(Utf8Bom))
        {
            return Utf8Bom.Length;
        }
        if (head.StartsWith(Utf16LittleEndianBom) || head.StartsWith(Utf16BigEndianBom) || head.StartsWith(Utf32BigEndianBom))
        {
            throw new DropFileException("the file is UTF-16 or UTF-32 text; export it as UTF-8");
        }
        return 0;
    }
}
