using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Stockcast.Bench;

/// <summary>
/// A large file drop through the warehouse-connector: one CSV and one JSON export of --records
/// snapshot records (one per SKU) land in the file-drop feed's folder. The SKUs are created in the
/// ledger first (untimed), so each drop updates records the ledger knows, as a warehouse's nightly
/// export restates its stock; the JSON drop carries newer versions than the CSV one. The clock runs from the
/// file landing (an atomic rename into the folder, as an ERP's export should arrive) until the
/// ledger's Watch, filtered to that warehouse, has delivered a change for every record and the
/// connector has moved the file to processed/. That is everything the connector does with a drop:
/// wait for its next poll (PollIntervalSeconds), read and parse the whole file, normalise and
/// validate each row, deliver 1000-record batches to ApplyStockEvents one after another, and
/// record the feed's status; plus the ledger's apply and its change feed. Records/s = records /
/// (last change - landing). An untimed drop of the first --warmup-records SKUs per format runs
/// first, so the freshly started connector's JIT is warm. With --bad-percent P, every (100/P)th row
/// has a malformed on hand ("12 pcs"): the connector dead-letters it and applies the rest; the clock
/// runs until the good rows' changes are on the Watch, and records/s counts every row read.
/// </summary>
public static class FileDropScenario
{
    private const string SkuPrefix = "DROP-";

    // A count as some warehouse exports write it: refused by validation, dead-lettered.
    private const string BadOnHand = "12 pcs";

    public sealed record Settings(string Folder, string Warehouse, int Records, int WarmupRecords, string[] Formats, double TimeoutSeconds, double BadPercent)
    {
        public static Settings From(BenchArgs a) => new(
            a.Str("folder", ""), a.Str("warehouse", "cn-drop"), a.Int("records", 100_000), a.Int("warmup-records", 10_000),
            a.Str("formats", "csv,json").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), a.Double("timeout", 120),
            a.Double("bad-percent", 0));

        /// <summary>Every how many rows one is bad (0: none).</summary>
        public int BadEvery => BadPercent > 0 ? (int)Math.Round(100 / BadPercent) : 0;

        public bool IsBad(int row) => BadEvery > 0 && row % BadEvery == BadEvery - 1;

