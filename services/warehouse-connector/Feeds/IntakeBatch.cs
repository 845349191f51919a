using Stockcast.Ledger.V1;
using Stockcast.LedgerClient;

namespace Stockcast.Connector.Feeds;

/// <summary>
/// One intake's records on their way to the ledger: which are refused before sending (no event, or
/// one the ledger's rules refuse), and of the rest, which still have to be sent. A batch sent is
/// valid by construction: every event passes the ledger's rules and no event id comes twice.
/// </summary>
public sealed class IntakeBatch
{
    private readonly IReadOnlyList<NormalisedRecord> _records;
    private List<int> _pending = [];

    public IntakeBatch(IReadOnlyList<NormalisedRecord> records, StockEventRules rules)
    {
        _records = records;
        for (var i = 0; i < records.Count; i++)
        {
            if (records[i].Event is not { } e)
            {
                Refused.Add((i, records[i].Reason!));
            }
            else if (rules.Find(e) is { } problem)
            {
                Refused.Add((i, problem.ToString()));
            }
            else
            {
                _pending.Add(i);
            }
        }
    }

    /// <summary>Records refused before sending, with their reasons.</summary>
    public List<(int Index, string Reason)> Refused { get; } = [];

    /// <summary>Records still to be sent, in order.</summary>
    public IReadOnlyList<int> Pending => _pending;

    /// <summary>
    /// A delta event id given twice in one batch: the last one wins (the source's latest word), the
    /// earlier ones are duplicates, never sent. Returns how many were left out.
    /// </summary>
    public int ResolveRepeatedEventIds()
    {
        var later = new HashSet<string>(StringComparer.Ordinal);
        var superseded = new HashSet<int>();
        for (var j = _pending.Count - 1; j >= 0; j--)
        {
            if (_records[_pending[j]].Event!.Delta is { } delta && !later.Add(delta.EventId))
            {
                superseded.Add(_pending[j]);
            }
        }
        _pending = [.. _pending.Where(i => !superseded.Contains(i))];
        return superseded.Count;
    }

    /// <summary>
    /// Leaves out snapshots with exactly the figures the ledger holds: no ledger event, no Watch
    /// revision. Only a SKU's one event of the batch, and only while no committed reservation waits
    /// for a warehouse report to settle it. Returns how many were left out.
    /// </summary>
    public int SetAsideUnchanged(IReadOnlyDictionary<string, StockRecord> current)
    {
        var eventsPerSku = _pending.GroupBy(i => _records[i].Event!.Sku, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var unchanged = _pending.Where(i => _records[i].Event! is { Snapshot: { } snapshot } e
            && eventsPerSku[e.Sku] == 1
            && current.TryGetValue(e.Sku, out var held) && held.Committed == 0 && held.Quantities.Equals(snapshot.Quantities)).ToHashSet();
        _pending = [.. _pending.Where(i => !unchanged.Contains(i))];
        return unchanged.Count;
    }
}
