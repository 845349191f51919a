using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using Stockcast.Alerting.V1;
using Stockcast.LedgerClient;
using Stockcast.ServiceDefaults.Clients;

namespace Stockcast.Alerting;

public sealed partial class AlertingOptions : IValidatableObject
{
    public const string Section = "Alerting";

    /// <summary>The stock-ledger's gRPC address (its Watch is the stock input): dns:///host:port spreads calls over its pods.</summary>
    [Required, ServiceAddress]
    public Uri? LedgerAddress { get; set; }

    /// <summary>A ledger key with Read access, when the ledger does not allow anonymous reads (from a secret).</summary>
    public string LedgerApiKey { get; set; } = "";

    public ServiceEndpoint Ledger() => new(LedgerAddress!, LedgerApiKey);

    /// <summary>The warehouse-connector's gRPC address (feed anomalies); unset = no connector events.</summary>
    [ServiceAddress]
    public Uri? ConnectorAddress { get; set; }

    public string ConnectorApiKey { get; set; } = "";

    public ServiceEndpoint Connector() => new(ConnectorAddress!, ConnectorApiKey);

    /// <summary>The rule every scope falls back to; changeable at run time by SetRule(default_scope).</summary>
    public DefaultRuleOptions Defaults { get; set; } = new();

    /// <summary>Half-life of the sales rate (exponentially weighted): bursts fade, a steady pace shows.</summary>
    [Range(1, 24 * 60)]
    public double VelocityHalfLifeMinutes { get; set; } = 10;

    /// <summary>Demand trend: the recent window's half-life, compared with the long one's.</summary>
    [Range(1, 24 * 60)]
    public double TrendShortMinutes { get; set; } = 15;

    [Range(1, 7 * 24 * 60)]
    public double TrendLongMinutes { get; set; } = 240;

    /// <summary>Demand trends are checked for streams starting within this many hours.</summary>
    [Range(1, 24 * 14)]
    public double TrendLookaheadHours { get; set; } = 24;

    /// <summary>Every alert is re-evaluated this often (clocks move even when stock does not).</summary>
    [Range(1, 3600)]
    public int EvaluateEverySeconds { get; set; } = 10;

    /// <summary>Preflight calls data older than this stale.</summary>
    [Range(1, 86_400)]
    public int StaleDataSeconds { get; set; } = 600;

    /// <summary>Committed reservations the warehouse has not reflected after this long raise RESERVATION_UNSETTLED.</summary>
    [Range(1, 7 * 24 * 3600)]
    public int UnsettledAfterSeconds { get; set; } = 1800;

    /// <summary>Suggested pre-sale period when a SKU is out but stock is inbound.</summary>
    [Range(1, 365)]
    public int PreSaleDays { get; set; } = 7;

    /// <summary>Signal event ids are remembered this long (redeliveries within it count once).</summary>
    [Range(1, 24 * 30)]
    public int SignalDedupHours { get; set; } = 24;

    /// <summary>Notifications kept for WatchAlerts resume and the sinks.</summary>
    [Range(1000, 10_000_000)]
    public int NotificationRetention { get; set; } = 100_000;

    /// <summary>Leader lease: the one replica that evaluates and delivers; another takes over within this.</summary>
    [Range(2, 300)]
    public int LeaseSeconds { get; set; } = 10;

    public DaprOptions Dapr { get; set; } = new();

    /// <summary>Peer regions' stock-ledgers: transfer sources and part of the global total, never this region's own figures.</summary>
    public List<PeerLedgerOptions> PeerLedgers { get; set; } = [];

    /// <summary>A peer's figures count only while its ledger answered within this long (keep it well above the peer ledger's Watch progress interval).</summary>
    [Range(5, 86_400)]
    public int PeerStaleSeconds { get; set; } = 300;

