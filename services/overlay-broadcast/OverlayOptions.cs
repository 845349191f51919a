using System.ComponentModel.DataAnnotations;
using Stockcast.LedgerClient;
using Stockcast.ServiceDefaults.Clients;

namespace Stockcast.Overlay;

public sealed class OverlayOptions
{
    public const string Section = "Overlay";

    /// <summary>The stock-ledger's gRPC address (its Watch feeds every room): dns:///host:port spreads calls over its pods.</summary>
    [Required, ServiceAddress]
    public Uri? LedgerAddress { get; set; }

    /// <summary>A ledger key with Read access, when the ledger does not allow anonymous reads (from a secret).</summary>
    public string LedgerApiKey { get; set; } = "";

    public ServiceEndpoint Ledger() => new(LedgerAddress!, LedgerApiKey);

    public ServiceEndpoint Connector() => new(ConnectorAddress!, ConnectorApiKey);

    public ServiceEndpoint Alerting() => new(AlertingAddress!, AlertingApiKey);

    /// <summary>
    /// The warehouse-connector's gRPC address (optional). Its feed status tells when each warehouse's
    /// figures were last confirmed, so a SKU whose stock simply did not change is not shown as old.
    /// </summary>
    [ServiceAddress]
    public Uri? ConnectorAddress { get; set; }

    /// <summary>A connector key with Read access, when it does not allow anonymous reads (from a secret).</summary>
    public string ConnectorApiKey { get; set; } = "";

    /// <summary>The alerting service's gRPC address (optional): its firing alerts are shown on the operator board.</summary>
    [ServiceAddress]
    public Uri? AlertingAddress { get; set; }

    /// <summary>An alerting key with Read access, when it does not allow anonymous reads (from a secret).</summary>
    public string AlertingApiKey { get; set; } = "";

    /// <summary>The board's velocity is the units that left the room's market over this trailing window.</summary>
    [Range(1, 180)]
    public int VelocityWindowMinutes { get; set; } = 10;

    /// <summary>How often rooms and spotlights are re-read from Redis (changes made through another replica).</summary>
    [Range(100, 60_000)]
    public int RoomRefreshMilliseconds { get; set; } = 1000;

    /// <summary>The ledger stream counts as down when nothing (not even a progress notification) came for this long.</summary>
    [Range(2, 60)]
    public int LedgerSilenceSeconds { get; set; } = 3;

    /// <summary>SSE comment sent on a quiet connection, so proxies keep it open and dead clients are found.</summary>
    [Range(1, 300)]
    public int HeartbeatSeconds { get; set; } = 15;

    /// <summary>
    /// How long a token found valid is trusted without asking Redis again: a revocation reaches open
    /// streams within this (plus a heartbeat), and a Redis outage shorter or longer ends none of them.
    /// </summary>
    [Range(1, 600)]
    public int TokenCacheSeconds { get; set; } = 30;

    /// <summary>
    /// Open page streams (SSE, WebSocket, board) a room takes on this replica; the next is refused
    /// with 429 and Retry-After (the page retries later), so one room cannot take every connection.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxRoomConnections { get; set; } = 1000;

    /// <summary>Open page streams one token takes on this replica: a browser source and a few previews, not a fan-out.</summary>
    [Range(1, 100_000)]
    public int MaxTokenConnections { get; set; } = 20;

    /// <summary>The Retry-After of a refusal for a full room or token: when the page tries again.</summary>
    [Range(1, 600)]
    public int ConnectionRetryAfterSeconds { get; set; } = 15;

    /// <summary>
    /// Marks the room cookie a page's token is exchanged for Secure even when the request reached
    /// this process over plain HTTP: behind an Ingress that ends TLS (the chart sets it then). Off, it
    /// is Secure only on HTTPS requests, so a page on plain http://127.0.0.1 still works.
    /// </summary>
    public bool SecureCookies { get; set; }

    /// <summary>The days a PRE_SALE cue promises shipping in, when a SKU sells out with stock inbound (as alerting's Alerting:PreSaleDays).</summary>
    [Range(1, 365)]
    public int PreSaleDays { get; set; } = 7;

    /// <summary>At most this many host cues a minute per room, whatever happens: a host reads them aloud.</summary>
    [Range(1, 60)]
    public int CuesPerMinute { get; set; } = 6;
}
