namespace Stockcast.Connector.Feeds.FileDrop;

/// <summary>A file-drop feed's own settings: the column map, the warehouse codes and the CSV delimiter, checked at start-up.</summary>
public static class DropFileSettings
{
    private static readonly Dictionary<string, char?> Delimiters = new(StringComparer.OrdinalIgnoreCase)
    {
        ["auto"] = null,
        ["comma"] = ',',
        ["semicolon"] = ';',
        ["tab"] = '\t',
        ["pipe"] = '|',
    };

    /// <summary>The delimiter to read with; null to find it from the header line.</summary>
    public static char? Delimiter(FeedOptions feed) => Delimiters[feed.Delimiter];

    /// <summary>What is wrong with the feed's file-drop settings, each naming its key below Connector:Feeds:N.</summary>
    public static IEnumerable<string> Problems(FeedOptions feed, IReadOnlyList<FeedOptions> feeds)
    {
        var isDrop = feed.Source == FeedOptions.FileDropSource;
        if (!isDrop && (feed.Columns.Count > 0 || feed.WarehouseCodes.Count > 0))
        {
            yield return "Columns and WarehouseCodes are settings of file-drop feeds.";
        }
        if (!Delimiters.ContainsKey(feed.Delimiter))
        {
            yield return $"Delimiter '{feed.Delimiter}' is not one of {string.Join(", ", Delimiters.Keys)}.";
        }
        foreach (var (field, header) in feed.Columns)
        {
            if (!ExportFields.ByName.ContainsKey(field))
            {
                yield return $"Columns:{field} is not a field of ours (fields: {string.Join(", ", ExportFields.All.Select(f => f.Name))}).";
            }
            else if (ExportFields.Key(header).Length == 0)
            {
                yield return $"Columns:{field} must name a header (got '{header}').";
            }
        }
        // A code must lead to a warehouse the connector knows, so each target has its own feed entry:
        // its status, staleness and dead letters are kept there.
        var known = feeds.Select(f => f.WarehouseId).ToHashSet(StringComparer.Ordinal);
        foreach (var (code, warehouse) in feed.WarehouseCodes.Where(c => !known.Contains(c.Value)))
        {
            yield return $"WarehouseCodes:{code} -> '{warehouse}' is not the WarehouseId of any feed (give that warehouse a feed entry of its own, e.g. Source canonical).";
        }
    }
}
