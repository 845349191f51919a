using Xunit;

namespace Stockcast.Testing;

/// <summary>
/// SKUs as Amazon seller SKUs, Shopify SKUs and ERP item codes really look: spaces, other scripts,
/// accents, emoji, and what Redis keys, JSON, HTML, CSS selectors and URLs treat specially
/// (<c>: { } &lt; &gt; &amp; " ' % / #</c>). Every service must take them as they are.
/// </summary>
public static class SellerSkus
{
    public const string Stroller = "STROLLER BLACK 2025";
    public const string Dress = "连衣裙 红色 M";
    public const string Coffee = "Café Crème 250g";
    public const string Deluxe = "👶 Stroller <Deluxe> & Co";
    public const string Sweater = "Кофта \"синяя\" {XL}: 50% /2#1 it's";

    /// <summary>As long as a SKU may be (255 characters), with no space to break a line at.</summary>
    public static readonly string Longest = "LONG-" + new string('X', 250);

    public static readonly string[] All = [Stroller, Dress, Coffee, Deluxe, Sweater, Longest];

    /// <summary>
    /// SKUs every service refuses, each with the rule's reason. A lone surrogate is not among them: a
    /// protobuf encoder replaces it before it travels; the connector's JSON tests carry one.
    /// </summary>
    public static TheoryData<string, string> Refused => new()
    {
        { "TEE\n1", "must not contain a line break (U+000A at character 4)" },
        { "TEE\u2028", "must not contain a line break (U+2028 at character 4)" },
        { "TEE\u0000", "must not contain a control character (U+0000 at character 4)" },
        { " TEE", "must not start with whitespace (U+0020)" },
        { new string('S', 256), "must be at most 255 characters (got 256)" },
    };
}
