using System.Text.RegularExpressions;
using Stockcast.ServiceDefaults.Errors;

namespace Stockcast.ServiceDefaults.Identifiers;

/// <summary>
/// One rule for one kind of identifier. Every service checks requests with the same rules, so a
/// value one service takes is never refused by the next one on its way.
/// </summary>
public sealed class IdentifierRule(Func<string, bool> accepts, string description)
{
    /// <summary>What a valid value looks like, as the error message says it.</summary>
    public string Description => description;

    public bool IsValid(string value) => accepts(value);

    /// <summary>Why the value is refused ("required" or the rule), or null when it is valid.</summary>
    public string? Problem(string value) => accepts(value) ? null : value.Length == 0 ? "required" : description;

    /// <summary>Throws <see cref="InvalidFieldException"/> naming <paramref name="field"/> when the value is refused.</summary>
    public void Check(string value, string field)
    {
        if (Problem(value) is { } problem)
        {
            throw new InvalidFieldException(field, problem);
        }
    }
}

/// <summary>
/// What a SKU, warehouse id, market, region, room, order or event id may look like. They become
/// parts of Redis keys, log fields and URLs, so separators and control characters are refused up
/// front. Patterns match the whole string (<c>\z</c>: a trailing newline never passes).
/// </summary>
public static partial class Identifiers
{
    public const int MaxSkuLength = 128;
    public const int MaxIdLength = 128;

    /// <summary>The seller's product code: printable, no whitespace, at most <see cref="MaxSkuLength"/>.</summary>
    public static readonly IdentifierRule Sku = new(v => IsOpaque(v, MaxSkuLength), $"must be 1-{MaxSkuLength} printable characters, no spaces");

    /// <summary>A warehouse: the connector's feeds, the ledger's keys and the chart's values name it the same way.</summary>
    public static readonly IdentifierRule WarehouseId = new(v => WarehouseIdPattern().IsMatch(v), "must be 1-64 letters, digits, '.', '_' or '-'");

    /// <summary>A market viewers buy in ("US", "DE") and the markets a warehouse serves.</summary>
    public static readonly IdentifierRule Market = new(v => CodePattern().IsMatch(v), "must be 1-32 letters, digits, '_' or '-'");

    /// <summary>A region ("us-east"): where a warehouse is.</summary>
    public static readonly IdentifierRule Region = Market;

    /// <summary>A live-room order: printable, no whitespace, at most <see cref="MaxIdLength"/>.</summary>
    public static readonly IdentifierRule OrderId = new(v => IsOpaque(v, MaxIdLength), $"must be 1-{MaxIdLength} printable characters, no spaces");

    /// <summary>A source event's idempotency key.</summary>
    public static readonly IdentifierRule EventId = OrderId;

    /// <summary>Categories and other names chosen by operators: printable, no whitespace.</summary>
    public static readonly IdentifierRule Name = OrderId;

    /// <summary>A live room (and the live stream alerting schedules for it): part of page URLs, so letters, digits, '_' and '-' only.</summary>
    public static readonly IdentifierRule RoomId = new(v => RoomIdPattern().IsMatch(v), "must be 1-64 of A-Z a-z 0-9 _ -");

    /// <summary>Printable text without whitespace; surrogates only as pairs (a lone one is not text).</summary>
    private static bool IsOpaque(string value, int maxLength)
    {
        if (value.Length == 0 || value.Length > maxLength)
        {
            return false;
        }
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c) || char.IsControl(c) || char.IsWhiteSpace(c))
            {
                return false;
            }
        }
        return true;
    }

    [GeneratedRegex(@"\A[A-Za-z0-9._-]{1,64}\z")]
    private static partial Regex WarehouseIdPattern();

    [GeneratedRegex(@"\A[A-Za-z0-9_-]{1,32}\z")]
    private static partial Regex CodePattern();

    [GeneratedRegex(@"\A[A-Za-z0-9_-]{1,64}\z")]
    private static partial Regex RoomIdPattern();
}
