namespace Stockcast.Testing;

/// <summary>
/// Who may call what, decided once for every RPC and HTTP endpoint of the four services: the table
/// the authorization matrix tests hold each real host to (docs/security.md, "Who may call what").
/// A new RPC or endpoint fails its service's matrix test until it is entered here.
/// </summary>
public static class EndpointPolicies
{
    /// <summary>The allow-list every service shares: probes and Prometheus, on the main port for now.</summary>
    private static readonly Dictionary<string, Callers> Probes = new()
    {
        ["/grpc.health.v1.Health/Check"] = Callers.Anyone,
        ["/grpc.health.v1.Health/Watch"] = Callers.Anyone,
        ["* /healthz"] = Callers.Anyone,
        ["* /readyz"] = Callers.Anyone,
        ["* /metrics"] = Callers.Anyone,
    };

    public static IReadOnlyDictionary<string, Callers> StockLedger { get; } = With(new()
    {
        ["/stockcast.ledger.v1.StockLedger/RegisterWarehouse"] = Callers.Writer,
        ["/stockcast.ledger.v1.StockLedger/ListWarehouses"] = Callers.Reader,
        ["/stockcast.ledger.v1.StockLedger/ApplyStockEvents"] = Callers.Writer,
        ["/stockcast.ledger.v1.StockLedger/GetStock"] = Callers.Reader,
        ["/stockcast.ledger.v1.StockLedger/BatchGetStock"] = Callers.Reader,
        ["/stockcast.ledger.v1.StockLedger/ListStock"] = Callers.Reader,
        ["/stockcast.ledger.v1.StockLedger/GetAvailability"] = Callers.Reader,
        ["/stockcast.ledger.v1.StockLedger/Reserve"] = Callers.Writer,
        ["/stockcast.ledger.v1.StockLedger/Release"] = Callers.Writer,
        ["/stockcast.ledger.v1.StockLedger/Commit"] = Callers.Writer,
        ["/stockcast.ledger.v1.StockLedger/GetReservation"] = Callers.Reader,
        ["/stockcast.ledger.v1.StockLedger/Watch"] = Callers.Reader,
    });

    public static IReadOnlyDictionary<string, Callers> WarehouseConnector { get; } = With(new()
    {
        ["/stockcast.connector.v1.WarehouseConnector/ListFeeds"] = Callers.Reader,
        ["/stockcast.connector.v1.WarehouseConnector/TriggerFullSync"] = Callers.Writer,
        ["/stockcast.connector.v1.WarehouseConnector/ListDeadLetters"] = Callers.Reader,
        ["/stockcast.connector.v1.WarehouseConnector/ReplayDeadLetters"] = Callers.Admin,
        ["/stockcast.connector.v1.WarehouseConnector/PurgeDeadLetters"] = Callers.Admin,
        ["/stockcast.connector.v1.WarehouseConnector/WatchFeedEvents"] = Callers.Reader,
        ["POST /v1/warehouses/{warehouseId}/stock"] = Callers.Writer,
        // Vendors sign their webhooks (HMAC over the body); the receiver checks the signature itself.
        ["POST /webhooks/shiphero/{warehouseId}"] = Callers.OwnCredential,
        ["POST /webhooks/shopify/{warehouseId}"] = Callers.OwnCredential,
        ["* /healthz/feeds"] = Callers.Anyone,
    });

    /// <summary>Alerting with Dapr on: its two Dapr endpoints are the sidecar's alone.</summary>
    public static IReadOnlyDictionary<string, Callers> Alerting { get; } = With(new()
    {
        ["/stockcast.alerting.v1.Alerting/SetRule"] = Callers.Admin,
        ["/stockcast.alerting.v1.Alerting/DeleteRule"] = Callers.Admin,
        ["/stockcast.alerting.v1.Alerting/ListRules"] = Callers.Reader,
        ["/stockcast.alerting.v1.Alerting/UpsertProducts"] = Callers.Writer,
        ["/stockcast.alerting.v1.Alerting/UpsertStream"] = Callers.Admin,
        ["/stockcast.alerting.v1.Alerting/DeleteStream"] = Callers.Admin,
        ["/stockcast.alerting.v1.Alerting/ListStreams"] = Callers.Reader,
        ["/stockcast.alerting.v1.Alerting/Ingest"] = Callers.Writer,
        ["/stockcast.alerting.v1.Alerting/Preflight"] = Callers.Reader,
        ["/stockcast.alerting.v1.Alerting/WatchAlerts"] = Callers.Reader,
        ["/stockcast.alerting.v1.Alerting/ListAlerts"] = Callers.Reader,
        ["/stockcast.alerting.v1.Alerting/Acknowledge"] = Callers.Writer,
        ["GET /dapr/subscribe"] = Callers.DaprSidecar,
        ["POST /dapr/signals"] = Callers.DaprSidecar,
    });

    public static IReadOnlyDictionary<string, Callers> OverlayBroadcast { get; } = With(new()
    {
        ["/stockcast.overlay.v1.Overlay/UpsertRoom"] = Callers.Admin,
        ["/stockcast.overlay.v1.Overlay/GetRoom"] = Callers.Reader,
        ["/stockcast.overlay.v1.Overlay/ListRooms"] = Callers.Reader,
        ["/stockcast.overlay.v1.Overlay/DeleteRoom"] = Callers.Admin,
        ["/stockcast.overlay.v1.Overlay/IssueToken"] = Callers.Admin,
        ["/stockcast.overlay.v1.Overlay/RevokeToken"] = Callers.Admin,
        ["/stockcast.overlay.v1.Overlay/Spotlight"] = Callers.Writer,
        ["/stockcast.overlay.v1.Overlay/WatchRoom"] = Callers.Reader,
        ["/stockcast.overlay.v1.Overlay/WatchBoard"] = Callers.Reader,
        ["/stockcast.overlay.v1.Overlay/WatchCues"] = Callers.Reader,
        ["/stockcast.overlay.v1.Overlay/MuteCue"] = Callers.Writer,
        // The public pages and their streams: the page shell and each stream check the room's viewer
        // or operator token themselves (a token is no API key, and an API key opens none of them).
        // The page shells: their token is in the URL fragment, which never arrives (an old link's ?token= is checked).
        ["GET /overlay/{roomId}"] = Callers.Anyone,
        ["POST /overlay/{roomId}/session"] = Callers.OwnCredential,
        ["GET /overlay/{roomId}/events"] = Callers.OwnCredential,
        ["GET /overlay/{roomId}/ws"] = Callers.OwnCredential,
        ["GET /board/{roomId}"] = Callers.Anyone,
        ["POST /board/{roomId}/session"] = Callers.OwnCredential,
        ["GET /board/{roomId}/events"] = Callers.OwnCredential,
        ["POST /board/{roomId}/spotlight"] = Callers.OwnCredential,
        ["GET /board/{roomId}/cues"] = Callers.OwnCredential,
        ["POST /board/{roomId}/cues/mute"] = Callers.OwnCredential,
    });

    private static Dictionary<string, Callers> With(Dictionary<string, Callers> service)
    {
        foreach (var (endpoint, callers) in Probes)
        {
            service[endpoint] = callers;
        }
        return service;
    }
}
