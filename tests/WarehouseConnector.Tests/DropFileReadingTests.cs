using Stockcast.LedgerClient;
using System.ComponentModel.DataAnnotations;
using System.Text;
using System.Text.Json;
using Stockcast.Connector.Feeds;
using Stockcast.Connector.Feeds.FileDrop;

namespace Stockcast.Connector.Tests;

/// <summary>
/// How drop files read, without a ledger: the corpus of real exports (ErpExports/) and the quirks
/// around them, each row's outcome as the connector would see it: the record it would apply, or
/// the line and reason it would be dead-lettered with, or the reason the whole file fails.
/// </summary>
public sealed class DropFileReadingTests : IDisposable
{
    private static readonly DateTimeOffset FileTime = new(2026, 11, 30, 23, 0, 0, TimeSpan.Zero);
    private static readonly CanonicalRecords Canonical = new(new StockEventRules(TimeProvider.System));
    private readonly string _folder = Directory.CreateTempSubdirectory("stockcast-reading-").FullName;

    private static FeedOptions Drop(string warehouse = "us-drop") => new() { WarehouseId = warehouse, Source = FeedOptions.FileDropSource, Folder = "/drops" };

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>One row as the intake would take it.</summary>
    private sealed record Outcome(long Line, string Warehouse, JsonElement Record, string? Reason)
    {
        public string Sku => Record.GetProperty("sku").GetString()!;

        public long Figure(string field) => Record.GetProperty(field).GetInt64();
    }

    private static async Task<List<Outcome>> ReadAsync(string path, FeedOptions feed, params FeedOptions[] others)
    {
        var format = DropFormats.For(Path.GetExtension(path), feed)!;
        var rows = new ExportRows(new WarehouseRouting(feed, [feed, .. others]), FileTime);
        await using (var check = File.OpenRead(path))
        {
            await format.CheckAsync(check, rows, CancellationToken.None);
        }
        var outcomes = new List<Outcome>();
        await using var file = File.OpenRead(path);
        await foreach (var row in format.ReadAsync(file, rows, CancellationToken.None))
        {
            var reason = row.Problem ?? Canonical.Read(SourceRecord.Received(row.Record, DateTimeOffset.UtcNow), row.Feed).Reason;
            outcomes.Add(new Outcome(row.Line, row.Feed.WarehouseId, row.Record, reason));
        }
        return outcomes;
    }

    private static string Corpus(string name) => Path.Combine(AppContext.BaseDirectory, "ErpExports", name);

    private string Write(string name, string text) => Write(name, Encoding.UTF8.GetBytes(text));

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public async Task AnErpInventoryReportReadsThroughTheDefaultSpellingsWithQuotedCommasLineBreaksAndBlankRows()
    {
        var rows = await ReadAsync(Corpus("us-erp-inventory.csv"), Drop());

        Assert.Equal([2, 3, 5, 7, 8, 9], rows.Select(r => r.Line));
        var applied = rows.Where(r => r.Reason is null).ToDictionary(r => r.Sku);
        Assert.Equal(["TEE-OVERSIZE-WHT-M", "HOODIE-BLK-L", "MUG-RED-12OZ", "TV-STAND-55"], applied.Keys);
        Assert.Equal((120L, 96L, 24L, 0L), Figures(applied["TEE-OVERSIZE-WHT-M"]));
        Assert.Equal((40L, 35L, 5L, 60L), Figures(applied["HOODIE-BLK-L"]));
        Assert.Equal((18L, 18L, 0L, 0L), Figures(applied["MUG-RED-12OZ"]));
        // An inch mark in an unquoted name is text, not the start of a quoted cell swallowing the rows after it.
        Assert.Equal((4L, 4L, 0L, 12L), Figures(applied["TV-STAND-55"]));
        Assert.Equal("2026-11-30T22:00:00Z", applied["TEE-OVERSIZE-WHT-M"].Record.GetProperty("sourceTime").GetString());
        Assert.Equal("available: empty cell (a missing figure is never taken as zero)", rows.Single(r => r.Line == 7).Reason);
        Assert.Equal("onHand: '\"n/a\"' is not a whole number", rows.Single(r => r.Line == 8).Reason);
        // Columns of the report that are not stock (Display Name, Bin) are not read.
        Assert.False(applied["TEE-OVERSIZE-WHT-M"].Record.TryGetProperty("Bin", out _));
    }

    private static (long OnHand, long Available, long Reserved, long Inbound) Figures(Outcome row)
        => (row.Figure("onHand"), row.Figure("available"), row.Figure("reserved"), row.Figure("inbound"));

