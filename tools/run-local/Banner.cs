using Stockcast.Launch;

namespace Stockcast.RunLocal;

/// <summary>Where to look once everything runs (the admin key's file, never the key).</summary>
internal static class Banner
{
    public static string Text(StackPorts p, string runFolder, IReadOnlyList<string> roomLinks) => $"""

        Stockcast is running locally.
          stock-ledger gRPC          127.0.0.1:{p.LedgerGrpc}   (plaintext HTTP/2, server reflection on)
          stock-ledger metrics       http://127.0.0.1:{p.LedgerManagement}/metrics   /readyz   /healthz   (management port)
          warehouse-connector gRPC   127.0.0.1:{p.ConnectorGrpc}   (ListFeeds, dead letters, TriggerFullSync)
          connector push API         http://127.0.0.1:{p.ConnectorHttp}/v1/warehouses/{"{id}"}/stock   webhooks: /webhooks/{"{vendor}"}/{"{id}"}
          connector metrics          http://127.0.0.1:{p.ConnectorManagement}/metrics   /healthz/feeds
          warehouse simulator        http://127.0.0.1:{p.Simulator}/sim/state   (ShipBob, Amazon FBA, CK1 APIs; demo scenario)
          alerting gRPC              127.0.0.1:{p.AlertingGrpc}   (WatchAlerts, Preflight, rules; rooms demo-room-us, demo-room-de)
          alerting metrics           http://127.0.0.1:{p.AlertingManagement}/metrics
          overlay-broadcast gRPC     127.0.0.1:{p.OverlayGrpc}   (rooms, tokens, Spotlight, WatchRoom, WatchCues; rooms demo-room-us (English), demo-room-de (German), demo-room-cn (Chinese))
          overlay-broadcast metrics  http://127.0.0.1:{p.OverlayManagement}/metrics
        {string.Join(Environment.NewLine, roomLinks)}
          Redis               127.0.0.1:{p.Redis} (AOF in {runFolder}/redis)
          admin API key       {runFolder}/admin.key   (send as "authorization: Bearer <key>"; every call but health needs a key)
          logs                {runFolder}/*.log

        Try (with grpcurl):
          grpcurl -plaintext 127.0.0.1:{p.LedgerGrpc} list
          grpcurl -plaintext -H "authorization: Bearer $(cat {runFolder}/admin.key)" -d '{"{"}"sku":"TEE-OVERSIZE-WHT-M","market":"US"{"}"}' 127.0.0.1:{p.LedgerGrpc} stockcast.ledger.v1.StockLedger/GetAvailability
          grpcurl -plaintext -H "authorization: Bearer $(cat {runFolder}/admin.key)" -d '{"{}"}' 127.0.0.1:{p.LedgerGrpc} stockcast.ledger.v1.StockLedger/Watch
          grpcurl -plaintext -H "authorization: Bearer $(cat {runFolder}/admin.key)" -d '{"{"}"sku":"LIP-RED-01","market":"US"{"}"}' 127.0.0.1:{p.LedgerGrpc} stockcast.ledger.v1.StockLedger/GetAvailability
          grpcurl -plaintext -H "authorization: Bearer $(cat {runFolder}/admin.key)" 127.0.0.1:{p.ConnectorGrpc} stockcast.connector.v1.WarehouseConnector/ListFeeds
          grpcurl -plaintext -H "authorization: Bearer $(cat {runFolder}/admin.key)" -d '{"{"}"after_id":"0"{"}"}' 127.0.0.1:{p.AlertingGrpc} stockcast.alerting.v1.Alerting/WatchAlerts
          grpcurl -plaintext -H "authorization: Bearer $(cat {runFolder}/admin.key)" -d '{"{"}"room_id":"demo-room-de"{"}"}' 127.0.0.1:{p.AlertingGrpc} stockcast.alerting.v1.Alerting/Preflight
          grpcurl -plaintext -H "authorization: Bearer $(cat {runFolder}/admin.key)" -d '{"{"}"room_id":"demo-room-us"{"}"}' 127.0.0.1:{p.OverlayGrpc} stockcast.overlay.v1.Overlay/WatchRoom
          grpcurl -plaintext -H "authorization: Bearer $(cat {runFolder}/admin.key)" -d '{"{"}"room_id":"demo-room-de","language":"de"{"}"}' 127.0.0.1:{p.OverlayGrpc} stockcast.overlay.v1.Overlay/WatchCues
        A process that ends is started again (its last lines shown here); Ctrl-C stops everything.
        """;
}
