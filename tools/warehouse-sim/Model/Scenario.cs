using System.Text.Json;
using System.Text.Json.Serialization;

namespace Stockcast.WarehouseSim.Model;

/// <summary>What the simulated world looks like at scenario time zero and what happens to it afterwards.</summary>
public sealed record Scenario
{
    public static readonly DateTimeOffset DefaultStart = new(2026, 1, 5, 0, 0, 0, TimeSpan.Zero);

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    public DateTimeOffset Start { get; init; } = DefaultStart;
    public List<WarehouseSpec> Warehouses { get; init; } = [];
    public List<SalesRate> Sales { get; init; } = [];
    public List<StockOut> StockOuts { get; init; } = [];
    public List<StaleFeed> StaleFeeds { get; init; } = [];
    public List<MalformedRecord> Malformed { get; init; } = [];

    /// <summary>Messy mode: real-world quirks at a rate (null: off).</summary>
    public MessSpec? Mess { get; init; }
}

public enum ApiKind { ShipBob, AmazonFba, Ck1, ShipHero, Shopify }

public sealed record WarehouseSpec
{
    public required string Id { get; init; }
    public required ApiKind Kind { get; init; }
    /// <summary>Bearer token (ShipBob, CK1) or LWA access token (Amazon) a client must present.</summary>
    public string? Token { get; init; }
    /// <summary>The id the API itself uses: Amazon marketplace id, CK1 WarehouseId, ShipHero warehouse_id, Shopify shop domain.</summary>
    public string? ExternalId { get; init; }
    public List<LocationSpec> Locations { get; init; } = [];
    public List<StockLine> Stock { get; init; } = [];
    public WebhookSpec? Webhook { get; init; }

    public bool IsPushed => Kind is ApiKind.ShipHero or ApiKind.Shopify;
}

public sealed record LocationSpec(long Id, string Name);

/// <summary>Initial stock of one SKU at one location (the first location when none is named).</summary>
public sealed record StockLine(string Sku, int OnHand, int Committed = 0, int Inbound = 0, long? Location = null);

public sealed record WebhookSpec(string Url, string Secret, Signing Signing = Signing.Valid, List<string>? Types = null);

/// <summary>How pushed webhooks are signed, so receivers' rejection paths can be tested.</summary>
public enum Signing { Valid, Unsigned, WrongSecret }

public sealed record SalesRate(string Warehouse, string Sku, double PerHour);

public sealed record StockOut(string Warehouse, string Sku, int AtSeconds);

/// <summary>Frozen: the feed keeps answering with the picture taken at <c>AtSeconds</c>; Down: it stops answering.</summary>
public sealed record StaleFeed(string Warehouse, int AtSeconds, StaleMode Mode, int? UntilSeconds = null);

public enum StaleMode { Frozen, Down }

/// <summary>Corrupt this SKU's record in the polled API's responses, for <c>Responses</c> responses (null: until cleared).</summary>
public sealed record MalformedRecord(string Warehouse, string Sku, Quirk Kind, int? Responses = null)
{
    /// <summary>Why it cannot be served, if it cannot: a polled record takes record quirks, not a webhook's delivery ones.</summary>
    public string? Problem() => Kind is Quirk.DuplicateDelivery or Quirk.OlderRedelivered
        ? $"malformed kind {Kind} is a webhook delivery quirk; a record takes a record quirk"
        : null;
}