    [Fact]
    public async Task ASemicolonExportWithGermanHeadersReadsThroughTheFeedsColumnMap()
    {
        var feed = Drop("eu-drop");
        feed.Columns = new() { ["sku"] = "Artikelnummer", ["onHand"] = "Bestand", ["available"] = "Verfügbar", ["reserved"] = "Reserviert", ["inbound"] = "Zulauf" };

        var rows = await ReadAsync(Corpus("de-wawi-bestand.csv"), feed);

        Assert.All(rows, r => Assert.Null(r.Reason));
        Assert.Equal(["TASSE-ROT", "SCHAL-GRAU", "MUETZE-BLAU"], rows.Select(r => r.Sku));
        Assert.Equal((24L, 20L, 4L, 0L), Figures(rows[0]));
        Assert.Equal((10L, 10L, 0L, 50L), Figures(rows[1]));
        // The export has no time column: the rows take the time the ERP wrote the file.
        Assert.All(rows, r => Assert.Equal(FileTime, r.Record.GetProperty("sourceTime").GetDateTimeOffset()));
    }

    [Fact]
    public async Task WithoutTheColumnMapTheGermanExportFailsNamingWhatIsMissing()
    {
        var failure = await Assert.ThrowsAsync<DropFileException>(() => ReadAsync(Corpus("de-wawi-bestand.csv"), Drop("eu-drop")));

        Assert.Equal("no column for sku (name it with Columns:sku); no column for onHand (name it with Columns:onHand); no column for available (name it with Columns:available); "
            + "the header has 'Artikelnummer', 'Artikelname', 'Bestand', 'Verfügbar', 'Reserviert', 'Zulauf', 'Lagerplatz'", failure.Message);
    }

    [Fact]
    public async Task AWarehouseColumnRoutesRowsThroughTheCodeMapAndAnUnknownOrEmptyCodeIsTheRowsProblem()
    {
        var feed = Drop();
        feed.WarehouseCodes = new() { ["LAX01"] = "us-drop", ["NJ02"] = "us-erp" };

        var rows = await ReadAsync(Corpus("3pl-multi-warehouse.tsv"), feed, new FeedOptions { WarehouseId = "us-erp" });

        Assert.Equal(
        [
            (2L, "us-drop", null),
            (3L, "us-erp", null),
            (4L, "us-drop", "warehouse: code 'TX09' is not in the feed's WarehouseCodes, nor a warehouse of ours"),
            (5L, "us-drop", null), // the code in another case
            (6L, "us-drop", "warehouse: empty cell (say which warehouse the row is for)"),
        ], rows.Select(r => (r.Line, r.Warehouse, r.Reason)));
        Assert.Equal((12L, 12L, 0L, 24L), Figures(rows[1]));
    }

    [Fact]
    public async Task AChineseSellerErpsHeadersAreAmongTheDefaults()
    {
        var feed = Drop();
        feed.WarehouseCodes = new() { ["LAX01"] = "us-drop", ["NJ02"] = "us-erp" };

        var rows = await ReadAsync(Corpus("cn-erp-inventory.csv"), feed, new FeedOptions { WarehouseId = "us-erp" });

        Assert.Equal([("BAG-PINK-S", "us-drop"), ("BAG-PINK-M", "us-erp")], rows.Select(r => (r.Sku, r.Warehouse)));
        Assert.Equal((50L, 42L, 8L, 100L), Figures(rows[0]));
        Assert.All(rows, r => Assert.Null(r.Reason));
    }

    [Fact]
    public async Task AReportWithoutAnAvailableColumnFailsWithOneReasonNamingIt()
    {
        var failure = await Assert.ThrowsAsync<DropFileException>(() => ReadAsync(Corpus("missing-available.csv"), Drop()));

        Assert.Equal("no column for available (name it with Columns:available); the header has 'Item Code', 'Description', 'Qty On Hand', 'Bin'", failure.Message);
    }

    [Fact]
    public async Task AQuoteNeverClosedFailsTheFile()
    {
        var failure = await Assert.ThrowsAsync<DropFileException>(() => ReadAsync(Corpus("unclosed-quote.csv"), Drop()));

        Assert.Equal("line 2: a quoted cell is never closed", failure.Message);
    }

    [Fact]
    public async Task TwoColumnsMeaningOneFieldFailTheFileUntilTheColumnMapSaysWhichToRead()
    {
        var path = Write("ambiguous.csv", "SKU,Available,Avail Qty,On Hand\nKEY-1,3,5,9\n");

        var failure = await Assert.ThrowsAsync<DropFileException>(() => ReadAsync(path, Drop()));
        Assert.StartsWith("columns 'Available' and 'Avail Qty' all read as available (name the one to use with Columns:available)", failure.Message);

        var feed = Drop();
        feed.Columns = new() { ["available"] = "avail_qty" };
        Assert.Equal(5, Assert.Single(await ReadAsync(path, feed)).Figure("available"));
    }

