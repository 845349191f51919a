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
/// first, so the freshly started connector's JIT is warm. --file-mib sets each timed drop's size:
/// every row then carries a note column (ignored by the connector, as an ERP export's descriptions
/// are) padded to reach it, so a 1 GB export can be measured without a million SKUs in the ledger;
/// the harness records the connector's peak RSS during the scenario. Files are written to disk as
/// they are generated, never held whole. With --bad-percent P, every (100/P)th row has a malformed on
/// hand ("12 pcs"): the connector dead-letters it and applies the rest; the clock runs until the good
/// rows' changes are on the Watch, and records/s counts every row read.
/// </summary>
public static class FileDropScenario
{
    private const string SkuPrefix = "DROP-";

    private const string Note = "Oversize tee white size M / carton 40x30x20 cm / 12 per case / ";

    // A count as some warehouse exports write it: refused by validation, dead-lettered.
    private const string BadOnHand = "12 pcs";

    /// <param name="FileMib">The timed drops' size in MiB; 0 for rows without padding.</param>
    /// <param name="BadPercent">The share of rows with a malformed on hand; 0 for none.</param>
    public sealed record Settings(string Folder, string Warehouse, int Records, int WarmupRecords, string[] Formats, double TimeoutSeconds, double FileMib, double BadPercent)
    {
        public static Settings From(BenchArgs a) => new(
            a.Str("folder", ""), a.Str("warehouse", "cn-drop"), a.Int("records", 100_000), a.Int("warmup-records", 10_000),
            a.Str("formats", "csv,json").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), a.Double("timeout", 120),
            a.Double("file-mib", 0), a.Double("bad-percent", 0));

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
        if (s.FileMib < 0 || s.FileMib * 1048576 / Math.Max(1, s.Records) > 1 << 19)
        {
            throw new ArgumentException("--file-mib: at least 0, and at most 512 KiB per record (the connector reads rows of up to 1 MiB)");
        }
        Console.WriteLine($"filedrop: {string.Join(" and ", s.Formats)} drops of {s.Records} records{(s.FileMib > 0 ? $" ({s.FileMib} MiB each)" : "")} into {s.Folder} (warehouse {s.Warehouse}), "
            + $"after an untimed {s.WarmupRecords}-record drop of each");
        using var hardStop = new CancellationTokenSource(TimeSpan.FromSeconds((s.TimeoutSeconds + 30) * s.Formats.Length * 2));
        var counter = new LedgerChangeCounter();
        using var stopWatch = CancellationTokenSource.CreateLinkedTokenSource(hardStop.Token);
        await LedgerSeed.PopulateAsync(ledger, s.Warehouse, [.. Enumerable.Range(0, s.Records).Select(i => Catalog.Sku(SkuPrefix, i))], hardStop.Token);
        await counter.StartAsync(ledger, [s.Warehouse], stopWatch.Token);

        // Drops made so far: each restates every SKU with other figures than the drop before it (and
        // than the ledger's zero seed), since the connector leaves a snapshot out, with no Watch change,
        // when it holds exactly the ledger's figures.
        var round = 0;
        if (s.WarmupRecords > 0)
        {
            foreach (var format in s.Formats)
            {
                var warm = await DropAsync(s, counter, format, Math.Min(s.WarmupRecords, s.Records), 0, ++round, hardStop.Token, atLanding: null);
                Console.WriteLine($"  warm-up {format}: {s.WarmupRecords} records in {Clock.Seconds(warm.LandedAt):F1} s (complete: {warm.Complete})");
            }
        }

