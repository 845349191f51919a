using Microsoft.Extensions.Options;

namespace Stockcast.Connector.Feeds.FileDrop;

/// <summary>
/// Picks up an ERP's exports from a folder (docs/connector.md, "File drops"): CSV or TSV, the push API's
/// JSON body, JSON Lines; oldest first, each once it has settled. A file is streamed twice: once to
/// check it (one that can never be parsed moves to failed/ with its reason, nothing applied), then
/// row by row in batches of MaxRecordsPerPush, each row applied or dead-lettered with its line. It
/// moves to processed/, beside its summary, only after the ledger acknowledged all of it, so a crash
/// re-reads it (idempotent). A file that cannot be read now, or changed while it was read, stays for
/// the next poll.
/// </summary>
public sealed class FileDropFeed(
    FeedIntake intake,
    CanonicalRecords records,
    ConnectorMetrics metrics,
    IOptions<ConnectorOptions> options,
    TimeProvider clock,
    ILogger<FileDropFeed> log) : IPolledFeed
{
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
        var routing = new WarehouseRouting(feed, options.Value.Feeds);
        var total = new SyncResult();
        var unreadable = new List<string>();
        // A file written in place may still be growing: take it once it has been left alone for
        // SettleSeconds (file-system time). Exporters that write elsewhere and rename in can use 0.
        var settled = DateTime.UtcNow.AddSeconds(-feed.SettleSeconds);
        var files = folder.EnumerateFiles()
            .Select(f => (File: f, Format: DropFormats.For(f.Extension, feed)))
            .Where(f => f.Format is not null && f.File.LastWriteTimeUtc <= settled)
            .OrderBy(f => f.File.LastWriteTimeUtc).ThenBy(f => f.File.Name, StringComparer.Ordinal);
        foreach (var (file, format) in files)
        {
            try
            {
                if (await TakeAsync(file, format!, routing, cancellationToken) is { } summary)
                {
                    total = total with
                    {
                        Received = total.Received + (int)summary.RowsRead,
                        Applied = total.Applied + (int)summary.Applied,
                        DeadLettered = total.DeadLettered + (int)summary.DeadLettered,
                    };
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Not readable now (a share's hiccup, permissions): it stays, and the next poll reads it again.
                metrics.DropFiles.WithLabels(feed.WarehouseId, "deferred").Inc();
                log.LogWarning("Drop file {File} for {Warehouse} could not be read, left for the next poll: {Error}", file.Name, feed.WarehouseId, ex.Message);
                unreadable.Add($"{file.Name}: {ex.Message}");
            }
        }
        if (unreadable.Count > 0)
        {
            // The other files were taken; this says so in the feed's status, and the poll retries with backoff.
            throw new FeedException($"drop files left for the next poll: {string.Join("; ", unreadable)}");
        }
        return total;
    }

    /// <returns>The file's summary; null when it failed or was left for the next poll.</returns>
    private async Task<DropFileSummary?> TakeAsync(FileInfo file, IDropFormat format, WarehouseRouting routing, CancellationToken cancellationToken)
    {
        var feed = routing.Drop;
        var written = (file.Length, file.LastWriteTimeUtc);
        var rows = new ExportRows(routing, new DateTimeOffset(written.LastWriteTimeUtc));
        var summary = new DropFileSummary(file.Name, feed.WarehouseId, clock.GetUtcNow());
        try
        {
            await using (var stream = Open(file))
            {
                await format.CheckAsync(stream, rows, cancellationToken);
            }
            await using (var stream = Open(file))
            {
                var batch = new List<DropRow>(options.Value.MaxRecordsPerPush);
                await foreach (var row in format.ReadAsync(stream, rows, cancellationToken))
                {
                    batch.Add(row);
                    if (batch.Count == options.Value.MaxRecordsPerPush)
                    {
                        await DeliverAsync(batch, summary, cancellationToken);
                        batch.Clear();
                    }
                }
                await DeliverAsync(batch, summary, cancellationToken);
            }
        }
        catch (DropFileException ex) when (!Changed(file, written))
        {
            await FailAsync(file, feed, ex.Message, cancellationToken);
            return null;
        }
        catch (DropFileException)
        {
            // Changed under us: judged again once it has settled.
        }
        if (Changed(file, written))
        {
            metrics.DropFiles.WithLabels(feed.WarehouseId, "deferred").Inc();
            log.LogInformation("Drop file {File} for {Warehouse} changed while it was read; read again once it has settled", file.Name, feed.WarehouseId);
            return null;
        }
        summary.FinishedAt = clock.GetUtcNow();
        var processed = Directory.CreateDirectory(Path.Combine(file.DirectoryName!, "processed"));
        // The summary first: a crash before the move reads the file again and writes it again.
        await summary.WriteAsync(Path.Combine(processed.FullName, file.Name + ".summary.json"), cancellationToken);
        file.MoveTo(Path.Combine(processed.FullName, file.Name), overwrite: true);
        metrics.DropFiles.WithLabels(feed.WarehouseId, "processed").Inc();
        log.LogInformation("Drop file {File} for {Warehouse}: {Rows} rows read, {Applied} applied, {DeadLettered} dead-lettered, {Unchanged} unchanged, in {Seconds:F1} s",
            file.Name, feed.WarehouseId, summary.RowsRead, summary.Applied, summary.DeadLettered, summary.Unchanged, summary.Seconds);
        return summary;
    }

    /// <summary>
    /// Hands a batch of rows to the intake, one call per warehouse they are for: the file drop's one
    /// intake call. Each row carries its file and line as its origin, which its dead letter keeps;
    /// the origin is part of what the row is about, so two rows alike in two files are two letters,
    /// and a file read again after a crash gives the same letters again.
    /// </summary>
    private async Task DeliverAsync(List<DropRow> batch, DropFileSummary summary, CancellationToken cancellationToken)
    {
        var receivedAt = clock.GetUtcNow();
        foreach (var rows in batch.GroupBy(r => r.Feed).Select(g => g.ToList()))
        {
            var feed = rows[0].Feed;
            var normalised = rows.Select(row =>
            {
                var source = SourceRecord.Received(row.Record, receivedAt) with { Origin = $"{summary.File} line {row.Line}" };
                var record = row.Problem is { } problem
                    ? NormalisedRecord.Refused(source, records.Format, row.Record.GetRawText(), problem)
                    : records.Read(source, feed);
                return record with { Identity = $"{source.Origin}|{record.Identity}" };
            }).ToList();
            var result = await intake.AcceptAsync(feed, normalised, cancellationToken);
            summary.Add(rows, result);
            metrics.DropRows.WithLabels(summary.Feed, "read").Inc(rows.Count);
            metrics.DropRows.WithLabels(summary.Feed, "applied").Inc(result.Applied);
            metrics.DropRows.WithLabels(summary.Feed, "dead_lettered").Inc(result.DeadLettered.Count);
            metrics.DropRows.WithLabels(summary.Feed, "unchanged").Inc(result.AlreadyHeld);
        }
    }

    private async Task FailAsync(FileInfo file, FeedOptions feed, string reason, CancellationToken cancellationToken)
    {
        var failed = Directory.CreateDirectory(Path.Combine(file.DirectoryName!, "failed"));
        await File.WriteAllTextAsync(Path.Combine(failed.FullName, file.Name + ".error.txt"),
            $"{file.Name} cannot be parsed; nothing of it was applied: {reason}{Environment.NewLine}", cancellationToken);
        file.MoveTo(Path.Combine(failed.FullName, file.Name), overwrite: true);
        metrics.DropFiles.WithLabels(feed.WarehouseId, "failed").Inc();
        log.LogWarning("Drop file {File} for {Warehouse} cannot be parsed, moved to failed/ with nothing applied: {Reason}", file.Name, feed.WarehouseId, reason);
    }

    /// <summary>Gone, or not the file that was checked: an exporter is still at it.</summary>
    private static bool Changed(FileInfo file, (long Length, DateTime LastWriteTimeUtc) written)
    {
        file.Refresh();
        return !file.Exists || (file.Length, file.LastWriteTimeUtc) != written;
    }

    private static FileStream Open(FileInfo file) => new(file.FullName, new FileStreamOptions
    {
        Mode = FileMode.Open,
        Access = FileAccess.Read,
        Share = FileShare.ReadWrite | FileShare.Delete,
        Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
    });
}
