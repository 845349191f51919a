using System.ComponentModel.DataAnnotations;
using Stockcast.Connector.Feeds.FileDrop;
using Stockcast.LedgerClient;
using Stockcast.ServiceDefaults.Identifiers;
using Stockcast.ServiceDefaults.Clients;

namespace Stockcast.Connector;

public sealed class ConnectorOptions : IValidatableObject
{
    public const string Section = "Connector";

    /// <summary>The stock-ledger's gRPC address: dns:///host:port spreads batches over its pods.</summary>
    [Required, ServiceAddress]
    public Uri? LedgerAddress { get; set; }

    /// <summary>A ledger API key with Write access (from a secret).</summary>
    [Required, MinLength(24, ErrorMessage = "Connector:LedgerApiKey must be at least 24 characters.")]
    public string LedgerApiKey { get; set; } = "";

    public ServiceEndpoint Ledger() => new(LedgerAddress!, LedgerApiKey);

    /// <summary>Most records accepted in one push (one ledger batch).</summary>
    [Range(1, 1000)]
    public int MaxRecordsPerPush { get; set; } = 1000;

    /// <summary>Largest canonical push body, in bytes (refused with 413 while it is read).</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxPushBodyBytes { get; set; } = 2 * 1024 * 1024;

    /// <summary>Largest ShipHero webhook body, in bytes: an Inventory Update lists every changed item of an order.</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxShipHeroBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Largest Shopify webhook body, in bytes: an inventory_levels/update is one level (a few hundred bytes).</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxShopifyBodyBytes { get; set; } = 64 * 1024;

    /// <summary>How far in the future a record's sourceTime may be (warehouse clock skew).</summary>
    [Range(0, 86_400)]
    public int MaxClockSkewSeconds { get; set; } = 600;

    /// <summary>Feed events (anomalies, stale feeds, drift) kept for WatchFeedEvents, newest first.</summary>
    [Range(100, 10_000_000)]
    public int EventRetention { get; set; } = 10_000;