        foreach (var format in s.Formats)
        {
            var before = await connector.FeedAsync(s.Warehouse);
            var drop = await DropAsync(s, counter, format, s.Records, s.FileMib, ++round, hardStop.Token, atLanding: cpu.Start);
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
    private static async Task<Drop> DropAsync(Settings s, LedgerChangeCounter counter, string format, int records, double fileMib, int round, CancellationToken cancel, Action? atLanding)
    {
        // A version above what the previous drop (and an earlier run against the same ledger) stored.
        var version = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var sourceTime = DateTimeOffset.UtcNow.AddSeconds(-1).ToString("O", CultureInfo.InvariantCulture);
        var name = $"bench-{format}-{version}.{format}";
        // The connector takes only *.csv / *.json: written under another name, the file appears whole.
        var partial = Path.Combine(s.Folder, name + ".part");
        var rows = new Rows(s, SkuPrefix, records, sourceTime, version, Padding(format, records, fileMib), round);
        await using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
        {
            await (format == "csv" ? rows.WriteCsvAsync(file, cancel) : rows.WriteJsonAsync(file, cancel));
        }
        var fileMiB = new FileInfo(partial).Length / 1048576.0;

        var before = counter.Changes;
        counter.ResetFirst();
        var processed = Path.Combine(s.Folder, "processed", name);
        atLanding?.Invoke();
        var landedAt = Stopwatch.GetTimestamp();
        File.Move(partial, Path.Combine(s.Folder, name));
        await counter.WaitForAsync(before + s.Good(records), TimeSpan.FromSeconds(s.TimeoutSeconds), cancel, () => File.Exists(processed));
        var delivered = counter.Changes - before;
        return new Drop(landedAt, counter.FirstAt, counter.LastAt, delivered, delivered == s.Good(records), File.Exists(processed), fileMiB);
    }

    /// <summary>The note's length per row that brings the file to about fileMib (a row without one is about 70 bytes of CSV, 190 of JSON).</summary>
    private static int Padding(string format, int records, double fileMib)
        => fileMib <= 0 ? 0 : (int)Math.Max(1, fileMib * 1048576 / records - (format == "csv" ? 70 : 190));

    private static (long OnHand, long Available, long Reserved, long Inbound) Quantities(int i, int round)
    {
        var onHand = 1 + (i * 7L + round * 13L) % 1000;
        return (onHand, onHand * 9 / 10, onHand / 10, i % 50);
    }

    /// <summary>A drop's rows, written to a file as they are generated.</summary>
    private sealed record Rows(Settings Settings, string Prefix, int Records, string SourceTime, long Version, int Padding, int Round)
    {
        private const int FlushEvery = 1000;

        public async Task WriteCsvAsync(Stream file, CancellationToken cancel)
        {
            await using var csv = new StreamWriter(file, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
            await csv.WriteAsync("sku,type,onHand,available,reserved,inbound,unsellable,sourceTime,sourceVersion" + (Padding > 0 ? ",note\n" : "\n"));
            var note = Padding > 0 ? "," + Pad() : "";
            for (var i = 0; i < Records; i++)
            {
                var (onHand, available, reserved, inbound) = Quantities(i, Round);
                var onHandText = Settings.IsBad(i) ? BadOnHand : onHand.ToString(CultureInfo.InvariantCulture);
                await csv.WriteAsync(string.Create(CultureInfo.InvariantCulture, $"{Catalog.Sku(Prefix, i)},snapshot,{onHandText},{available},{reserved},{inbound},0,{SourceTime},{Version}{note}\n").AsMemory(), cancel);
            }
        }

        public async Task WriteJsonAsync(Stream file, CancellationToken cancel)
        {
            await using var json = new Utf8JsonWriter(file);
            var note = Padding > 0 ? Pad() : null;
            json.WriteStartObject();
            json.WriteStartArray("records");
            for (var i = 0; i < Records; i++)
            {
                var (onHand, available, reserved, inbound) = Quantities(i, Round);
                json.WriteStartObject();
                json.WriteString("sku", Catalog.Sku(Prefix, i));
                json.WriteString("type", "snapshot");
                if (Settings.IsBad(i))
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
                json.WriteString("sourceTime", SourceTime);
                json.WriteNumber("sourceVersion", Version);
                if (note is not null)
                {
                    json.WriteString("note", note);
                }
                json.WriteEndObject();
                if (i % FlushEvery == 0)
                {
                    await json.FlushAsync(cancel);
                }
            }
            json.WriteEndArray();
            json.WriteEndObject();
            await json.FlushAsync(cancel);
        }

        /// <summary>Text without quotes or delimiters, so each row's note is one plain cell.</summary>
        private string Pad() => string.Concat(Enumerable.Repeat(Note, Padding / Note.Length + 1))[..Padding];
    }

    private static double Seconds(long from, long to) => to <= from ? double.NaN : (to - from) / (double)Stopwatch.Frequency;
}