    [Fact]
    public async Task ARowWithMoreCellsThanTheHeaderIsThatRowsProblemAndTheOthersAreRead()
    {
        var path = Write("shifted.csv", "SKU,Name,On Hand,Available\nCUP-1,Cup, large,7,7\nCUP-2,Cup small,4,4\n");

        var rows = await ReadAsync(path, Drop());

        Assert.Equal("row: 5 cells where the header has 4 (a delimiter in an unquoted cell?)", rows[0].Reason);
        Assert.Equal((3L, null), (rows[1].Line, rows[1].Reason));
    }

    [Fact]
    public async Task AnEmptyOptionalCellIsAFigureNotGivenAndAnEmptySkuIsTheRowsProblem()
    {
        var path = Write("sparse.csv", "SKU,On Hand,Available,Reserved,Inbound,Source Version\nKEY-1,9,7,,,\n,4,4,0,0,\n");

        var rows = await ReadAsync(path, Drop());

        Assert.Null(rows[0].Reason);
        Assert.False(rows[0].Record.TryGetProperty("reserved", out _));
        Assert.False(rows[0].Record.TryGetProperty("sourceVersion", out _));
        Assert.Equal("sku: empty cell (a missing figure is never taken as zero)", rows[1].Reason);
    }

    [Fact]
    public async Task AnExplicitDelimiterIsReadAsSet()
    {
        var feed = Drop();
        feed.Delimiter = "pipe";
        var path = Write("piped.csv", "SKU|Name, size|On Hand|Available\nRUG-1|Rug, 2x3|6|5\n");

        var row = Assert.Single(await ReadAsync(path, feed));

        Assert.Equal(("RUG-1", 6L, 5L), (row.Sku, row.Figure("onHand"), row.Figure("available")));
    }

    [Fact]
    public async Task TextThatIsNotUtf8FailsTheFileNamingTheLineButUtf16WithItsMarkIsRead()
    {
        // "纸巾" in GBK, as a Chinese ERP writes it unless told to export UTF-8.
        var gbk = Write("gbk.csv", [.. "SKU,Name,On Hand,Available\nTISSUE-1,"u8.ToArray(), 0xD6, 0xBD, 0xBD, 0xED, .. ",3,3\n"u8.ToArray()]);
        var failure = await Assert.ThrowsAsync<DropFileException>(() => ReadAsync(gbk, Drop()));
        Assert.Equal("line 2 is not UTF-8 text; export the file as UTF-8", failure.Message);

        var utf16 = Write("utf16.csv", [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes("SKU\tOn Hand\tAvailable\r\nTISSUE-1\t3\t2\r\n")]);
        var row = Assert.Single(await ReadAsync(utf16, Drop()));
        Assert.Equal(("TISSUE-1", 2L), (row.Sku, row.Figure("available")));
    }

    [Fact]
    public async Task AJsonExportIsReadRecordByRecordWithTheLineEachStartsOn()
    {
        var rows = await ReadAsync(Corpus("erp-records.json"), Drop());

        Assert.Equal([5, 12, 18], rows.Select(r => r.Line));
        Assert.Equal((11L, 10L, 1L), (rows[0].Figure("onHand"), rows[0].Figure("available"), rows[0].Figure("reserved")));
        // Its own property names read through the default spellings too.
        Assert.Equal(("VASE-GRN", "available: '\"three\"' is not a whole number"), (rows[1].Sku, rows[1].Reason));
        Assert.Equal(FileTime, rows[2].Record.GetProperty("sourceTime").GetDateTimeOffset());
        Assert.Null(rows[2].Reason);
    }

    [Theory]
    [InlineData("""{"records":[{"sku":"A-1","onHand":1,"available":1}""")]
    [InlineData("""[{"sku":"A-1","onHand":1,"available":1}]""")]
    [InlineData("""{"items":[{"sku":"A-1","onHand":1,"available":1}]}""")]
    [InlineData("""{"records":{"sku":"A-1"}}""")]
    [InlineData("""{"records":[]} {"records":[]}""")]
    [InlineData("")]
    public async Task AJsonFileNotOfTheShapeRecordsFailsWhole(string json)
    {
        var failure = await Assert.ThrowsAsync<DropFileException>(() => ReadAsync(Write("bad.json", json), Drop()));

        Assert.StartsWith("not JSON of the shape {\"records\": [...]}", failure.Message);
    }

    [Fact]
    public async Task AJsonFileInUtf16FailsWhole()
    {
        var path = Write("utf16.json", [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes("""{"records":[]}""")]);

        var failure = await Assert.ThrowsAsync<DropFileException>(() => ReadAsync(path, Drop()));

        Assert.Equal("the file is UTF-16 or UTF-32 text; export it as UTF-8", failure.Message);
    }

