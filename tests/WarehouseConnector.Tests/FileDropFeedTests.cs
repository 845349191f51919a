using Stockcast.Connector.V1;
using Stockcast.Testing;

namespace Stockcast.Connector.Tests;

/// <summary>An ERP's nightly CSV/JSON exports dropped into a folder.</summary>
public sealed class FileDropFeedTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private const string Warehouse = "us-drop";
    private readonly string _folder = Directory.CreateTempSubdirectory("stockcast-drop-").FullName;
    private ConnectorHost _host = null!;

    public async Task InitializeAsync() => _host = await ConnectorHost.StartAsync(redis.Configuration, new Dictionary<string, string?>
    {
        ["Connector:Feeds:2:WarehouseId"] = Warehouse,
        ["Connector:Feeds:2:Source"] = "file-drop",
        ["Connector:Feeds:2:SettleSeconds"] = "0",
        ["Connector:Feeds:2:Folder"] = _folder,
        ["Connector:Feeds:2:PollIntervalSeconds"] = "3600",
    });

    public Task DisposeAsync()
    {
        _host.Dispose();
        Directory.Delete(_folder, recursive: true);
        return Task.CompletedTask;
    }

    private Task<TriggerFullSyncResponse> SyncAsync() => _host.Client().TriggerFullSyncAsync(new TriggerFullSyncRequest { WarehouseId = Warehouse }).ResponseAsync;

    private static string Now => DateTimeOffset.UtcNow.AddSeconds(-5).ToString("O");

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

        var letter = Assert.Single((await _host.Client().ListDeadLettersAsync(new ListDeadLettersRequest { WarehouseId = Warehouse })).DeadLetters);
        Assert.StartsWith("available: '\"ten\"' is not a whole number", letter.Reason);
        Assert.Equal(8, (await _host.LedgerRecordAsync(Warehouse, "CSV-1"))!.Quantities.Available);
        Assert.Equal(40, (await _host.LedgerRecordAsync(Warehouse, "CSV-2"))!.Quantities.Inbound);
        Assert.Null(await _host.LedgerRecordAsync(Warehouse, "CSV-3"));
        Assert.True(File.Exists(Path.Combine(_folder, "processed", "stock-2026-11-25.csv")));
    }

    [Fact]
    public async Task AJsonExportIsAppliedAndAnUnreadableFileMovesToFailedWithNothingApplied()
    {
        await File.WriteAllTextAsync(Path.Combine(_folder, "a.json"), $$"""{"records":[{"sku":"JSON-1","available":3,"onHand":3,"sourceTime":"{{Now}}"}]}""");
        await File.WriteAllTextAsync(Path.Combine(_folder, "b.json"), $$"""{"records":[{"sku":"BROKEN-1","available":3,"sourceTime":"{{Now}}"}""");

        await SyncAsync();

        Assert.Equal(3, (await _host.LedgerRecordAsync(Warehouse, "JSON-1"))!.Quantities.Available);
        Assert.Null(await _host.LedgerRecordAsync(Warehouse, "BROKEN-1"));
        Assert.True(File.Exists(Path.Combine(_folder, "failed", "b.json")));
        Assert.Empty(Directory.GetFiles(_folder));
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
