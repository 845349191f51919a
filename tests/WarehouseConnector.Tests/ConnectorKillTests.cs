using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Grpc.Net.Client;
using Stockcast.Connector.V1;
using Stockcast.Ledger.V1;
using Stockcast.Testing;
using Xunit.Abstractions;

namespace Stockcast.Connector.Tests;

/// <summary>
/// The connector as a real process, SIGKILLed in the middle of a sync and started again on the same
/// ports and Redis namespace, as Kubernetes restarts a crashed pod. Each test counts every unit end
/// to end against figures worked out without the connector: a record applied twice or lost fails it.
/// </summary>
[Trait(Lane.Name, Lane.Slow)]
public sealed class ConnectorKillTests(RedisServerFixture redis, ITestOutputHelper output) : IClassFixture<RedisServerFixture>
{
    private const string DropWarehouse = "us-erp";
    private const int DropSkus = 200;
    private const int LateSkus = 50;
    private const int DeltaFiles = 12;
    private const int LateSnapshotFile = 6;
    // More than the feed's 1000-record batches, so a kill can land between two batches of one file.
    private const int DeltasPerFile = 2500;
    private static readonly int[] DeltaChanges = [-2, -1, 1, 2, 3];

    private const string FbaWarehouse = "us-fba";
    private const string FbaToken = "Atza|connector-kill-test-token";
    private const string Marketplace = "ATVPDKIKX0DER";
    // Three pages of 50: a read takes three requests, and Amazon's burst allows two.
    private const int FbaSkus = 150;