    [Fact]
    public async Task AJsonFileWithABytePastUtf8InsideAStringFailsWholeNamingTheLine()
    {
        // Found by the generated bad drop files: the JSON reader passed it, reading the record threw, and the poll failed with every file behind it.
        var path = Write("stray-byte.json", [.. "{\"records\":[\n{\"sku\":\"A\",\"available\":1},\n{\"sku\":\"B"u8, 0xA8, .. "\",\"available\":1}]}"u8]);

        var failure = await Assert.ThrowsAsync<DropFileException>(() => ReadAsync(path, Drop()));

        Assert.Equal("line 3 is not UTF-8 text; export the file as UTF-8", failure.Message);
    }

    [Fact]
    public async Task AJsonLinesLineThatIsNotUtf8IsThatLinesProblem()
    {
        var path = Write("stray-byte.jsonl", [.. "{\"sku\":\"A\",\"available\":1,\"onHand\":1}\n{\"sku\":\"B"u8, 0xA8, .. "\",\"available\":1}\n"u8]);

        var rows = await ReadAsync(path, Drop());

        Assert.Equal([(1L, (string?)null), (2L, "line: not UTF-8 text")], rows.Select(r => (r.Line, r.Reason is { } reason && reason.StartsWith("line:", StringComparison.Ordinal) ? reason : null)));
    }

    [Fact]
    public async Task JsonLinesAreReadLineByLineAndALineThatIsNotJsonIsThatLinesProblem()
    {
        var rows = await ReadAsync(Corpus("wms-stock.jsonl"), Drop());

        Assert.Equal([1, 2, 4, 5, 6], rows.Select(r => r.Line));
        Assert.Equal(("LAMP-WHT", 15L, 12L, 3L), (rows[0].Sku, rows[0].Figure("onHand"), rows[0].Figure("available"), rows[0].Figure("reserved")));
        Assert.StartsWith("line: not JSON (", rows[2].Reason);
        Assert.StartsWith("{\"item_code\":\"LAMP-RED\"", rows[2].Record.GetString());
        Assert.Equal("onHand: '\"seven\"' is not a whole number", rows[3].Reason);
        Assert.Equal(("LAMP-YEL", null), (rows[4].Sku, rows[4].Reason));
        Assert.False(rows[4].Record.TryGetProperty("dimensions", out _));
    }

    [Fact]
    public async Task AJsonLineLongerThanTheBoundIsThatLinesProblemAndTheNextLinesAreRead()
    {
        var huge = $$"""{"sku":"HUGE-1","note":"{{new string('x', 3 * DropFormats.MaxRecordBytes)}}","onHand":1,"available":1}""";
        var path = Write("long.jsonl", $$"""
            {"sku":"OK-1","onHand":1,"available":1}
            {{huge}}
            {"sku":"OK-2","onHand":2,"available":2}
            """);

        var rows = await ReadAsync(path, Drop());

        Assert.Equal([(1L, null), (2L, "line: longer than 1024 KiB"), (3L, null)], rows.Select(r => (r.Line, r.Reason)));
        Assert.Equal("OK-2", rows[2].Sku);
    }

    [Fact]
    public void NoDefaultHeaderSpellingMeansTwoFields()
    {
        var spellings = ExportFields.All.SelectMany(f => f.Spellings.Append(f.Name).Select(s => (Key: ExportFields.Key(s), f.Name)));

        Assert.Empty(spellings.GroupBy(s => s.Key).Where(g => g.Select(s => s.Name).Distinct().Count() > 1).Select(g => g.Key));
    }

    [Fact]
    public void AColumnMapOrWarehouseCodeThatCannotWorkStopsStartUpNamingTheKey()
    {
        var drop = Drop();
        drop.Columns = new() { ["qty"] = "Qty" };
        drop.WarehouseCodes = new() { ["LAX01"] = "us-lax-3pl" };
        drop.Delimiter = "colon";
        var options = new ConnectorOptions { LedgerAddress = new Uri("http://127.0.0.1:5101"), LedgerApiKey = new string('k', 24), Feeds = [drop] };

        var problems = options.Validate(new ValidationContext(options)).Select(r => r.ErrorMessage).ToList();

        Assert.Contains("Connector:Feeds:0:Columns:qty is not a field of ours (fields: sku, type, onHand, available, reserved, inbound, unsellable, sourceTime, sourceVersion, eventId, warehouse).", problems);
        Assert.Contains("Connector:Feeds:0:WarehouseCodes:LAX01 -> 'us-lax-3pl' is not the WarehouseId of any feed (give that warehouse a feed entry of its own, e.g. Source canonical).", problems);
        Assert.Contains("Connector:Feeds:0:Delimiter 'colon' is not one of auto, comma, semicolon, tab, pipe.", problems);
    }
}