    public List<FeedOptions> Feeds { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        for (var i = 0; i < Feeds.Count; i++)
        {
            var feed = Feeds[i];
            if (!Identifiers.WarehouseId.IsValid(feed.WarehouseId))
            {
                yield return new ValidationResult($"Connector:Feeds:{i}:WarehouseId {Identifiers.WarehouseId.Description} (got '{feed.WarehouseId}').", [nameof(Feeds)]);
            }
            // Both sides are SKUs: theirs as the connector reads it (a padded one could never match), ours as the ledger keys it.
            foreach (var (theirs, ours) in feed.SkuMap)
            {
                if ((Identifiers.Sku.Problem(theirs) ?? Identifiers.Sku.Problem(ours)) is { } problem)
                {
                    yield return new ValidationResult($"Connector:Feeds:{i}:SkuMap '{theirs}' -> '{ours}': {problem}.", [nameof(Feeds)]);
                }
            }
            for (var j = 0; j < feed.Skus.Count; j++)
            {
                if (Identifiers.Sku.Problem(feed.Skus[j]) is { } problem)
                {
                    yield return new ValidationResult($"Connector:Feeds:{i}:Skus:{j} '{feed.Skus[j]}': {problem}.", [nameof(Feeds)]);
                }
            }
            if (feed.Source is not (FeedOptions.CanonicalSource or FeedOptions.ShipBobSource or FeedOptions.AmazonFbaSource or FeedOptions.Ck1Source or FeedOptions.ShipHeroSource or FeedOptions.ShopifySource or FeedOptions.FileDropSource))
            {
                yield return new ValidationResult($"Connector:Feeds:{i}:Source '{feed.Source}' is not supported (supported: {FeedOptions.CanonicalSource}, {FeedOptions.ShipBobSource}, {FeedOptions.AmazonFbaSource}, {FeedOptions.Ck1Source}, {FeedOptions.ShipHeroSource}, {FeedOptions.ShopifySource}, {FeedOptions.FileDropSource}).", [nameof(Feeds)]);
            }
            if (feed.Source is FeedOptions.AmazonFbaSource or FeedOptions.Ck1Source && string.IsNullOrEmpty(feed.ExternalId))
            {
                yield return new ValidationResult($"Connector:Feeds:{i}:ExternalId (Amazon marketplace id, CK1 WarehouseId) is required for {feed.Source}.", [nameof(Feeds)]);
            }
            if (feed.Source is FeedOptions.ShipHeroSource or FeedOptions.ShopifySource && feed.WebhookSecret.Length < 16)
            {
                yield return new ValidationResult($"Connector:Feeds:{i}:WebhookSecret (at least 16 characters, from a secret) is required for {feed.Source}.", [nameof(Feeds)]);
            }
            if (feed.Source == FeedOptions.ShopifySource && string.IsNullOrEmpty(feed.ExternalId))
            {
                yield return new ValidationResult($"Connector:Feeds:{i}:ExternalId (the Shopify location id) is required for shopify.", [nameof(Feeds)]);
            }
            if (feed.Source == FeedOptions.ShipHeroSource && string.IsNullOrEmpty(feed.ExternalId))
            {
                yield return new ValidationResult($"Connector:Feeds:{i}:ExternalId (ShipHero's own warehouse_id, checked in every webhook) is required for shiphero.", [nameof(Feeds)]);
            }
            if (feed.ReplayWindowSeconds is < 60 or > 604_800)
            {
                yield return new ValidationResult($"Connector:Feeds:{i}:ReplayWindowSeconds must be between 60 and 604800.", [nameof(Feeds)]);
            }
            if (feed.DeliveryWindowSeconds is < 60 or > 604_800)
            {
                yield return new ValidationResult($"Connector:Feeds:{i}:DeliveryWindowSeconds must be between 60 and 604800.", [nameof(Feeds)]);
            }
            if (feed.Source == FeedOptions.Ck1Source && feed.Skus.Count == 0)
            {
                yield return new ValidationResult($"Connector:Feeds:{i}:Skus must list the warehouse's SKUs to read (CK1 answers only for SKUs asked).", [nameof(Feeds)]);
            }
            if (feed.Source == FeedOptions.FileDropSource && string.IsNullOrEmpty(feed.Folder))
            {
                yield return new ValidationResult($"Connector:Feeds:{i}:Folder is required for file-drop.", [nameof(Feeds)]);
            }
            if (feed.IsPolled && feed.Source != FeedOptions.FileDropSource && (feed.BaseUrl is null || string.IsNullOrEmpty(feed.Credentials)))
            {
                yield return new ValidationResult($"Connector:Feeds:{i}: a polled feed needs BaseUrl and Credentials.", [nameof(Feeds)]);
            }
            if (feed.FullSyncIntervalMinutes < 1)
            {
                yield return new ValidationResult($"Connector:Feeds:{i}:FullSyncIntervalMinutes must be at least 1.", [nameof(Feeds)]);
            }
            if (feed.PollIntervalSeconds < 1)
            {
                yield return new ValidationResult($"Connector:Feeds:{i}:PollIntervalSeconds must be at least 1.", [nameof(Feeds)]);
            }
            if (feed.UnitsPerWarehouseUnit < 1)
            {
                yield return new ValidationResult($"Connector:Feeds:{i}:UnitsPerWarehouseUnit must be at least 1.", [nameof(Feeds)]);
            }
            if (feed.SettleSeconds is < 0 or > 3600)
            {
                yield return new ValidationResult($"Connector:Feeds:{i}:SettleSeconds must be between 0 and 3600.", [nameof(Feeds)]);
            }
            foreach (var problem in DropFileSettings.Problems(feed, Feeds))
            {
                yield return new ValidationResult($"Connector:Feeds:{i}:{problem}", [nameof(Feeds)]);
            }
            if (feed.StaleAfterSeconds < 1)
            {
                yield return new ValidationResult($"Connector:Feeds:{i}:StaleAfterSeconds must be at least 1.", [nameof(Feeds)]);
            }
            if (feed.UnexplainedZeroMinUnits < 1 || feed.ImplausibleJumpMinUnits < 1)
            {
                yield return new ValidationResult($"Connector:Feeds:{i}:UnexplainedZeroMinUnits and ImplausibleJumpMinUnits must be at least 1.", [nameof(Feeds)]);
            }
            if (feed.ImplausibleJumpFactor <= 1)
            {
                yield return new ValidationResult($"Connector:Feeds:{i}:ImplausibleJumpFactor must be greater than 1.", [nameof(Feeds)]);
            }
            if (feed.DeadLetterWindowMinutes is < 1 or > 1440)
            {
                yield return new ValidationResult($"Connector:Feeds:{i}:DeadLetterWindowMinutes must be between 1 and 1440.", [nameof(Feeds)]);
            }
            if (feed.DegradedDeadLetterRatio is < 0 or >= 1)
            {
                yield return new ValidationResult($"Connector:Feeds:{i}:DegradedDeadLetterRatio must be at least 0 and below 1.", [nameof(Feeds)]);
            }
            if (feed.DegradedMinRecords < 1)
            {
                yield return new ValidationResult($"Connector:Feeds:{i}:DegradedMinRecords must be at least 1.", [nameof(Feeds)]);
            }
        }
        if (Feeds.GroupBy(f => f.WarehouseId).Any(g => g.Count() > 1))
        {
            yield return new ValidationResult("Connector:Feeds names a warehouse twice.", [nameof(Feeds)]);
        }
    }
}

/// <summary>One warehouse's feed: where its records come from and how they map onto ours.</summary>
public sealed class FeedOptions
{
    public const string CanonicalSource = "canonical";
    public const string ShipBobSource = "shipbob";
    public const string AmazonFbaSource = "amazon-fba";
    public const string Ck1Source = "ck1";
    public const string ShipHeroSource = "shiphero";
    public const string ShopifySource = "shopify";
    public const string FileDropSource = "file-drop";

    /// <summary>The ledger's warehouse id (registered there with its region and markets).</summary>
    public string WarehouseId { get; set; } = "";

    /// <summary>The adapter kind.</summary>
    public string Source { get; set; } = CanonicalSource;

