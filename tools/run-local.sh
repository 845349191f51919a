#!/usr/bin/env bash
# `make run`: a local Redis (with AOF persistence, as production needs), the stock-ledger and
# live sample data, all on 127.0.0.1. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIG=${1:-Release}
RUN=.run
REDIS_PORT=${REDIS_PORT:-6380}
LEDGER_GRPC=${LEDGER_GRPC:-5101}
LEDGER_HTTP=${LEDGER_HTTP:-9101}
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

ASPNETCORE_ENVIRONMENT=Development \
Kestrel__Endpoints__Grpc__Url="http://127.0.0.1:$LEDGER_GRPC" \
Kestrel__Endpoints__Http__Url="http://127.0.0.1:$LEDGER_HTTP" \
Redis__Configuration="127.0.0.1:$REDIS_PORT" \
Auth__ApiKeys__0__Name=local-writer Auth__ApiKeys__0__Key="$(cat "$RUN/writer.key")" Auth__ApiKeys__0__Access=Write \
  dotnet "services/stock-ledger/bin/$CONFIG/net10.0/Stockcast.StockLedger.dll" > "$RUN/stock-ledger.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$LEDGER_HTTP/readyz" "stock-ledger"

dotnet "tools/sample-data/bin/$CONFIG/net10.0/Stockcast.SampleData.dll" "http://127.0.0.1:$LEDGER_GRPC" "$RUN/writer.key" --live > "$RUN/sample-data.log" 2>&1 &
pids+=($!)

cat <<MSG

Stockcast is running locally.
  stock-ledger gRPC   127.0.0.1:$LEDGER_GRPC   (plaintext HTTP/2, server reflection on)
  metrics / health    http://127.0.0.1:$LEDGER_HTTP/metrics   /readyz   /healthz
  Redis               127.0.0.1:$REDIS_PORT (AOF in $RUN/redis)
  writer API key      $RUN/writer.key   (send as "authorization: Bearer <key>")
  logs                $RUN/*.log

Try (with grpcurl):
  grpcurl -plaintext 127.0.0.1:$LEDGER_GRPC list
  grpcurl -plaintext -d '{"sku":"TEE-OVERSIZE-WHT-M","market":"US"}' 127.0.0.1:$LEDGER_GRPC stockcast.ledger.v1.StockLedger/GetAvailability
  grpcurl -plaintext -d '{}' 127.0.0.1:$LEDGER_GRPC stockcast.ledger.v1.StockLedger/Watch
Ctrl-C stops everything.
MSG
wait -n "${pids[@]}"
