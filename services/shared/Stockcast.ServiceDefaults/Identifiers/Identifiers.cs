using System.Text.RegularExpressions;
using Stockcast.ServiceDefaults.Errors;

namespace Stockcast.ServiceDefaults.Identifiers;

/// <summary>
/// One rule for one kind of identifier. Every service checks requests with the same rules, so a
/// value one service takes is never refused by the next one on its way.
/// </summary>
/// <param name="description">What a valid value looks like, for documentation and configuration errors.</param>
/// <param name="problem">Why a non-empty value is refused, or null when it is valid.</param>
public sealed class IdentifierRule(string description, Func<string, string?> problem)
{
    /// <summary>What a valid value looks like.</summary>
    public string Description => description;

    public bool IsValid(string value) => Problem(value) is null;

    /// <summary>Why the value is refused ("required", or what is wrong with it), or null when it is valid.</summary>
    public string? Problem(string value) => value.Length == 0 ? "required" : problem(value);

    /// <summary>Throws <see cref="InvalidFieldException"/> naming <paramref name="field"/> when the value is refused.</summary>
    public void Check(string value, string field)
    {
        if (Problem(value) is { } reason)
        {
            throw new InvalidFieldException(field, reason);
        }
    }

    /// <summary>A rule for codes that must match <paramref name="pattern"/> whole; anything else is refused with the description.</summary>
    public static IdentifierRule Matching(Regex pattern, string description) => new(description, v => pattern.IsMatch(v) ? null : description);
}

/// <summary>
/// What a SKU, warehouse id, market, region, room, order or event id may look like. SKUs are the
/// seller's own text (<see cref="SellerText"/>); the others are codes Stockcast or its callers choose,
/// kept strict: patterns match the whole string (<c>\z</c>: a trailing newline never passes).
/// </summary>
public static partial class Identifiers
{
    /// <summary>Unicode scalar values (a surrogate pair, e.g. an emoji, counts once), not UTF-16 code units.</summary>
    public const int MaxSkuLength = 255;
    public const int MaxIdLength = 128;

    /// <summary>
    /// The seller's product code as their systems write it ("STROLLER BLACK 2025", "连衣裙 红色 M"):
    /// any printable text, spaces inside allowed, compared ordinally (no case folding, no normalisation).
    /// </summary>
    public static readonly IdentifierRule Sku = new(
        $"must be 1-{MaxSkuLength} characters of printable text, with no line breaks or other control characters and no whitespace at either end",
        v => SellerText.Problem(v, MaxSkuLength, trailingWhitespace: false));

    /// <summary>The start of a SKU (ListStock's sku_prefix): as a SKU, except that it may end with whitespace ("STROLLER ").</summary>
    public static readonly IdentifierRule SkuPrefix = new(
        $"must be 1-{MaxSkuLength} characters of printable text, with no line breaks or other control characters and no whitespace at the start",
        v => SellerText.Problem(v, MaxSkuLength, trailingWhitespace: true));

    /// <summary>A warehouse: the connector's feeds, the ledger's keys and the chart's values name it the same way.</summary>
    public static readonly IdentifierRule WarehouseId = IdentifierRule.Matching(WarehouseIdPattern(), "must be 1-64 letters, digits, '.', '_' or '-'");

    /// <summary>A market viewers buy in ("US", "DE") and the markets a warehouse serves.</summary>
    public static readonly IdentifierRule Market = IdentifierRule.Matching(CodePattern(), "must be 1-32 letters, digits, '_' or '-'");

    /// <summary>A region ("us-east"): where a warehouse is.</summary>
    public static readonly IdentifierRule Region = Market;

    /// <summary>
    /// A live-room order: printable, no whitespace, at most <see cref="MaxIdLength"/>. Order systems
    /// mint these themselves, so nothing needs more; they stay strict.
    /// </summary>
    public static readonly IdentifierRule OrderId = Opaque(MaxIdLength);

    /// <summary>A source event's idempotency key (the connector prefixes the warehouse's own id with the warehouse id).</summary>
    public static readonly IdentifierRule EventId = OrderId;

    /// <summary>Categories and other names chosen by operators: printable, no whitespace.</summary>
    public static readonly IdentifierRule Name = OrderId;

    /// <summary>A live room (and the live stream alerting schedules for it): part of page URLs, so letters, digits, '_' and '-' only.</summary>
    public static readonly IdentifierRule RoomId = IdentifierRule.Matching(RoomIdPattern(), "must be 1-64 of A-Z a-z 0-9 _ -");

    /// <summary>Printable text without whitespace; surrogates only as pairs (a lone one is not text).</summary>
    private static IdentifierRule Opaque(int maxLength)
    {
        var description = $"must be 1-{maxLength} printable characters, no spaces";
        return new(description, v => IsOpaque(v, maxLength) ? null : description);
    }

    private static bool IsOpaque(string value, int maxLength)
    {
        if (value.Length > maxLength)
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