    public List<WebhookOptions> Webhooks { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (TrendShortMinutes >= TrendLongMinutes)
        {
            yield return new ValidationResult("Alerting:TrendShortMinutes must be shorter than Alerting:TrendLongMinutes.", [nameof(TrendShortMinutes)]);
        }
        for (var i = 0; i < Webhooks.Count; i++)
        {
            var hook = Webhooks[i];
            if (string.IsNullOrWhiteSpace(hook.Name) || Webhooks.Count(h => h.Name == hook.Name) > 1)
            {
                yield return new ValidationResult($"Alerting:Webhooks:{i}:Name is required and must be unique.", [nameof(Webhooks)]);
            }
            if (hook.Url is null || !hook.Url.IsAbsoluteUri || hook.Url.Scheme is not ("http" or "https"))
            {
                yield return new ValidationResult($"Alerting:Webhooks:{i}:Url must be an absolute http(s) address.", [nameof(Webhooks)]);
            }
            if (hook.Secret.Length < 16)
            {
                yield return new ValidationResult($"Alerting:Webhooks:{i}:Secret (from a secret) must be at least 16 characters.", [nameof(Webhooks)]);
            }
            if (hook.ParsedMinSeverity() is null)
            {
                yield return new ValidationResult($"Alerting:Webhooks:{i}:MinSeverity must be Info, Warning or Critical (not '{hook.MinSeverity}').", [nameof(Webhooks)]);
            }
        }
        for (var i = 0; i < PeerLedgers.Count; i++)
        {
            var peer = PeerLedgers[i];
            // "local" names this region's own ledger (its client, mirror and metrics).
            if (!RegionName().IsMatch(peer.Region) || peer.Region == LedgerMirrors.Local || PeerLedgers.Count(p => p.Region == peer.Region) > 1)
            {
                yield return new ValidationResult($"Alerting:PeerLedgers:{i}:Region must be a unique lower-case region name such as 'eu' (not '{peer.Region}').", [nameof(PeerLedgers)]);
            }
            if (!ServiceEndpoint.IsSupported(peer.Address))
            {
                yield return new ValidationResult($"Alerting:PeerLedgers:{i}:Address must be the absolute http(s):// or dns:/// address of the peer region's stock-ledger.", [nameof(PeerLedgers)]);
            }
            else if (peer.Address == LedgerAddress)
            {
                // Its stock would count twice in the global total and be offered as a transfer to itself.
                yield return new ValidationResult($"Alerting:PeerLedgers:{i}:Address is this region's own ledger (Alerting:LedgerAddress).", [nameof(PeerLedgers)]);
            }
        }
        foreach (var result in Defaults.Validate())
        {
            yield return result;
        }
        foreach (var result in Dapr.Validate())
        {
            yield return result;
        }
    }

    [GeneratedRegex("^[a-z][a-z0-9-]{0,15}$")]
    private static partial Regex RegionName();
}

/// <summary>A peer region's stock-ledger (the chart renders one per entry of its <c>peers</c>).</summary>
public sealed class PeerLedgerOptions
{
    /// <summary>The peer region's name, as alerts say it: "eu".</summary>
    public string Region { get; set; } = "";

    /// <summary>Its stock-ledger's gRPC address, e.g. through the region's internal gateway.</summary>
    public Uri? Address { get; set; }

    /// <summary>A Read key of that ledger (from a secret); empty when it allows anonymous reads.</summary>
    public string ApiKey { get; set; } = "";

    public ServiceEndpoint Ledger() => new(Address!, ApiKey);
}

/// <summary>The built-in default rule (every field set).</summary>
public sealed class DefaultRuleOptions
{
    public long LowStockUnits { get; set; } = 20;
    public double LowStockPercent { get; set; } = 30;
    public double SellOutHorizonMinutes { get; set; } = 120;
    public double TrendRiseFactor { get; set; } = 1.5;
    public double CartConversion { get; set; } = 0.1;
    public long ShortageUnits { get; set; } = 5;
    public double RearmMarginPercent { get; set; } = 20;
    public double CoolDownSeconds { get; set; } = 300;