    [Fact]
    public async Task AConnectorKilledMidDropAndRestartedAppliesEveryUnitExactlyOnce()
    {
        var folder = Directory.CreateTempSubdirectory("stockcast-kill-drop-").FullName;
        try
        {
            var (expected, records, refused) = WriteDrop(folder);
            using var ledger = await ServiceProcesses.StartLedgerAsync(redis.Configuration, DropWarehouse);
            using var ledgerChannel = TestChannels.WithApiKey(ledger.GrpcAddress, LedgerProcess.ReaderKey);
            var ledgerClient = new StockLedger.StockLedgerClient(ledgerChannel);
            var before = await RevisionAsync(ledgerClient);
            using var connector = new ConnectorProcess(redis.Configuration, ledger.GrpcAddress, LedgerProcess.WriterKey, new Dictionary<string, string>
            {
                ["Connector:Feeds:0:WarehouseId"] = DropWarehouse,
                ["Connector:Feeds:0:Source"] = "file-drop",
                ["Connector:Feeds:0:SettleSeconds"] = "0",
                ["Connector:Feeds:0:Folder"] = folder,
                ["Connector:Feeds:0:PollIntervalSeconds"] = "1",
            });
            await connector.StartAsync();

            // Every applied record is one ledger revision, so the revision says how far the drop got.
            foreach (var share in new[] { 0.2, 0.45, 0.7 })
            {
                var target = before + (long)(records * share);
                await Eventually.TrueAsync(async () => await RevisionAsync(ledgerClient) >= target, $"{share:P0} of the drop is applied");
                connector.Stop();
                var left = DropFilesLeft(folder);
                output.WriteLine($"killed at revision {await RevisionAsync(ledgerClient) - before} of {records}, {left} files left");
                Assert.True(left > 0, "the connector was killed before it had drained the drop");
                await connector.StartAsync();
            }
            await Eventually.TrueAsync(() => DropFilesLeft(folder) == 0, "the restarted connector has drained the drop");

            // A delta applied twice would be one revision more; a record lost, one fewer.
            Assert.Equal(records, await RevisionAsync(ledgerClient) - before);
            var found = await ledgerClient.BatchGetStockAsync(new BatchGetStockRequest
            {
                Keys = { expected.Keys.Select(sku => new StockKey { Sku = sku, WarehouseId = DropWarehouse }) },
            });
            Assert.Empty(found.Missing);
            var wrong = found.Records
                .Select(r => (r.Sku, Ledger: Figures.Of(r.Quantities), Expected: expected[r.Sku]))
                .Where(x => x.Ledger != x.Expected)
                .Select(x => $"{x.Sku}: ledger {x.Ledger}, expected {x.Expected}")
                .ToList();
            Assert.Empty(wrong);
            Assert.Equal(expected.Values.Sum(f => f.OnHand), found.Records.Sum(r => r.Quantities.OnHand));
            Assert.False(Directory.Exists(Path.Combine(folder, "failed")));
            // Each file's bad row was refused on every read of it, and is kept once.
            Assert.Equal(refused, await DeadLettersAsync(connector, DropWarehouse));
            Assert.Equal(records, await ServiceProcesses.MetricAsync(ledger, $"stockcast_ledger_events_total{{warehouse=\"{DropWarehouse}\",outcome=\"applied\"}}"));
            output.WriteLine($"{records} records applied once each; the ledger absorbed " +
                $"{await ServiceProcesses.MetricAsync(ledger, $"stockcast_ledger_events_total{{warehouse=\"{DropWarehouse}\",outcome=\"duplicate\"}}")} re-sent ones");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task AConnectorKilledMidReadOfAPolledApiAndRestartedLosesNoSale()
    {
        // The simulator's clock, and with it Amazon's quota (2 requests/s, burst 2), moves only when
        // the test advances it: a read of three pages is held at its third until then.
        using var sim = Simulator.OnLoopbackPort();
        var start = DateTimeOffset.UtcNow.AddMinutes(-10);
        var initialOnHand = Enumerable.Range(0, FbaSkus).ToDictionary(FbaSku, i => 50 + i % 11);
        var stock = string.Join(",", Enumerable.Range(0, FbaSkus).Select(i =>
            $$"""{"sku":"{{FbaSku(i)}}","onHand":{{initialOnHand[FbaSku(i)]}},"committed":{{i % 3}},"inbound":{{i % 4 * 5}}}"""));
        // Three SKUs in four sell, one to three units a second, until they sell out; the fourth never moves.
        var sales = string.Join(",", Enumerable.Range(0, FbaSkus).Where(i => i % 4 != 0).Select(i =>
            $$"""{"warehouse":"fba","sku":"{{FbaSku(i)}}","perHour":{{3600 * (1 + i % 3)}}}"""));
        await sim.LoadAsync($$"""
            {"start":"{{start:yyyy-MM-ddTHH:mm:ssZ}}",
             "warehouses":[{"id":"fba","kind":"AmazonFba","token":"{{FbaToken}}","externalId":"{{Marketplace}}","stock":[{{stock}}]}],
             "sales":[{{sales}}]}
            """);
        using var ledger = await ServiceProcesses.StartLedgerAsync(redis.Configuration, FbaWarehouse);
        using var ledgerChannel = TestChannels.WithApiKey(ledger.GrpcAddress, LedgerProcess.ReaderKey);
        var ledgerClient = new StockLedger.StockLedgerClient(ledgerChannel);
        using var connector = new ConnectorProcess(redis.Configuration, ledger.GrpcAddress, LedgerProcess.WriterKey, new Dictionary<string, string>
        {
            ["Connector:Feeds:0:WarehouseId"] = FbaWarehouse,
            ["Connector:Feeds:0:Source"] = "amazon-fba",
            ["Connector:Feeds:0:BaseUrl"] = sim.BaseAddress.ToString(),
            ["Connector:Feeds:0:Credentials"] = FbaToken,
            ["Connector:Feeds:0:ExternalId"] = Marketplace,
            ["Connector:Feeds:0:PollIntervalSeconds"] = "1",
        });
        await connector.StartAsync();

        // Kill 1: in the first (full) read, after two pages were applied, while the third waits for quota.
        await Eventually.TrueAsync(async () => await RateLimitWaitsAsync(connector) >= 1 && (await ServiceProcesses.LedgerStockAsync(ledgerClient, FbaWarehouse)).Count >= 100,
            "two pages are applied and the third is held up by the quota");
        connector.Stop();
        Assert.Equal(100, (await ServiceProcesses.LedgerStockAsync(ledgerClient, FbaWarehouse)).Count);

        // Sales go on while it is down; after the restart, time passes until a read has completed.
        await sim.AdvanceAsync(5);
        await connector.StartAsync();
        await WhileTimePassesAsync(sim, 1, async () => (await ServiceProcesses.LedgerStockAsync(ledgerClient, FbaWarehouse)).Count == FbaSkus, "a read after the restart has reached the last page");

        // Kill 2: more sales, then the clock stops. The connector reads at most two pages of them
        // before the quota holds it mid-read; it is killed there.
        await sim.AdvanceAsync(5);
        var waits = await RateLimitWaitsAsync(connector);
        await Eventually.TrueAsync(async () => await RateLimitWaitsAsync(connector) >= waits + 2, "the connector used the quota and is held up mid-read");
        connector.Stop();
        Assert.NotEmpty(ServiceProcesses.Differences(await ServiceProcesses.TruthAsync(sim, "fba"), await ServiceProcesses.LedgerStockAsync(ledgerClient, FbaWarehouse)));
        await connector.StartAsync();

        // Time passes until every selling SKU is sold out (the truth stops moving) and the ledger holds it.
        await WhileTimePassesAsync(sim, 3, async () =>
        {
            var truth = await ServiceProcesses.TruthAsync(sim, "fba");
            return truth.Where(t => FbaIndex(t.Sku) % 4 != 0).All(t => t.Available == 0)
                && ServiceProcesses.Differences(truth, await ServiceProcesses.LedgerStockAsync(ledgerClient, FbaWarehouse)).Count == 0;
        }, "every SKU is sold out and the ledger holds what the warehouse holds", TimeSpan.FromSeconds(45));

        var final = await ServiceProcesses.TruthAsync(sim, "fba");
        var held = await ServiceProcesses.LedgerStockAsync(ledgerClient, FbaWarehouse);
        Assert.Empty(ServiceProcesses.Differences(final, held));
        // Every unit is accounted for: what was there at the start is what the ledger holds plus what was sold.
        var unaccounted = final
            .Where(t => initialOnHand[t.Sku] != held[t.Sku].OnHand + t.Sold + t.RemovedByStockOut - t.Adjusted)
            .Select(t => $"{t.Sku}: started with {initialOnHand[t.Sku]}, ledger holds {held[t.Sku].OnHand}, sold {t.Sold}")
            .ToList();
        Assert.Empty(unaccounted);
        Assert.True(final.Sum(t => t.Sold) > 1000, "sales flowed throughout");
        Assert.Equal(0, await DeadLettersAsync(connector, FbaWarehouse));
        output.WriteLine($"{final.Sum(t => t.Sold)} units sold, {connector.Starts} starts; the ledger absorbed " +
            $"{await ServiceProcesses.MetricAsync(ledger, $"stockcast_ledger_events_total{{warehouse=\"{FbaWarehouse}\",outcome=\"duplicate\"}}")} re-read snapshots");
    }

    private static string FbaSku(int i) => $"FBA-{i:D3}";

    private static int FbaIndex(string sku) => int.Parse(sku.AsSpan(4), CultureInfo.InvariantCulture);

    /// <summary>
    /// An ERP's exports, oldest first: a snapshot of 200 SKUs, then 12 files of signed deltas (CSV and
    /// JSON by turns, each with its own event id and one malformed row), the sixth also bringing
    /// snapshots of 50 new SKUs. Returns the figures every SKU must end with (snapshot plus every
    /// delta, once), how many records are to be applied, and how many refused.
    /// </summary>
    private static (Dictionary<string, Figures> Expected, int Records, int Refused) WriteDrop(string folder)
    {
        var t0 = DateTimeOffset.UtcNow.AddHours(-1);
        var expected = new Dictionary<string, Figures>();
        var skus = new List<string>();
        var records = 0;
        var snapshot = new JsonArray();
        for (var i = 0; i < DropSkus; i++)
        {
            var sku = $"DROP-{i:D3}";
            skus.Add(sku);
            expected[sku] = new Figures(1000, 1000 - i % 3, i % 3, i % 5 * 10);
            snapshot.Add(SnapshotRecord(sku, expected[sku], t0, version: 1));
        }
        WriteFile(folder, "00-snapshot.json", new JsonObject { ["records"] = snapshot }.ToJsonString(), t0);
        records += DropSkus;

        for (var f = 1; f <= DeltaFiles; f++)
        {
            var at = t0.AddSeconds(f);
            var rows = new List<JsonObject>();
            if (f == LateSnapshotFile)
            {
                // New SKUs arrive mid-drop, in the same file as deltas for them: a re-read must not reset those.
                for (var i = 0; i < LateSkus; i++)
                {
                    var sku = $"LATE-{i:D2}";
                    skus.Add(sku);
                    expected[sku] = new Figures(500, 500, 0, 0);
                    rows.Add(SnapshotRecord(sku, expected[sku], at, version: null));
                }
            }
            for (var r = 0; r < DeltasPerFile; r++)
            {
                var g = f * DeltasPerFile + r;
                var sku = skus[g % skus.Count];
                var change = DeltaChanges[g % DeltaChanges.Length];
                var before = expected[sku];
                expected[sku] = before with { OnHand = before.OnHand + change, Available = before.Available + change };
                rows.Add(new JsonObject
                {
                    ["sku"] = sku, ["type"] = "delta", ["eventId"] = $"f{f:D2}-r{r:D4}",
                    ["onHand"] = change, ["available"] = change, ["sourceTime"] = at.ToString("O", CultureInfo.InvariantCulture),
                });
            }
            records += rows.Count;
            rows.Insert(rows.Count / 2, new JsonObject
            {
                ["sku"] = skus[f], ["type"] = "delta", ["eventId"] = $"f{f:D2}-bad", ["onHand"] = 1, ["available"] = "ten",
                ["sourceTime"] = at.ToString("O", CultureInfo.InvariantCulture),
            });
            if (f % 2 == 0)
            {
                WriteFile(folder, $"{f:D2}-deltas.csv", Csv(rows), t0.AddMinutes(f));
            }
            else
            {
                WriteFile(folder, $"{f:D2}-deltas.json", new JsonObject { ["records"] = new JsonArray([.. rows]) }.ToJsonString(), t0.AddMinutes(f));
            }
        }
        return (expected, records, DeltaFiles);
    }

    private static JsonObject SnapshotRecord(string sku, Figures figures, DateTimeOffset at, long? version)
    {
        var record = new JsonObject
        {
            ["sku"] = sku, ["type"] = "snapshot", ["onHand"] = figures.OnHand, ["available"] = figures.Available,
            ["reserved"] = figures.Reserved, ["inbound"] = figures.Inbound, ["sourceTime"] = at.ToString("O", CultureInfo.InvariantCulture),
        };
        if (version is { } v)
        {
            record["sourceVersion"] = v;
        }
        return record;
    }

    private static string Csv(List<JsonObject> rows)
    {
        string[] columns = ["sku", "type", "onHand", "available", "reserved", "inbound", "sourceTime", "sourceVersion", "eventId"];
        var csv = new StringBuilder().AppendLine(string.Join(',', columns));
        foreach (var row in rows)
        {
            csv.AppendLine(string.Join(',', columns.Select(c => row[c]?.ToString() ?? "")));
        }
        return csv.ToString();
    }

    /// <summary>Files are read oldest first: the modification time fixes the order.</summary>
    private static void WriteFile(string folder, string name, string content, DateTimeOffset modified)
    {
        var path = Path.Combine(folder, name);
        File.WriteAllText(path, content);
        File.SetLastWriteTimeUtc(path, modified.UtcDateTime);
    }

    private static int DropFilesLeft(string folder)
        => Directory.EnumerateFiles(folder).Count(f => f.EndsWith(".csv", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal));

    /// <summary>The ledger's revision: one per change applied, from one atomic read.</summary>
    private static async Task<long> RevisionAsync(StockLedger.StockLedgerClient ledger)
        => (await ledger.BatchGetStockAsync(new BatchGetStockRequest { Keys = { new StockKey { Sku = "REVISION-PROBE", WarehouseId = DropWarehouse } } })).Revision;

    /// <summary>Waits for a condition while scenario time passes: each look first advances the simulator (sales, quota).</summary>
    private static Task WhileTimePassesAsync(Simulator sim, int secondsPerLook, Func<Task<bool>> condition, string what, TimeSpan? deadline = null)
        => Eventually.TrueAsync(async () =>
        {
            await sim.AdvanceAsync(secondsPerLook);
            return await condition();
        }, what, deadline);

    private static Task<double> RateLimitWaitsAsync(ConnectorProcess connector)
        => ServiceProcesses.MetricAsync(connector, $"stockcast_connector_rate_limit_waits_total{{warehouse=\"{FbaWarehouse}\"}}");

    private static async Task<long> DeadLettersAsync(ConnectorProcess connector, string warehouse)
    {
        using var channel = TestChannels.WithApiKey(connector.GrpcAddress, ConnectorProcess.ReaderKey);
        var feeds = await new WarehouseConnector.WarehouseConnectorClient(channel).ListFeedsAsync(new ListFeedsRequest());
        return feeds.Feeds.Single(f => f.WarehouseId == warehouse).DeadLetters;
    }
}