        /// <summary>How many of the first <paramref name="records"/> rows are good: each is one change on the Watch.</summary>
        public int Good(int records) => BadEvery > 0 ? records - records / BadEvery : records;
    }

    private sealed record Drop(long LandedAt, long FirstAt, long LastAt, long Delivered, bool Complete, bool Processed, double FileMiB);

    public static async Task RunAsync(Settings s, Ledger ledger, ConnectorUnderTest connector, Results results, CpuMeter cpu)
    {
        if (!Directory.Exists(s.Folder))
        {
            throw new ArgumentException($"--folder '{s.Folder}' does not exist (the connector's file-drop folder)");
        }
        if (s.Formats.Any(f => f is not ("csv" or "json")))
        {
            throw new ArgumentException("--formats: csv and/or json");
        }
        Console.WriteLine($"filedrop: {string.Join(" and ", s.Formats)} drops of {s.Records} records into {s.Folder} (warehouse {s.Warehouse}), "
            + $"after an untimed {s.WarmupRecords}-record drop of each");
        using var hardStop = new CancellationTokenSource(TimeSpan.FromSeconds((s.TimeoutSeconds + 30) * s.Formats.Length * 2));
        var counter = new LedgerChangeCounter();
        using var stopWatch = CancellationTokenSource.CreateLinkedTokenSource(hardStop.Token);
        await LedgerSeed.PopulateAsync(ledger, s.Warehouse, [.. Enumerable.Range(0, s.Records).Select(i => Catalog.Sku(SkuPrefix, i))], hardStop.Token);
        await counter.StartAsync(ledger, [s.Warehouse], stopWatch.Token);

        if (s.WarmupRecords > 0)
        {
            foreach (var format in s.Formats)
            {
                var warm = await DropAsync(s, counter, format, Math.Min(s.WarmupRecords, s.Records), hardStop.Token, atLanding: null);
                Console.WriteLine($"  warm-up {format}: {s.WarmupRecords} records in {Clock.Seconds(warm.LandedAt):F1} s (complete: {warm.Complete})");
            }
        }

        foreach (var format in s.Formats)
        {
            var before = await connector.FeedAsync(s.Warehouse);
            var drop = await DropAsync(s, counter, format, s.Records, hardStop.Token, atLanding: cpu.Start);
            var split = cpu.Stop();
            var after = await connector.FeedAsync(s.Warehouse);

            var seconds = Seconds(drop.LandedAt, drop.LastAt);
            var prefix = format + "_";
            results.Add(prefix + "records", s.Records);
            results.Add(prefix + "file_mib", drop.FileMiB, "F1");
            results.Add(prefix + "delivered", drop.Delivered);
            results.Add(prefix + "complete", drop.Complete && drop.Processed ? "yes" : "NO");
            results.Add(prefix + "seconds", seconds, "F2");
            results.Add(prefix + "bad_percent", s.BadPercent, "F1");
            // Every row read counts, good or dead-lettered: the rate the connector gets through an export.
            results.Add(prefix + "records_per_s", s.Records / seconds);
            // Landing -> first change: the wait for the next poll, reading and parsing the whole file,
            // and the first batch's normalisation and delivery.
            results.Add(prefix + "first_change_ms", Seconds(drop.LandedAt, drop.FirstAt) * 1000, "F0");
            results.Add(prefix + "records_per_s_after_first", s.Records / Math.Max(1e-3, Seconds(drop.FirstAt, drop.LastAt)));
            results.Add(prefix + "connector_received", after.RecordsReceived - before.RecordsReceived);
            results.Add(prefix + "connector_applied", after.RecordsApplied - before.RecordsApplied);
            results.Add(prefix + "dead_lettered", after.RecordsDeadLettered - before.RecordsDeadLettered);
            results.AddCpu(split, prefix);
            if (!drop.Complete || !drop.Processed)
            {
                Console.Error.WriteLine($"  {format}: {drop.Delivered} of {s.Good(s.Records)} changes seen, file processed: {drop.Processed}, within {s.TimeoutSeconds} s");
            }
        }
        await stopWatch.CancelAsync();
        await counter.Task;
    }

    /// <summary>Writes the export beside the folder's pattern, renames it in, and waits for every change and the move to processed/.</summary>
    private static async Task<Drop> DropAsync(Settings s, LedgerChangeCounter counter, string format, int records, CancellationToken cancel, Action? atLanding)
    {
        // A version above what the previous drop (and an earlier run against the same ledger) stored.
        var version = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var sourceTime = DateTimeOffset.UtcNow.AddSeconds(-1).ToString("O", CultureInfo.InvariantCulture);
        var content = format == "csv" ? Csv(s, records, sourceTime, version) : Json(s, records, sourceTime, version);
        var name = $"bench-{format}-{version}.{format}";
        // The connector takes only *.csv / *.json: written under another name, the file appears whole.
        var partial = Path.Combine(s.Folder, name + ".part");
        await File.WriteAllBytesAsync(partial, content, cancel);

        var before = counter.Changes;
        counter.ResetFirst();
        var processed = Path.Combine(s.Folder, "processed", name);
        atLanding?.Invoke();
        var landedAt = Stopwatch.GetTimestamp();
        File.Move(partial, Path.Combine(s.Folder, name));
        await counter.WaitForAsync(before + s.Good(records), TimeSpan.FromSeconds(s.TimeoutSeconds), cancel, () => File.Exists(processed));
        var delivered = counter.Changes - before;
        return new Drop(landedAt, counter.FirstAt, counter.LastAt, delivered, delivered == s.Good(records), File.Exists(processed), content.Length / 1048576.0);
    }

    private static (long OnHand, long Available, long Reserved, long Inbound) Quantities(int i)
    {
        var onHand = (i * 7L) % 1000;
        return (onHand, onHand * 9 / 10, onHand / 10, i % 50);
    }

    private static byte[] Csv(Settings s, int records, string sourceTime, long version)
    {
        var text = new StringBuilder(records * 64);
        text.Append("sku,type,onHand,available,reserved,inbound,unsellable,sourceTime,sourceVersion\n");
        for (var i = 0; i < records; i++)
        {
            var (onHand, available, reserved, inbound) = Quantities(i);
            var onHandText = s.IsBad(i) ? BadOnHand : onHand.ToString(CultureInfo.InvariantCulture);
            text.Append(CultureInfo.InvariantCulture, $"{Catalog.Sku(SkuPrefix, i)},snapshot,{onHandText},{available},{reserved},{inbound},0,{sourceTime},{version}\n");
        }
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static byte[] Json(Settings s, int records, string sourceTime, long version)
    {
        var buffer = new ArrayBufferWriter<byte>(records * 160);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("records");
            for (var i = 0; i < records; i++)
            {
                var (onHand, available, reserved, inbound) = Quantities(i);
                json.WriteStartObject();
                json.WriteString("sku", Catalog.Sku(SkuPrefix, i));
                json.WriteString("type", "snapshot");
                if (s.IsBad(i))
                {
                    json.WriteString("onHand", BadOnHand);
                }
                else
                {
                    json.WriteNumber("onHand", onHand);
                }
                json.WriteNumber("available", available);
                json.WriteNumber("reserved", reserved);
                json.WriteNumber("inbound", inbound);
                json.WriteNumber("unsellable", 0);
                json.WriteString("sourceTime", sourceTime);
                json.WriteNumber("sourceVersion", version);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static double Seconds(long from, long to) => to <= from ? double.NaN : (to - from) / (double)Stopwatch.Frequency;
}