    public IEnumerable<ValidationResult> Validate()
    {
        if (LowStockUnits < 0 || ShortageUnits < 0 || LowStockPercent is < 0 or > 100 || SellOutHorizonMinutes < 0
            || TrendRiseFactor < 0 || CartConversion is < 0 or > 1 || RearmMarginPercent is < 0 or > 1000 || CoolDownSeconds < 0)
        {
            yield return new ValidationResult("Alerting:Defaults: thresholds must not be negative; LowStockPercent and CartConversion are 0-100 and 0-1.", [nameof(AlertingOptions.Defaults)]);
        }
    }
}

public sealed class DaprOptions
{
    /// <summary>The pub/sub component alerts are published to and signals come from; empty = Dapr off.</summary>
    public string PubSubName { get; set; } = "";

    /// <summary>Topic the alert notifications are published to.</summary>
    public string AlertsTopic { get; set; } = "stockcast-alerts";

    /// <summary>Topic the seller's systems publish sales and demand signals to.</summary>
    public string SignalsTopic { get; set; } = "stockcast-signals";

    /// <summary>The sidecar's gRPC endpoint; empty = Dapr's own default (DAPR_GRPC_ENDPOINT / DAPR_GRPC_PORT).</summary>
    public string GrpcEndpoint { get; set; } = "";

    /// <summary>
    /// Dapr's app API token (the sidecar's APP_API_TOKEN, from a secret), required with Dapr on: every
    /// Dapr endpoint (/dapr/subscribe, /dapr/signals) wants it in the dapr-api-token header, so nobody
    /// else on the network subscribes or delivers. The sidecar's API token (DAPR_API_TOKEN) is read by Dapr's client.
    /// </summary>
    public string AppApiToken { get; set; } = "";

    public const int MinimumAppApiTokenLength = 16;

    public bool Enabled => PubSubName.Length > 0;

    public IEnumerable<ValidationResult> Validate()
    {
        if (!Enabled)
        {
            yield break;
        }
        if (string.IsNullOrWhiteSpace(AlertsTopic) || string.IsNullOrWhiteSpace(SignalsTopic))
        {
            yield return new ValidationResult("Alerting:Dapr:AlertsTopic and Alerting:Dapr:SignalsTopic must not be empty when Alerting:Dapr:PubSubName is set.", [nameof(AlertingOptions.Dapr)]);
        }
        if (AppApiToken.Length < MinimumAppApiTokenLength)
        {
            yield return new ValidationResult(
                $"Alerting:Dapr:AppApiToken must be set (at least {MinimumAppApiTokenLength} characters) when Alerting:Dapr:PubSubName is set: the sidecar's app API token (APP_API_TOKEN, from the Secret named by the chart's dapr.appTokenSecret); without it anyone on the network could deliver signals.",
                [nameof(AlertingOptions.Dapr)]);
        }
        if (GrpcEndpoint.Length > 0 && (!Uri.TryCreate(GrpcEndpoint, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https")))
        {
            yield return new ValidationResult("Alerting:Dapr:GrpcEndpoint must be an absolute http(s) address, e.g. http://127.0.0.1:50001.", [nameof(AlertingOptions.Dapr)]);
        }
    }
}

public sealed class WebhookOptions
{
    public string Name { get; set; } = "";
    public Uri? Url { get; set; }

    /// <summary>HMAC-SHA256 signing secret shared with the receiver (from a secret; never logged).</summary>
    public string Secret { get; set; } = "";

    /// <summary>Only notifications of alerts at least this severe: Info, Warning or Critical.</summary>
    public string MinSeverity { get; set; } = "Info";

    /// <summary><see cref="MinSeverity"/> as a severity (any case; empty = Info); null when it is none of the three.</summary>
    public Severity? ParsedMinSeverity() => MinSeverity.Trim().ToUpperInvariant() switch
    {
        "" or "INFO" => Severity.Info,
        "WARNING" => Severity.Warning,
        "CRITICAL" => Severity.Critical,
        _ => null,
    };
}
