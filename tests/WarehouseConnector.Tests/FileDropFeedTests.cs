using System.Text.Json;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Stockcast.Connector.V1;
using Stockcast.Testing;

namespace Stockcast.Connector.Tests;

/// <summary>
/// ERP exports dropped into folders, through the connector into the ledger: us-drop reads the common
/// header spellings and routes its exports' warehouse codes (LAX01 is itself, NJ02 is us-erp);
/// eu-drop reads a German ERP's headers through its column map.
/// </summary>
public sealed class FileDropFeedTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private const string Warehouse = "us-drop";
    private const string GermanWarehouse = "eu-drop";
    private readonly string _folder = Directory.CreateTempSubdirectory("stockcast-drop-").FullName;
    private readonly string _germanFolder = Directory.CreateTempSubdirectory("stockcast-drop-de-").FullName;
    private ConnectorHost _host = null!;

    public async Task InitializeAsync() => _host = await ConnectorHost.StartAsync(redis.Configuration, new Dictionary<string, string?>
    {
        ["Connector:Feeds:2:WarehouseId"] = Warehouse,
        ["Connector:Feeds:2:Source"] = "file-drop",
        ["Connector:Feeds:2:SettleSeconds"] = "0",
        ["Connector:Feeds:2:Folder"] = _folder,
        ["Connector:Feeds:2:PollIntervalSeconds"] = "3600",
        ["Connector:Feeds:2:WarehouseCodes:LAX01"] = Warehouse,
        ["Connector:Feeds:2:WarehouseCodes:NJ02"] = "us-erp",
        ["Connector:Feeds:3:WarehouseId"] = GermanWarehouse,
        ["Connector:Feeds:3:Source"] = "file-drop",
        ["Connector:Feeds:3:SettleSeconds"] = "0",
        ["Connector:Feeds:3:Folder"] = _germanFolder,
        ["Connector:Feeds:3:PollIntervalSeconds"] = "3600",
        ["Connector:Feeds:3:Columns:sku"] = "Artikelnummer",
        ["Connector:Feeds:3:Columns:onHand"] = "Bestand",
        ["Connector:Feeds:3:Columns:available"] = "Verfügbar",
        ["Connector:Feeds:3:Columns:reserved"] = "Reserviert",
        ["Connector:Feeds:3:Columns:inbound"] = "Zulauf",
    });

    public Task DisposeAsync()
    {
        _host.Dispose();
        Directory.Delete(_folder, recursive: true);
        Directory.Delete(_germanFolder, recursive: true);
        return Task.CompletedTask;
    }

    private Task<TriggerFullSyncResponse> SyncAsync(string warehouse = Warehouse) => _host.Client().TriggerFullSyncAsync(new TriggerFullSyncRequest { WarehouseId = warehouse }).ResponseAsync;

    private static string Now => DateTimeOffset.UtcNow.AddSeconds(-5).ToString("O");

    /// <summary>Puts an export of the corpus (ErpExports/) into a drop folder.</summary>
    private static void Drop(string export, string folder) => File.Copy(Path.Combine(AppContext.BaseDirectory, "ErpExports", export), Path.Combine(folder, export));

    private async Task<List<DeadLetter>> DeadLettersAsync(string warehouse = Warehouse)
        => [.. (await _host.Client().ListDeadLettersAsync(new ListDeadLettersRequest { WarehouseId = warehouse })).DeadLetters.OrderBy(Where, StringComparer.Ordinal)];

    /// <summary>A drop's dead letter as an operator reads it: the file and line it came from, then the reason.</summary>
    private static string Where(DeadLetter letter) => $"{letter.Origin}: {letter.Reason}";

    private async Task<(long OnHand, long Available, long Reserved, long Inbound)?> FiguresAsync(string warehouse, string sku)
        => await _host.LedgerRecordAsync(warehouse, sku) is { Quantities: var q } ? (q.OnHand, q.Available, q.Reserved, q.Inbound) : null;

    private double DropRows(string outcome) => _host.Services.GetRequiredService<ConnectorMetrics>().DropRows.WithLabels(Warehouse, outcome).Value;

    private double DropFiles(string outcome) => _host.Services.GetRequiredService<ConnectorMetrics>().DropFiles.WithLabels(Warehouse, outcome).Value;

    [Fact]
    public async Task ACsvExportIsAppliedRowByRowAndItsBadRowDeadLettered()
    {
        await File.WriteAllLinesAsync(Path.Combine(_folder, "stock-2026-11-25.csv"),
        [
            "sku,onHand,available,reserved,inbound,sourceTime,sourceVersion",
            $"CSV-1,10,8,2,0,{Now},1",
            $"CSV-2,5,5,0,40,{Now},1",
            $"CSV-3,7,ten,0,0,{Now},1",
        ]);

        // The read at start may already have taken the file; a full sync waits for it either way.
        await SyncAsync();

        var letter = Assert.Single(await DeadLettersAsync());
        Assert.Equal("stock-2026-11-25.csv line 4: available: '\"ten\"' is not a whole number", Where(letter));
        Assert.Equal(8, (await _host.LedgerRecordAsync(Warehouse, "CSV-1"))!.Quantities.Available);
        Assert.Equal(40, (await _host.LedgerRecordAsync(Warehouse, "CSV-2"))!.Quantities.Inbound);
        Assert.Null(await _host.LedgerRecordAsync(Warehouse, "CSV-3"));
        Assert.True(File.Exists(Path.Combine(_folder, "processed", "stock-2026-11-25.csv")));
    }

    [Fact]
    public async Task AnErpReportIsAppliedItsBadRowsDeadLetteredByLineAndItsSummaryKeptBesideIt()
    {
        Drop("us-erp-inventory.csv", _folder);

        await SyncAsync();

        Assert.Equal((120L, 96L, 24L, 0L), await FiguresAsync(Warehouse, "TEE-OVERSIZE-WHT-M"));
        Assert.Equal((40L, 35L, 5L, 60L), await FiguresAsync(Warehouse, "HOODIE-BLK-L"));
        Assert.Equal((18L, 18L, 0L, 0L), await FiguresAsync(Warehouse, "MUG-RED-12OZ"));
        Assert.Equal((4L, 4L, 0L, 12L), await FiguresAsync(Warehouse, "TV-STAND-55"));
        Assert.Null(await FiguresAsync(Warehouse, "SCARF-GRY"));
        Assert.Equal(
        [
            "us-erp-inventory.csv line 7: available: empty cell (a missing figure is never taken as zero)",
            "us-erp-inventory.csv line 8: onHand: '\"n/a\"' is not a whole number",
        ], (await DeadLettersAsync()).Select(Where));

        var processed = Path.Combine(_folder, "processed");
        Assert.True(File.Exists(Path.Combine(processed, "us-erp-inventory.csv")));
        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(processed, "us-erp-inventory.csv.summary.json")));
        var s = summary.RootElement;
        Assert.Equal((6, 4, 2, 0), (s.GetProperty("rowsRead").GetInt32(), s.GetProperty("applied").GetInt32(), s.GetProperty("deadLettered").GetInt32(), s.GetProperty("unchanged").GetInt32()));
        Assert.Equal([7, 8], s.GetProperty("deadLetters").EnumerateArray().Select(l => l.GetProperty("line").GetInt32()));
        Assert.Equal((6, 4, 2, 0, 1), (DropRows("read"), DropRows("applied"), DropRows("dead_lettered"), DropRows("unchanged"), DropFiles("processed")));
    }

    [Fact]
    public async Task TheSameExportDroppedAgainChangesNothingAndLeavesOneDeadLetterPerBadRow()
    {
        Drop("us-erp-inventory.csv", _folder);
        await SyncAsync();
        Drop("us-erp-inventory.csv", _folder);

        var again = await SyncAsync();

        Assert.Equal((6, 0, 2), (again.RecordsReceived, again.RecordsApplied, again.RecordsDeadLettered));
        Assert.Equal(2, (await DeadLettersAsync()).Count);
        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_folder, "processed", "us-erp-inventory.csv.summary.json")));
        Assert.Equal(4, summary.RootElement.GetProperty("unchanged").GetInt32());
        Assert.Equal((8, 4), (DropRows("unchanged") + DropRows("applied"), DropRows("unchanged")));
    }

    [Fact]
    public async Task AGermanSemicolonExportIsAppliedThroughTheFeedsColumnMap()
    {
        Drop("de-wawi-bestand.csv", _germanFolder);

        await SyncAsync(GermanWarehouse);

        Assert.Equal((24L, 20L, 4L, 0L), await FiguresAsync(GermanWarehouse, "TASSE-ROT"));
        Assert.Equal((10L, 10L, 0L, 50L), await FiguresAsync(GermanWarehouse, "SCHAL-GRAU"));
        Assert.Equal((5L, 5L, 0L, 0L), await FiguresAsync(GermanWarehouse, "MUETZE-BLAU"));
        Assert.Empty(await DeadLettersAsync(GermanWarehouse));
    }

    [Fact]
    public async Task AnExportForSeveralWarehousesIsAppliedToEachThroughTheCodeMapAndAnUnknownCodeIsDeadLettered()
    {
        Drop("3pl-multi-warehouse.tsv", _folder);
        Drop("cn-erp-inventory.csv", _folder);

        await SyncAsync();

        Assert.Equal((30L, 28L, 2L, 0L), await FiguresAsync(Warehouse, "CAP-NAVY"));
        Assert.Equal((12L, 12L, 0L, 24L), await FiguresAsync("us-erp", "CAP-NAVY"));
        Assert.Equal((80L, 80L, 0L, 0L), await FiguresAsync(Warehouse, "SOCKS-3PK"));
        Assert.Equal((50L, 42L, 8L, 100L), await FiguresAsync(Warehouse, "BAG-PINK-S"));
        Assert.Equal((20L, 20L, 0L, 0L), await FiguresAsync("us-erp", "BAG-PINK-M"));
        Assert.Equal(
        [
            "3pl-multi-warehouse.tsv line 4: warehouse: code 'TX09' is not in the feed's WarehouseCodes, nor a warehouse of ours",
            "3pl-multi-warehouse.tsv line 6: warehouse: empty cell (say which warehouse the row is for)",
        ], (await DeadLettersAsync()).Select(Where));
        Assert.Empty(await DeadLettersAsync("us-erp"));
        // The routed rows count for the warehouse they were applied to, like any of its records.
        Assert.Equal(2, (await _host.Client().ListFeedsAsync(new ListFeedsRequest())).Feeds.Single(f => f.WarehouseId == "us-erp").RecordsApplied);
    }

    [Fact]
    public async Task AnExportWithoutARequiredColumnMovesToFailedWithItsReasonAndNothingOfItApplied()
    {
        Drop("missing-available.csv", _folder);

        await SyncAsync();

        Assert.Null(await FiguresAsync(Warehouse, "BELT-BRN"));
        Assert.True(File.Exists(Path.Combine(_folder, "failed", "missing-available.csv")));
        Assert.Equal("missing-available.csv cannot be parsed; nothing of it was applied: no column for available (name it with Columns:available); "
            + "the header has 'Item Code', 'Description', 'Qty On Hand', 'Bin'",
            (await File.ReadAllTextAsync(Path.Combine(_folder, "failed", "missing-available.csv.error.txt"))).TrimEnd());
        Assert.Empty(Directory.GetFiles(_folder));
        Assert.Equal((1, 0), (DropFiles("failed"), DropRows("read")));
    }

    [Fact]
    public async Task JsonLinesAreAppliedLineByLineAndAMalformedLineIsDeadLetteredWithItsNumber()
    {
        Drop("wms-stock.jsonl", _folder);

        await SyncAsync();

        Assert.Equal((15L, 12L, 3L, 0L), await FiguresAsync(Warehouse, "LAMP-WHT"));
        Assert.Equal((9L, 9L, 0L, 0L), await FiguresAsync(Warehouse, "LAMP-BLK"));
        Assert.Equal((6L, 6L, 0L, 0L), await FiguresAsync(Warehouse, "LAMP-YEL"));
        var letters = await DeadLettersAsync();
        Assert.Equal(2, letters.Count);
        Assert.StartsWith("wms-stock.jsonl line 4: line: not JSON (", Where(letters[0]));
        Assert.Equal("wms-stock.jsonl line 5: onHand: '\"seven\"' is not a whole number", Where(letters[1]));
    }

    [Fact]
    public async Task AJsonExportIsAppliedAndAnUnreadableFileMovesToFailedWithNothingApplied()
    {
        await File.WriteAllTextAsync(Path.Combine(_folder, "a.json"), $$"""{"records":[{"sku":"JSON-1","available":3,"onHand":3,"sourceTime":"{{Now}}"}]}""");
        await File.WriteAllTextAsync(Path.Combine(_folder, "b.json"), $$"""{"records":[{"sku":"BROKEN-1","available":3,"onHand":3,"sourceTime":"{{Now}}"}""");

        await SyncAsync();

        Assert.Equal(3, (await _host.LedgerRecordAsync(Warehouse, "JSON-1"))!.Quantities.Available);
        Assert.Null(await _host.LedgerRecordAsync(Warehouse, "BROKEN-1"));
        Assert.True(File.Exists(Path.Combine(_folder, "failed", "b.json")));
        Assert.StartsWith("b.json cannot be parsed; nothing of it was applied: not JSON of the shape {\"records\": [...]}",
            await File.ReadAllTextAsync(Path.Combine(_folder, "failed", "b.json.error.txt")));
        Assert.Empty(Directory.GetFiles(_folder));
    }

    [Fact]
    public async Task AFileThatCannotBeReadNowStaysInTheFolderAndIsTakenAtALaterRead()
    {
        var file = Path.Combine(_folder, "held.json");
        await File.WriteAllTextAsync(file, $$"""{"records":[{"sku":"HELD-1","available":6,"onHand":6,"sourceTime":"{{Now}}"}]}""");

        // An exporter that holds its file exclusively: opening it fails with an I/O error until it lets go.
        using (new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
        {
            var refused = await Assert.ThrowsAsync<RpcException>(() => SyncAsync());
            Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
            Assert.Contains("held.json", refused.Status.Detail);
        }
        Assert.True(File.Exists(file));
        Assert.False(Directory.Exists(Path.Combine(_folder, "failed")));
        Assert.Null(await _host.LedgerRecordAsync(Warehouse, "HELD-1"));

        await SyncAsync();
        Assert.Equal(6, (await _host.LedgerRecordAsync(Warehouse, "HELD-1"))!.Quantities.Available);
        Assert.True(File.Exists(Path.Combine(_folder, "processed", "held.json")));
    }

    [Fact]
    public async Task AFileStillBeingWrittenIsLeftAloneUntilItHasSettled()
    {
        var file = Path.Combine(_folder, "growing.json");
        await File.WriteAllTextAsync(file, $$"""{"records":[{"sku":"GROW-1","available":4,"onHand":4,"sourceTime":"{{Now}}"}]}""");
        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddMinutes(5)); // as if the exporter were still writing

        var early = await SyncAsync();
        Assert.Equal(0, early.RecordsReceived);
        Assert.True(File.Exists(file));

        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddMinutes(-1));
        await SyncAsync();
        Assert.Equal(4, (await _host.LedgerRecordAsync(Warehouse, "GROW-1"))!.Quantities.Available);
    }
}