    /// <summary>The warehouse's SKU -> ours; SKUs not listed pass through unchanged.</summary>
    public Dictionary<string, string> SkuMap { get; set; } = [];

    /// <summary>
    /// Dead-letter a record whose SKU has whitespace at either end instead of trimming it: for a
    /// source where padding means something is wrong upstream, which an operator should see.
    /// </summary>
    public bool KeepSkuWhitespace { get; set; }

    /// <summary>Sellable units per unit the warehouse counts in (e.g. 12 for cases of a dozen).</summary>
    public int UnitsPerWarehouseUnit { get; set; } = 1;

    /// <summary>A feed with no accepted batch for this long is reported stale.</summary>
    public int StaleAfterSeconds { get; set; } = 900;

    /// <summary>A fall to zero is reported when at least this many units of it are unexplained.</summary>
    public long UnexplainedZeroMinUnits { get; set; } = 5;

    /// <summary>A change is implausible when at least this many units of it are unexplained ...</summary>
    public long ImplausibleJumpMinUnits { get; set; } = 100;

    /// <summary>... and the larger figure is at least this many times the smaller.</summary>
    public double ImplausibleJumpFactor { get; set; } = 5;

    /// <summary>The recent window (minutes) over which the feed's dead-letter ratio is measured.</summary>
    public int DeadLetterWindowMinutes { get; set; } = 15;

    /// <summary>The feed is DEGRADED while more than this share of its records in the window were dead-lettered …</summary>
    public double DegradedDeadLetterRatio { get; set; } = 0.2;

    /// <summary>… out of at least this many (one bad record of two is no trend).</summary>
    public int DegradedMinRecords { get; set; } = 5;

    /// <summary>Polled feeds: the API's base address.</summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>Polled feeds: the API token, from a secret (never logged).</summary>
    public string Credentials { get; set; } = "";

    /// <summary>Polled feeds: seconds between reads.</summary>
    public int PollIntervalSeconds { get; set; } = 60;

    /// <summary>Incremental feeds: a full read (reconciliation) at least this often.</summary>
    public int FullSyncIntervalMinutes { get; set; } = 60;

    /// <summary>The id the API itself uses for this warehouse (Amazon: marketplace id; CK1: WarehouseId; ShipHero: warehouse_id; Shopify: location id).</summary>
    public string ExternalId { get; set; } = "";

    /// <summary>CK1: the warehouse's SKUs to ask for (its API answers only for SKUs named).</summary>
    public List<string> Skus { get; set; } = [];

    /// <summary>Pushed webhooks: the shared secret their HMAC signature is checked with (from a secret).</summary>
    public string WebhookSecret { get; set; } = "";

    /// <summary>
    /// ShipHero: also apply "Inventory Change" deltas. Off by default: "Inventory Update" carries the
    /// absolute figure for the same change, and applying both would count it twice.
    /// </summary>
    public bool ApplyInventoryChanges { get; set; }

    /// <summary>
    /// ShipHero: how long a webhook body's first receipt is remembered. A body seen again within it is
    /// ordered by that first receipt (a redelivery never overwrites what came after it); a real return
    /// to exactly the same figures within it looks the same and waits for the next change.
    /// </summary>
    public int ReplayWindowSeconds { get; set; } = 900;

    /// <summary>
    /// Webhooks that say when they were sent (Shopify's X-Shopify-Triggered-At, ShipHero's Inventory
    /// Change timestamp): a delivery sent longer ago than this, or further ahead than
    /// MaxClockSkewSeconds, is refused (400) as a replay. The default, 5 hours, outlasts Shopify's
    /// retries (8 over 4 hours), so no real redelivery is refused.
    /// </summary>
    public int DeliveryWindowSeconds { get; set; } = 18_000;

    /// <summary>File drops: the folder an ERP drops its CSV/JSON exports into (a mounted volume).</summary>
    public string Folder { get; set; } = "";

    /// <summary>File drops: a file is read once unchanged for this long (it may still be being written).</summary>
    public int SettleSeconds { get; set; } = 5;

    /// <summary>File drops: our field (sku, onHand, available, ...) -> the export's header for it, where the defaults do not find it.</summary>
    public Dictionary<string, string> Columns { get; set; } = [];

    /// <summary>File drops: the export's warehouse code -> our warehouse id (one with a feed entry of its own).</summary>
    public Dictionary<string, string> WarehouseCodes { get; set; } = [];

    /// <summary>File drops: the CSV delimiter, <c>auto</c> (found from the header line), <c>comma</c>, <c>semicolon</c>, <c>tab</c> or <c>pipe</c>.</summary>
    public string Delimiter { get; set; } = "auto";

    public bool IsPolled => Source is ShipBobSource or AmazonFbaSource or Ck1Source or FileDropSource;

    /// <summary>These settings for the records this feed routes to another of our warehouses (a file drop's warehouse column).</summary>
    public FeedOptions RoutedTo(string warehouseId)
    {
        var routed = (FeedOptions)MemberwiseClone();
        routed.WarehouseId = warehouseId;
        return routed;
    }
}
