using System.Globalization;
using System.Text.RegularExpressions;
using Google.Rpc;
using Grpc.Core;

namespace Stockcast.Connector.Delivery;

/// <summary>
/// Reads which items of a request the ledger blamed for an INVALID_ARGUMENT: the field paths of the
/// google.rpc.Status BadRequest violations ("events[3].sku: …"). A violation of an item's
/// warehouse_id blames every item (the batch is one warehouse's, and the ledger does not know it).
/// </summary>
public static partial class LedgerRefusal
{
    /// <summary>Index in the request → the reason to keep ("ledger refused sku: …"); empty when no violation names an item.</summary>
    public static Dictionary<int, string> Blamed(RpcException refusal, int count, string list = "events")
    {
        var blamed = new Dictionary<int, string>();
        foreach (var violation in refusal.GetRpcStatus()?.GetDetail<BadRequest>()?.FieldViolations ?? [])
        {
            if (ItemPath().Match(violation.Field) is not { Success: true } match || match.Groups["list"].Value != list
                || !int.TryParse(match.Groups["index"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index >= count)
            {
                continue;
            }
            var field = match.Groups["field"].Value;
            var reason = $"ledger refused {(field.Length > 0 ? field : "the record")}: {violation.Description}";
            if (field == "warehouse_id")
            {
                return Enumerable.Range(0, count).ToDictionary(i => i, _ => reason);
            }
            blamed[index] = reason;
        }
        return blamed;
    }

    /// <summary>The reason for a lone event the ledger refused without naming a field of it.</summary>
    public static string Reason(RpcException refusal) => $"ledger refused the record: {refusal.Status.Detail}";

    [GeneratedRegex(@"\A(?<list>[a-z_]+)\[(?<index>[0-9]+)\](?:\.(?<field>.+))?\z")]
    private static partial Regex ItemPath();
}
