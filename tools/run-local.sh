#!/usr/bin/env bash
# `make run`: a local Redis (with AOF persistence, as production needs), the stock-ledger, the
# warehouse simulator and the connector reading it, alerting, overlay-broadcast, and live sample data, all on 127.0.0.1.
# Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIG=${1:-Release}
RUN=.run
REDIS_PORT=${REDIS_PORT:-6380}
LEDGER_GRPC=${LEDGER_GRPC:-5101}
LEDGER_HTTP=${LEDGER_HTTP:-9101}
CONNECTOR_GRPC=${CONNECTOR_GRPC:-5102}
CONNECTOR_HTTP=${CONNECTOR_HTTP:-9102}
ALERTING_GRPC=${ALERTING_GRPC:-5103}
ALERTING_HTTP=${ALERTING_HTTP:-9103}
OVERLAY_GRPC=${OVERLAY_GRPC:-5104}
OVERLAY_HTTP=${OVERLAY_HTTP:-9104}
SIM_HTTP=${SIM_HTTP:-5301}
mkdir -p "$RUN/redis"

# A writer key made on this machine, never committed.
[ -s "$RUN/writer.key" ] || (umask 077; head -c 32 /dev/urandom | base64 | tr -d '/+=\n' > "$RUN/writer.key")

pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  echo "Stopped."
}
trap cleanup EXIT INT TERM

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$PWD/$RUN/redis" --appendonly yes --appendfsync everysec \
  --save "" --daemonize yes --logfile redis.log --pidfile "$PWD/$RUN/redis/redis.pid"

wait_for() { # url, what
  for _ in $(seq 1 150); do curl -fsS "$1" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "Timed out waiting for $2 ($1); see $RUN/*.log" >&2; exit 1
}

KEY="$(cat "$RUN/writer.key")"
bin() { echo "$1/bin/$CONFIG/net10.0"; }

# A service on its two loopback ports with the local Redis and the writer key; its own settings as NAME=value.
start_service() { # name, dll, gRPC port, HTTP port, readiness path, settings...
  local name=$1 dll=$2 grpc=$3 http=$4 ready=$5
  shift 5
  (cd "$(bin "services/$name")" && exec env ASPNETCORE_ENVIRONMENT=Development \
    Kestrel__Endpoints__Grpc__Url="http://127.0.0.1:$grpc" Kestrel__Endpoints__Http__Url="http://127.0.0.1:$http" \
    Redis__Configuration="127.0.0.1:$REDIS_PORT" \
    Auth__ApiKeys__0__Name=local-writer Auth__ApiKeys__0__Key="$KEY" Auth__ApiKeys__0__Access=Write \
    "$@" dotnet "$dll") > "$RUN/$name.log" 2>&1 &
  pids+=($!)
  wait_for "http://127.0.0.1:$http$ready" "$name"
}

# The ledger, with the two simulated warehouses the connector reads (sample-data registers its own).
start_service stock-ledger Stockcast.StockLedger.dll "$LEDGER_GRPC" "$LEDGER_HTTP" /readyz \
  Ledger__Warehouses__0__Id=us-east-shipbob Ledger__Warehouses__0__Region=us-central Ledger__Warehouses__0__Markets__0=US \
  Ledger__Warehouses__1__Id=us-west-fba Ledger__Warehouses__1__Region=us-west Ledger__Warehouses__1__Markets__0=US

# Simulated ShipBob / Amazon / CK1 / ShipHero / Shopify, running the demo scenario in real time.
(cd "$(bin tools/warehouse-sim)" && exec dotnet Stockcast.WarehouseSim.dll --Kestrel:Endpoints:Http:Url="http://127.0.0.1:$SIM_HTTP") > "$RUN/warehouse-sim.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$SIM_HTTP/sim/state" "warehouse-sim"

# The connector polls the simulated ShipBob and Amazon accounts every 10 s into the ledger; the
# sample data's four warehouses report through its push API (their heartbeats keep them fresh).
start_service warehouse-connector Stockcast.WarehouseConnector.dll "$CONNECTOR_GRPC" "$CONNECTOR_HTTP" /readyz \
  Connector__LedgerAddress="http://127.0.0.1:$LEDGER_GRPC" Connector__LedgerApiKey="$KEY" \
  Connector__Feeds__0__WarehouseId=us-east-shipbob Connector__Feeds__0__Source=shipbob \
  Connector__Feeds__0__BaseUrl="http://127.0.0.1:$SIM_HTTP/" Connector__Feeds__0__Credentials=demo-shipbob-token Connector__Feeds__0__PollIntervalSeconds=10 \
  Connector__Feeds__1__WarehouseId=us-west-fba Connector__Feeds__1__Source=amazon-fba Connector__Feeds__1__ExternalId=ATVPDKIKX0DER \
  Connector__Feeds__1__BaseUrl="http://127.0.0.1:$SIM_HTTP/" Connector__Feeds__1__Credentials='Atza|demo-fba-token' Connector__Feeds__1__PollIntervalSeconds=10 \
  Connector__Feeds__2__WarehouseId=us-lax-shipbob Connector__Feeds__3__WarehouseId=us-nj-fba \
  Connector__Feeds__4__WarehouseId=de-fra-ck1 Connector__Feeds__5__WarehouseId=my-kul-3pl

