using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Stockcast.Connector.Feeds.FileDrop;

/// <summary>
/// Picks up an ERP's exports from a folder: *.json (the push API's body, {"records": [...]}) and
/// *.csv (a header row naming canonical fields: sku, type, onHand, available, reserved, inbound,
/// unsellable, sourceTime, sourceVersion, eventId). Files are taken oldest first; a processed file
/// moves to processed/, one that cannot be parsed at all moves to failed/ with nothing of it
/// applied. A file is moved only after the ledger acknowledged it, so a crash re-reads it (idempotent).
/// </summary>
public sealed class FileDropFeed(FeedIntake intake, ILogger<FileDropFeed> log) : IPolledFeed
{
    private static readonly string[] NumberFields = ["onHand", "available", "reserved", "inbound", "unsellable", "sourceVersion"];

    public string Source => FeedOptions.FileDropSource;

    /// <summary>A drop holds what the ERP chose to export: nothing says it is everything.</summary>
    public bool GivesWholePicture => false;

    public async Task<SyncResult> ReadAsync(FeedRead read, CancellationToken cancellationToken)
    {
        var feed = read.Feed;
        var folder = new DirectoryInfo(feed.Folder);
        if (!folder.Exists)
        {
            throw new FeedException($"drop folder '{feed.Folder}' does not exist");
        }
        var total = new SyncResult();
        // A file written in place may still be growing: take it once it has been left alone for
        // SettleSeconds (file-system time). Exporters that write elsewhere and rename in can use 0.
        var settled = DateTime.UtcNow.AddSeconds(-feed.SettleSeconds);
        var files = folder.EnumerateFiles().Where(f => f.Extension is ".json" or ".csv" && f.LastWriteTimeUtc <= settled)
            .OrderBy(f => f.LastWriteTimeUtc).ThenBy(f => f.Name, StringComparer.Ordinal);
        foreach (var file in files)
        {
            List<JsonElement> records;
            try
            {
                records = file.Extension == ".json" ? ReadJson(file) : ReadCsv(file);
            }
            catch (Exception ex) when (ex is JsonException or FormatException or IOException)
            {
                log.LogWarning("Drop file {File} for {Warehouse} cannot be parsed, moved to failed/: {Error}", file.Name, feed.WarehouseId, ex.Message);
                Move(file, "failed");
                continue;
            }
            if (records.Count > 0)
            {
                foreach (var batch in records.Chunk(1000))
                {
                    total = total.Add(await intake.AcceptAsync(read, batch, cancellationToken));
                }
            }
            Move(file, "processed");
        }
        return total;
    }

    private static List<JsonElement> ReadJson(FileInfo file)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(file.FullName));
        if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("records", out var records) || records.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("expected {\"records\": [...]}");
        }
        return [.. records.EnumerateArray().Select(r => r.Clone())];
    }

    /// <summary>Plain comma-separated values with a header; numbers that do not parse are kept as text so validation names them.</summary>
    private static List<JsonElement> ReadCsv(FileInfo file)
    {
        var lines = File.ReadAllLines(file.FullName).Where(l => l.Length > 0).ToList();
        if (lines.Count == 0)
        {
            return [];
        }
        var header = lines[0].Split(',').Select(h => h.Trim()).ToArray();
        if (!header.Contains("sku"))
        {
            throw new FormatException("the header row has no 'sku' column");
        }
        var records = new List<JsonElement>(lines.Count - 1);
        foreach (var line in lines.Skip(1))
        {
            var cells = line.Split(',');
            var record = new JsonObject();
            for (var i = 0; i < header.Length && i < cells.Length; i++)
            {
                var cell = cells[i].Trim();
                if (cell.Length == 0)
                {
                    continue;
                }
                record[header[i]] = NumberFields.Contains(header[i]) && long.TryParse(cell, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
                    ? JsonValue.Create(n)
                    : JsonValue.Create(cell);
            }
            records.Add(JsonSerializer.SerializeToElement(record));
        }
        return records;
    }

    private static void Move(FileInfo file, string into)
    {
        var target = Directory.CreateDirectory(Path.Combine(file.DirectoryName!, into));
        file.MoveTo(Path.Combine(target.FullName, file.Name), overwrite: true);
    }
}
