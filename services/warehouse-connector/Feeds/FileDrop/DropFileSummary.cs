using System.Text.Json;
using System.Text.Json.Serialization;

namespace Stockcast.Connector.Feeds.FileDrop;

/// <summary>A dead-lettered row of a drop file, as its summary lists it.</summary>
public sealed record DeadLetteredRow(long Line, string Warehouse, string Reason);

/// <summary>
/// What became of one drop file: rows read, applied, dead-lettered, unchanged (the ledger already held
/// them: a duplicate or an older version), and the first dead-lettered rows with their lines.
/// Logged once, written beside the processed file as NAME.summary.json, and counted per feed.
/// </summary>
public sealed class DropFileSummary(string file, string feed, DateTimeOffset startedAt)
{
    /// <summary>Dead-lettered rows listed in the summary; the rest are counted (and in the dead letters).</summary>
    public const int ListedDeadLetters = 20;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public string File => file;

    public string Feed => feed;

    public DateTimeOffset StartedAt => startedAt;

    public DateTimeOffset FinishedAt { get; set; }

    public long RowsRead { get; private set; }

    public long Applied { get; private set; }

    public long DeadLettered { get; private set; }

    public long Unchanged { get; private set; }

    public List<DeadLetteredRow> DeadLetters { get; } = [];

    /// <summary>What the intake made of one batch of the file's rows (all for one warehouse).</summary>
    public void Add(IReadOnlyList<DropRow> rows, IntakeResult result)
    {
        RowsRead += rows.Count;
        Applied += result.Applied;
        Unchanged += result.AlreadyHeld;
        DeadLettered += result.DeadLettered.Count;
        foreach (var refused in result.DeadLettered.Take(ListedDeadLetters - DeadLetters.Count))
        {
            DeadLetters.Add(new DeadLetteredRow(rows[refused.Index].Line, rows[refused.Index].Feed.WarehouseId, refused.Reason));
        }
    }

    [JsonIgnore]
    public double Seconds => (FinishedAt - StartedAt).TotalSeconds;

    public Task WriteAsync(string path, CancellationToken cancellationToken)
        => System.IO.File.WriteAllTextAsync(path, JsonSerializer.Serialize(this, Json), cancellationToken);
}