# Alerting follows the ledger's Watch and the connector's feed events.
start_service alerting Stockcast.Alerting.dll "$ALERTING_GRPC" "$ALERTING_HTTP" /healthz \
  Alerting__LedgerAddress="http://127.0.0.1:$LEDGER_GRPC" Alerting__ConnectorAddress="http://127.0.0.1:$CONNECTOR_GRPC"

# overlay-broadcast: one ledger Watch for its rooms, updates over SSE, WebSockets and gRPC; feed
# freshness from the connector, alerts for the operator board from alerting.
start_service overlay-broadcast Stockcast.OverlayBroadcast.dll "$OVERLAY_GRPC" "$OVERLAY_HTTP" /healthz \
  Overlay__LedgerAddress="http://127.0.0.1:$LEDGER_GRPC" Overlay__ConnectorAddress="http://127.0.0.1:$CONNECTOR_GRPC" \
  Overlay__AlertingAddress="http://127.0.0.1:$ALERTING_GRPC"

dotnet "$(bin tools/sample-data)/Stockcast.SampleData.dll" "http://127.0.0.1:$LEDGER_GRPC" "$RUN/writer.key" --live --alerting "http://127.0.0.1:$ALERTING_GRPC" --overlay "http://127.0.0.1:$OVERLAY_GRPC" --connector "http://127.0.0.1:$CONNECTOR_HTTP/" > "$RUN/sample-data.log" 2>&1 &
pids+=($!)
# The demo rooms' viewer and operator tokens are printed by sample-data once it has created them.
for _ in $(seq 1 150); do grep -q "board demo-room-de" "$RUN/sample-data.log" 2>/dev/null && break; sleep 0.2; done
OVERLAY_URLS=$(sed -n -e "s|^overlay \([a-z-]*\) events: \(/overlay/[a-z-]*\)/events\(.*\)|  \1 overlay page     http://127.0.0.1:$OVERLAY_HTTP\2\3\n  \1 events (SSE)     http://127.0.0.1:$OVERLAY_HTTP\2/events\3|p" \
  -e "s|^board \([a-z-]*\): \(.*\)|  \1 operator board   http://127.0.0.1:$OVERLAY_HTTP\2|p" "$RUN/sample-data.log")

cat <<MSG

Stockcast is running locally.
  stock-ledger gRPC          127.0.0.1:$LEDGER_GRPC   (plaintext HTTP/2, server reflection on)
  stock-ledger metrics       http://127.0.0.1:$LEDGER_HTTP/metrics   /readyz   /healthz
  warehouse-connector gRPC   127.0.0.1:$CONNECTOR_GRPC   (ListFeeds, dead letters, TriggerFullSync)
  connector push API         http://127.0.0.1:$CONNECTOR_HTTP/v1/warehouses/{id}/stock   metrics: /metrics
  warehouse simulator        http://127.0.0.1:$SIM_HTTP/sim/state   (ShipBob, Amazon FBA, CK1 APIs; demo scenario)
  alerting gRPC              127.0.0.1:$ALERTING_GRPC   (WatchAlerts, Preflight, rules; rooms demo-room-us, demo-room-de)
  alerting metrics           http://127.0.0.1:$ALERTING_HTTP/metrics
  overlay-broadcast gRPC     127.0.0.1:$OVERLAY_GRPC   (rooms, tokens, Spotlight, WatchRoom)   metrics: http://127.0.0.1:$OVERLAY_HTTP/metrics
$OVERLAY_URLS
  Redis               127.0.0.1:$REDIS_PORT (AOF in $RUN/redis)
  writer API key      $RUN/writer.key   (send as "authorization: Bearer <key>")
  logs                $RUN/*.log

Try (with grpcurl):
  grpcurl -plaintext 127.0.0.1:$LEDGER_GRPC list
  grpcurl -plaintext -d '{"sku":"TEE-OVERSIZE-WHT-M","market":"US"}' 127.0.0.1:$LEDGER_GRPC stockcast.ledger.v1.StockLedger/GetAvailability
  grpcurl -plaintext -d '{}' 127.0.0.1:$LEDGER_GRPC stockcast.ledger.v1.StockLedger/Watch
  grpcurl -plaintext -d '{"sku":"LIP-RED-01","market":"US"}' 127.0.0.1:$LEDGER_GRPC stockcast.ledger.v1.StockLedger/GetAvailability
  grpcurl -plaintext 127.0.0.1:$CONNECTOR_GRPC stockcast.connector.v1.WarehouseConnector/ListFeeds
  grpcurl -plaintext -d '{"after_id":"0"}' 127.0.0.1:$ALERTING_GRPC stockcast.alerting.v1.Alerting/WatchAlerts
  grpcurl -plaintext -d '{"room_id":"demo-room-de"}' 127.0.0.1:$ALERTING_GRPC stockcast.alerting.v1.Alerting/Preflight
  grpcurl -plaintext -d '{"room_id":"demo-room-us"}' 127.0.0.1:$OVERLAY_GRPC stockcast.overlay.v1.Overlay/WatchRoom
Ctrl-C stops everything.
MSG
wait -n "${pids[@]}"
