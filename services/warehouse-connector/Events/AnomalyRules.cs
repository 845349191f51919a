using Stockcast.Connector.V1;
using Stockcast.Ledger.V1;

namespace Stockcast.Connector.Events;

/// <summary>
/// Flags figures a warehouse reports that its own numbers do not explain. What explains a fall is
/// what was already spoken for (the warehouse's reserved units and our committed orders); what
/// explains a rise is the inbound stock it announced. The figures are applied regardless: the
/// warehouse is the source of truth, the event asks a person to check it.
/// </summary>
public static class AnomalyRules
{
    /// <param name="before">The ledger's record before this change (null: a SKU new to the ledger, nothing to compare).</param>
    /// <param name="onHand">The on-hand figure after the change.</param>
    public static FeedEvent? Check(FeedOptions feed, StockRecord? before, long onHand)
    {
        if (before is null)
        {
            return null;
        }
        var previous = before.Quantities.OnHand;
        var change = onHand - previous;
        if (change == 0)
        {
            return null;
        }
        var explained = change > 0 ? before.Quantities.Inbound : before.Quantities.Reserved + before.Committed;
        var unexplained = Math.Abs(change) - explained;
        FeedEvent Event(FeedEventKind kind, string detail) => new()
        {
            Kind = kind,
            WarehouseId = feed.WarehouseId,
            Sku = before.Sku,
            PreviousOnHand = previous,
            OnHand = onHand,
            ExplainedUnits = explained,
            Detail = detail,
        };

        if (onHand == 0 && unexplained >= feed.UnexplainedZeroMinUnits)
        {
            return Event(FeedEventKind.UnexplainedZero,
                $"on hand fell from {previous} to 0; reservations and commitments explain {explained}, {unexplained} units are unexplained");
        }
        var ratio = (double)Math.Max(previous, onHand) / Math.Max(1, Math.Min(previous, onHand));
        if (unexplained >= feed.ImplausibleJumpMinUnits && ratio >= feed.ImplausibleJumpFactor)
        {
            var what = change > 0 ? $"inbound explains {explained}" : $"reservations and commitments explain {explained}";
            return Event(FeedEventKind.ImplausibleJump,
                $"on hand went from {previous} to {onHand} ({ratio:0.#}x); {what}, {unexplained} units are unexplained");
        }
        return null;
    }
}
