#!/usr/bin/env bash
# `make bench`: loads the real stock-ledger over gRPC on loopback, then the warehouse-connector in
# front of it, then the alerting service and the overlay-broadcast service behind it, and writes bench/results/latest.md (also
# printed). Starts its own redis-server and ledger on free loopback ports, measures redis-benchmark
# against that same redis as the ceiling, runs the ledger scenarios of bench/Stockcast.Bench, then
# starts the connector (file-drop, ShipHero-webhook and canonical-push feeds) and the warehouse
# simulator and runs the connector scenarios, then starts the alerting service (following the
# ledger's Watch) and runs the alerting scenario, then starts the overlay-broadcast service and fans
# live stock out to thousands of SSE and WebSocket viewers, samples the services' memory
# throughout, and stops everything on exit.
#
# Usage: bash bench/run.sh [Release|Debug]
# Knobs (environment): BENCH_SECONDS (10, measured seconds per scenario), APPLY_STREAMS (6),
#   APPLY_BATCH (500), APPLY_SKUS (20000), WATCHERS (100), WATCH_RATE (5000), WATCH_BATCH (50),
#   AVAIL_CALLERS (32), REDIS_BENCH_N (200000), BENCH_STRICT=1 (exit 1 when a goal is missed),
#   BENCH_REDIS_AOF=1 (run redis with appendonly yes / appendfsync everysec, as production must),
#   BENCH_PARTS (ledger,connector,alerting,overlay: which scenarios to run), DROP_RECORDS (100000),
#   WEBHOOK_SENDERS (16), SYNCLAG_RATE (200 changes/s), SYNCLAG_SIM_RATE (50 changes/s through the
#   simulator), SYNCLAG_VIA (sim,webhook,push), ALERT_ROOMS (20), ALERT_SKUS_PER_ROOM (50),
#   ALERT_LOAD_RATE (3000 background changes/s), ALERT_PROBE_RATE (20 raise+resolve cycles/s),
#   FANOUT_STEPS (sse:1000:10,sse:5000:10,sse:10000:10,ws:10000:10,sse:10000:1,ws:10000:1: transport:
#   clients:rooms), FANOUT_RATE (5 changes/s per room).
# Each scenario also has an untimed warm-up (see bench/Stockcast.Bench --help).
set -euo pipefail

CONFIG="${1:-Release}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SECONDS_PER_SCENARIO="${BENCH_SECONDS:-10}"
APPLY_STREAMS="${APPLY_STREAMS:-6}"
APPLY_BATCH="${APPLY_BATCH:-500}"
APPLY_SKUS="${APPLY_SKUS:-20000}"
WATCHERS="${WATCHERS:-100}"
WATCH_RATE="${WATCH_RATE:-5000}"
WATCH_BATCH="${WATCH_BATCH:-50}"
AVAIL_CALLERS="${AVAIL_CALLERS:-32}"
REDIS_BENCH_N="${REDIS_BENCH_N:-200000}"
BENCH_PARTS="${BENCH_PARTS:-ledger,connector,alerting,overlay}"
DROP_RECORDS="${DROP_RECORDS:-100000}"
WEBHOOK_SENDERS="${WEBHOOK_SENDERS:-16}"
SYNCLAG_RATE="${SYNCLAG_RATE:-200}"
SYNCLAG_SIM_RATE="${SYNCLAG_SIM_RATE:-50}"
SYNCLAG_VIA="${SYNCLAG_VIA:-sim,webhook,push}"
ALERT_ROOMS="${ALERT_ROOMS:-20}"
ALERT_SKUS_PER_ROOM="${ALERT_SKUS_PER_ROOM:-50}"
ALERT_LOAD_RATE="${ALERT_LOAD_RATE:-3000}"
ALERT_PROBE_RATE="${ALERT_PROBE_RATE:-20}"
FANOUT_STEPS="${FANOUT_STEPS:-sse:1000:10,sse:5000:10,sse:10000:10,ws:10000:10,sse:10000:1,ws:10000:1}"
FANOUT_RATE="${FANOUT_RATE:-5}"
run_part() { [[ ",$BENCH_PARTS," == *",$1,"* ]]; }

# Goals from the issue.
GOAL_APPLY=100000      # events/s applied
GOAL_WATCH_P99=25      # ms
GOAL_AVAIL=25000       # calls/s
GOAL_RSS_MIB=300       # MiB peak RSS of the ledger
LAG_BOUND_MS=10000     # the product brief: stock shown live never lags more than 10 s (not a goal of this issue)
GOAL_FANOUT_P99=100    # ms, ledger write -> value on the viewer, at 10,000 viewers (issue 5)
GOAL_FANOUT_RSS_MIB=1024  # MiB, the overlay with 10,000 viewers (issue 5)

LEDGER_DLL="services/stock-ledger/bin/$CONFIG/net10.0/Stockcast.StockLedger.dll"
BENCH_DLL="bench/Stockcast.Bench/bin/$CONFIG/net10.0/Stockcast.Bench.dll"
CONNECTOR_DLL="services/warehouse-connector/bin/$CONFIG/net10.0/Stockcast.WarehouseConnector.dll"
SIM_DLL="tools/warehouse-sim/bin/$CONFIG/net10.0/Stockcast.WarehouseSim.dll"
ALERTING_DLL="services/alerting/bin/$CONFIG/net10.0/Stockcast.Alerting.dll"
OVERLAY_DLL="services/overlay-broadcast/bin/$CONFIG/net10.0/Stockcast.OverlayBroadcast.dll"
RESULTS_DIR="bench/results"
REPORT="$RESULTS_DIR/latest.md"

for tool in redis-server redis-cli redis-benchmark dotnet; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is not installed (run 'make deps')" >&2; exit 1; }
done
if [[ ! -f "$LEDGER_DLL" || ! -f "$BENCH_DLL" || ! -f "$CONNECTOR_DLL" || ! -f "$SIM_DLL" || ! -f "$ALERTING_DLL" || ! -f "$OVERLAY_DLL" ]]; then
  echo "bench: building ($CONFIG)..."
  dotnet build Microservices.sln -c "$CONFIG" -nologo -v q
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/stockcast-bench.XXXXXX")"
REDIS_PID=""
LEDGER_PID=""
CONNECTOR_PID=""
SIM_PID=""
ALERTING_PID=""
OVERLAY_PID=""
SAMPLER_PID=""

stop_pid() {  # pid, seconds to wait after SIGTERM before SIGKILL
  local pid="$1" wait_s="$2" i
  [[ -n "$pid" ]] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < wait_s * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_pid "$SAMPLER_PID" 2
  stop_pid "$OVERLAY_PID" 10
  stop_pid "$ALERTING_PID" 10
  stop_pid "$SIM_PID" 5
  stop_pid "$CONNECTOR_PID" 10
  stop_pid "$LEDGER_PID" 10
  stop_pid "$REDIS_PID" 5
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Run copies of the binaries: a rebuild of the work tree during the run (which rewrites the loaded
# assemblies in place) must not change, or crash, what is being measured.
mkdir -p "$WORK/bin"
cp -r "$(dirname "$LEDGER_DLL")" "$WORK/bin/ledger"
cp -r "$(dirname "$BENCH_DLL")" "$WORK/bin/bench"
cp -r "$(dirname "$CONNECTOR_DLL")" "$WORK/bin/connector"
cp -r "$(dirname "$SIM_DLL")" "$WORK/bin/sim"
cp -r "$(dirname "$ALERTING_DLL")" "$WORK/bin/alerting"
cp -r "$(dirname "$OVERLAY_DLL")" "$WORK/bin/overlay"
LEDGER_DLL="$WORK/bin/ledger/$(basename "$LEDGER_DLL")"
BENCH_DLL="$WORK/bin/bench/$(basename "$BENCH_DLL")"
CONNECTOR_DLL="$WORK/bin/connector/$(basename "$CONNECTOR_DLL")"
SIM_DLL="$WORK/bin/sim/$(basename "$SIM_DLL")"
ALERTING_DLL="$WORK/bin/alerting/$(basename "$ALERTING_DLL")"
OVERLAY_DLL="$WORK/bin/overlay/$(basename "$OVERLAY_DLL")"

# free_port VAR: a loopback port nobody listens on (and not one picked before), into VAR.
TAKEN=" "
free_port() {
  local p i
  for ((i = 0; i < 100; i++)); do
    p=$((20000 + RANDOM % 40000))
    [[ "$TAKEN" == *" $p "* ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      TAKEN="$TAKEN$p "
      printf -v "$1" '%s' "$p"
      return 0
    fi
  done
  echo "bench: no free port found" >&2
  return 1
}

# ---------------------------------------------------------------- machine
cpu_model="$(lscpu 2>/dev/null | awk -F: '/^Model name/ {gsub(/^[ \t]+/, "", $2); print $2; exit}')"
cores="$(nproc)"
mem_total="$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
kernel="$(uname -sr)"
dotnet_version="$(dotnet --version)"
redis_version="$(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p')"
clk_tck="$(getconf CLK_TCK)"
load_at_start="$(cut -d' ' -f1-3 /proc/loadavg)"
started_at="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
git_rev="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [[ -n "$(git status --porcelain -- services protos 2>/dev/null)" ]]; then git_rev="$git_rev (+ uncommitted changes under services/ or protos/)"; fi

echo "bench: $cpu_model, $cores cores, $mem_total, $kernel, .NET SDK $dotnet_version, redis $redis_version"

# ---------------------------------------------------------------- redis
free_port REDIS_PORT
mkdir -p "$WORK/redis"
if [[ "${BENCH_REDIS_AOF:-0}" == 1 ]]; then
  REDIS_PERSISTENCE=(--save "" --appendonly yes --appendfsync everysec)
  REDIS_PERSISTENCE_TEXT='--save "" --appendonly yes --appendfsync everysec'
else
  REDIS_PERSISTENCE=(--save "" --appendonly no)
  REDIS_PERSISTENCE_TEXT='--save "" --appendonly no'
fi
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$WORK/redis" "${REDIS_PERSISTENCE[@]}" \
  --protected-mode yes --logfile "$WORK/redis/redis.log" --daemonize no &
REDIS_PID=$!
rcli() { timeout 10 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"; }
for ((i = 0; i < 200; i++)); do
  [[ "$(rcli ping 2>/dev/null || true)" == "PONG" ]] && break
  kill -0 "$REDIS_PID" 2>/dev/null || { cat "$WORK/redis/redis.log" >&2; echo "bench: redis-server did not start" >&2; exit 1; }
  sleep 0.1
done
[[ "$(rcli ping 2>/dev/null || true)" == "PONG" ]] || { echo "bench: redis-server did not answer within 20 s" >&2; exit 1; }
echo "bench: redis-server pid $REDIS_PID on 127.0.0.1:$REDIS_PORT"

# ---------------------------------------------------------------- redis-benchmark (the ceiling)
# Run before the ledger starts, so nothing else competes for the cores; then the data is flushed.
declare -A RB
redis_bench() {  # label, extra args...
  local label="$1"; shift
  echo "bench: redis-benchmark $label"
  timeout 180 redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" --csv -t set,get,incr -n "$REDIS_BENCH_N" "$@" >"$WORK/rb-$label.csv"
  while IFS=, read -r test rps _avg _min p50 _p95 p99 _max; do
    test="${test//\"/}"; [[ "$test" == "test" || -z "$test" ]] && continue
    RB["$label.$test.rps"]="${rps//\"/}"
    RB["$label.$test.p50"]="${p50//\"/}"
    RB["$label.$test.p99"]="${p99//\"/}"
  done <"$WORK/rb-$label.csv"
}
redis_bench plain
redis_bench p16 -P 16
rcli flushall >/dev/null

# ---------------------------------------------------------------- ledger
free_port GRPC_PORT
free_port HTTP_PORT
API_KEY="bench-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
(
  export ASPNETCORE_ENVIRONMENT=Production
  export DOTNET_CLI_TELEMETRY_OPTOUT=1
  export Logging__LogLevel__Default=Warning
  export Kestrel__Endpoints__Grpc__Url="http://127.0.0.1:$GRPC_PORT"
  export Kestrel__Endpoints__Grpc__Protocols=Http2
  export Kestrel__Endpoints__Http__Url="http://127.0.0.1:$HTTP_PORT"
  export Redis__Configuration="127.0.0.1:$REDIS_PORT"
  export Redis__Namespace=bench
  export Auth__ApiKeys__0__Name=bench
  export Auth__ApiKeys__0__Key="$API_KEY"
  export Auth__ApiKeys__0__Access=Write
  export Ledger__Warehouses__0__Id=us-east Ledger__Warehouses__0__Region=us-east Ledger__Warehouses__0__Markets__0=US
  export Ledger__Warehouses__1__Id=us-west Ledger__Warehouses__1__Region=us-west Ledger__Warehouses__1__Markets__0=US
  export Ledger__Warehouses__2__Id=eu-de Ledger__Warehouses__2__Region=eu-de Ledger__Warehouses__2__Markets__0=DE
  # The connector's warehouses (its scenarios run after the ledger's; no ledger scenario writes to them).
  export Ledger__Warehouses__3__Id=cn-drop Ledger__Warehouses__3__Region=us-east Ledger__Warehouses__3__Markets__0=US
  export Ledger__Warehouses__4__Id=cn-shiphero Ledger__Warehouses__4__Region=us-east Ledger__Warehouses__4__Markets__0=US
  export Ledger__Warehouses__5__Id=cn-sim Ledger__Warehouses__5__Region=us-west Ledger__Warehouses__5__Markets__0=US
  export Ledger__Warehouses__6__Id=cn-push Ledger__Warehouses__6__Region=eu-de Ledger__Warehouses__6__Markets__0=DE
  exec dotnet "$LEDGER_DLL"
) >"$WORK/ledger.log" 2>&1 &
LEDGER_PID=$!
echo "bench: stock-ledger pid $LEDGER_PID, gRPC 127.0.0.1:$GRPC_PORT, HTTP 127.0.0.1:$HTTP_PORT"

# Memory sampler: VmRSS of the ledger, redis and (once started, their pids in connector.pid,
# alerting.pid and overlay.pid) the connector, the alerting and the overlay service every 500 ms,
# tagged with the current phase. Bounded: at most 2400 samples (20 min), and it ends with the ledger.
echo idle >"$WORK/phase"
(
  for ((n = 0; n < 2400; n++)); do
    kill -0 "$LEDGER_PID" 2>/dev/null || break
    l="$(awk '/^VmRSS/ {print $2}' "/proc/$LEDGER_PID/status" 2>/dev/null || true)"
    r="$(awk '/^VmRSS/ {print $2}' "/proc/$REDIS_PID/status" 2>/dev/null || true)"
    c=""
    if [[ -s "$WORK/connector.pid" ]]; then c="$(awk '/^VmRSS/ {print $2}' "/proc/$(cat "$WORK/connector.pid")/status" 2>/dev/null || true)"; fi
    a=""
    if [[ -s "$WORK/alerting.pid" ]]; then a="$(awk '/^VmRSS/ {print $2}' "/proc/$(cat "$WORK/alerting.pid")/status" 2>/dev/null || true)"; fi
    o=""
    if [[ -s "$WORK/overlay.pid" ]]; then o="$(awk '/^VmRSS/ {print $2}' "/proc/$(cat "$WORK/overlay.pid")/status" 2>/dev/null || true)"; fi
    echo "$(cat "$WORK/phase" 2>/dev/null || echo ?) ${l:-0} ${r:-0} ${c:-0} ${a:-0} ${o:-0}" >>"$WORK/rss.log"
    sleep 0.5
  done
) &
SAMPLER_PID=$!

RESULTS="$WORK/results.env"
: >"$RESULTS"
FAILED=()
bench() {  # scenario, args...
  local scenario="$1"; shift
  local pids=(--ledger-pid "$LEDGER_PID" --redis-pid "$REDIS_PID")
  [[ -n "$CONNECTOR_PID" ]] && pids+=(--connector-pid "$CONNECTOR_PID")
  [[ -n "$SIM_PID" ]] && pids+=(--sim-pid "$SIM_PID")
  [[ -n "$ALERTING_PID" ]] && pids+=(--alerting-pid "$ALERTING_PID")
  [[ -n "$OVERLAY_PID" ]] && pids+=(--overlay-pid "$OVERLAY_PID")
  STOCKCAST_BENCH_KEY="$API_KEY" STOCKCAST_BENCH_WEBHOOK_SECRET="${WEBHOOK_SECRET:-}" STOCKCAST_BENCH_SIM_SECRET="${SIM_SECRET:-}" \
    timeout "${BENCH_CALL_TIMEOUT:-300}" dotnet "$BENCH_DLL" "$scenario" --target "http://127.0.0.1:$GRPC_PORT" --out "$RESULTS" \
    "${pids[@]}" --clk-tck "$clk_tck" "$@"
}
# One scenario: phase marker for the memory sampler, Redis command stats reset before and saved after.
scenario() {  # name, args...
  local name="$1"; shift
  echo "$name" >"$WORK/phase"
  rcli config resetstat >/dev/null
  echo "bench: --- $name"
  if ! bench "$name" "$@"; then
    FAILED+=("$name")
    echo "bench: $name FAILED; last lines of the ledger log:" >&2
    tail -n 20 "$WORK/ledger.log" >&2 || true
    if [[ -n "$ALERTING_PID" ]]; then
      echo "bench: last lines of the alerting service's log:" >&2
      tail -n 20 "$WORK/alerting.log" >&2 || true
    fi
  fi
  rcli info commandstats >"$WORK/cmdstats-$name.txt" || true
  kill -0 "$LEDGER_PID" 2>/dev/null || ledger_died
  if [[ -n "$CONNECTOR_PID" ]] && ! kill -0 "$CONNECTOR_PID" 2>/dev/null; then
    echo "bench: the connector exited during the run; its log:" >&2
    tail -n 40 "$WORK/connector.log" >&2
    exit 1
  fi
  if [[ -n "$ALERTING_PID" ]] && ! kill -0 "$ALERTING_PID" 2>/dev/null; then
    echo "bench: the alerting service exited during the run; its log:" >&2
    tail -n 40 "$WORK/alerting.log" >&2
    exit 1
  fi
  if [[ -n "$OVERLAY_PID" ]] && ! kill -0 "$OVERLAY_PID" 2>/dev/null; then
    echo "bench: the overlay service exited during the run; its log:" >&2
    tail -n 40 "$WORK/overlay.log" >&2
    exit 1
  fi
}
ledger_died() {  # reports how the ledger ended (e.g. 137 = SIGKILL, 143 = SIGTERM, 135 = SIGBUS) and stops
  local rc=0
  wait "$LEDGER_PID" 2>/dev/null || rc=$?
  LEDGER_PID=""
  echo "bench: the ledger exited during the run (status $rc$( ((rc > 128)) && echo ", signal $((rc - 128))"); 0 after a SIGTERM, which it handles gracefully): was it stopped from outside? Its log:" >&2
  tail -n 40 "$WORK/ledger.log" >&2
  exit 1
}

if ! bench ready --http "http://127.0.0.1:$HTTP_PORT" --warehouses 7 --timeout 60; then
  tail -n 40 "$WORK/ledger.log" >&2
  exit 1
fi
sleep 1  # a few idle samples

if run_part ledger; then
  scenario apply --streams "$APPLY_STREAMS" --batch "$APPLY_BATCH" --skus "$APPLY_SKUS" --seconds "$SECONDS_PER_SCENARIO"
  scenario watch --watchers "$WATCHERS" --rate "$WATCH_RATE" --batch "$WATCH_BATCH" --seconds "$SECONDS_PER_SCENARIO"
  scenario availability --callers "$AVAIL_CALLERS" --skus "$APPLY_SKUS" --seconds "$SECONDS_PER_SCENARIO"
  scenario health --callers "$AVAIL_CALLERS" --seconds "$SECONDS_PER_SCENARIO"
fi

# ---------------------------------------------------------------- warehouse-connector
# Started only now, so the ledger's figures above are measured without it. Its feeds: a file drop
# polled every second, two ShipHero webhook receivers (one for the bench's own senders, one for
# the simulator's) and a canonical push feed, each a warehouse registered in the ledger above.
if run_part connector; then
  echo connector-idle >"$WORK/phase"
  free_port CN_GRPC_PORT
  free_port CN_HTTP_PORT
  free_port SIM_PORT
  WEBHOOK_SECRET="hook-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  SIM_SECRET="sim-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  DROP_DIR="$WORK/drop"
  mkdir -p "$DROP_DIR"
  (
    export ASPNETCORE_ENVIRONMENT=Production
    export DOTNET_CLI_TELEMETRY_OPTOUT=1
    export Logging__LogLevel__Default=Warning
    export Kestrel__Endpoints__Grpc__Url="http://127.0.0.1:$CN_GRPC_PORT"
    export Kestrel__Endpoints__Grpc__Protocols=Http2
    export Kestrel__Endpoints__Http__Url="http://127.0.0.1:$CN_HTTP_PORT"
    export Redis__Configuration="127.0.0.1:$REDIS_PORT"
    export Redis__Namespace=bench
    export Auth__ApiKeys__0__Name=bench
    export Auth__ApiKeys__0__Key="$API_KEY"
    export Auth__ApiKeys__0__Access=Write
    export Connector__LedgerAddress="http://127.0.0.1:$GRPC_PORT"
    export Connector__LedgerApiKey="$API_KEY"
    export Connector__Feeds__0__WarehouseId=cn-drop Connector__Feeds__0__Source=file-drop Connector__Feeds__0__SettleSeconds=0
    export Connector__Feeds__0__Folder="$DROP_DIR" Connector__Feeds__0__PollIntervalSeconds=1
    export Connector__Feeds__1__WarehouseId=cn-shiphero Connector__Feeds__1__Source=shiphero Connector__Feeds__1__WebhookSecret="$WEBHOOK_SECRET"
    export Connector__Feeds__2__WarehouseId=cn-sim Connector__Feeds__2__Source=shiphero Connector__Feeds__2__WebhookSecret="$SIM_SECRET"
    export Connector__Feeds__3__WarehouseId=cn-push Connector__Feeds__3__Source=canonical
    exec dotnet "$CONNECTOR_DLL"
  ) >"$WORK/connector.log" 2>&1 &
  CONNECTOR_PID=$!
  echo "$CONNECTOR_PID" >"$WORK/connector.pid"
  echo "bench: warehouse-connector pid $CONNECTOR_PID, gRPC 127.0.0.1:$CN_GRPC_PORT, HTTP 127.0.0.1:$CN_HTTP_PORT, drop folder $DROP_DIR"
  # The simulator reads appsettings.json from its working directory; no scenario file, no real-time
  # clock: the synclag scenario loads its own warehouse and makes every change itself.
  (
    cd "$(dirname "$SIM_DLL")"
    export ASPNETCORE_ENVIRONMENT=Production
    exec dotnet "$SIM_DLL" --Kestrel:Endpoints:Http:Url="http://127.0.0.1:$SIM_PORT" --Sim:ScenarioFile= --Sim:RealTime=false --Logging:LogLevel:Default=Warning
  ) >"$WORK/sim.log" 2>&1 &
  SIM_PID=$!
  echo "bench: warehouse-sim pid $SIM_PID on 127.0.0.1:$SIM_PORT"
  CONNECTOR_ARGS=(--connector "http://127.0.0.1:$CN_HTTP_PORT" --connector-grpc "http://127.0.0.1:$CN_GRPC_PORT")
  if ! bench connector-ready "${CONNECTOR_ARGS[@]}" --feeds 4 --sim "http://127.0.0.1:$SIM_PORT" --timeout 60; then
    tail -n 40 "$WORK/connector.log" "$WORK/sim.log" >&2
    exit 1
  fi

  # Webhooks first: their 10 s warm-up also brings the connector's shared path (normalise, deliver,
  # feed status) and the ledger's per-call path onto optimised code for the scenarios after it.
  scenario webhooks "${CONNECTOR_ARGS[@]}" --warehouse cn-shiphero --senders "$WEBHOOK_SENDERS" --seconds "$SECONDS_PER_SCENARIO"
  scenario connector-health "${CONNECTOR_ARGS[@]}" --senders "$WEBHOOK_SENDERS" --warmup 3 --seconds "$SECONDS_PER_SCENARIO"
  scenario filedrop "${CONNECTOR_ARGS[@]}" --folder "$DROP_DIR" --warehouse cn-drop --records "$DROP_RECORDS"
  scenario synclag "${CONNECTOR_ARGS[@]}" --via "$SYNCLAG_VIA" --rate "$SYNCLAG_RATE" --sim-rate "$SYNCLAG_SIM_RATE" --seconds "$SECONDS_PER_SCENARIO" \
    --sim "http://127.0.0.1:$SIM_PORT" --sim-warehouse cn-sim --webhook-warehouse cn-shiphero --push-warehouse cn-push
fi

# ---------------------------------------------------------------- alerting
# Started only now (so the figures above are measured without it following the ledger's Watch).
# It lists the whole ledger at start, then follows its Watch; feed anomalies are left out
# (ConnectorAddress empty): the scenario measures the path from a stock change to the alert.
if run_part alerting; then
  echo alerting-idle >"$WORK/phase"
  free_port AL_GRPC_PORT
  free_port AL_HTTP_PORT
  (
    export ASPNETCORE_ENVIRONMENT=Production
    export DOTNET_CLI_TELEMETRY_OPTOUT=1
    export Logging__LogLevel__Default=Warning
    export Kestrel__Endpoints__Grpc__Url="http://127.0.0.1:$AL_GRPC_PORT"
    export Kestrel__Endpoints__Grpc__Protocols=Http2
    export Kestrel__Endpoints__Http__Url="http://127.0.0.1:$AL_HTTP_PORT"
    export Redis__Configuration="127.0.0.1:$REDIS_PORT"
    export Redis__Namespace=bench
    export Auth__ApiKeys__0__Name=bench
    export Auth__ApiKeys__0__Key="$API_KEY"
    export Auth__ApiKeys__0__Access=Write
    export Alerting__LedgerAddress="http://127.0.0.1:$GRPC_PORT"
    export Alerting__LedgerApiKey="$API_KEY"
    export Alerting__ConnectorAddress=
    exec dotnet "$ALERTING_DLL"
  ) >"$WORK/alerting.log" 2>&1 &
  ALERTING_PID=$!
  echo "$ALERTING_PID" >"$WORK/alerting.pid"
  echo "bench: alerting pid $ALERTING_PID, gRPC 127.0.0.1:$AL_GRPC_PORT, HTTP 127.0.0.1:$AL_HTTP_PORT"
  ALERTING_ARGS=(--alerting "http://127.0.0.1:$AL_GRPC_PORT" --alerting-http "http://127.0.0.1:$AL_HTTP_PORT")
  if ! bench alerting-ready "${ALERTING_ARGS[@]}" --timeout 120; then
    tail -n 40 "$WORK/alerting.log" >&2
    exit 1
  fi
  scenario alerts "${ALERTING_ARGS[@]}" --rooms "$ALERT_ROOMS" --skus-per-room "$ALERT_SKUS_PER_ROOM" --market US --warehouse us-east \
    --load-rate "$ALERT_LOAD_RATE" --probe-rate "$ALERT_PROBE_RATE" --seconds "$SECONDS_PER_SCENARIO"
fi

# ---------------------------------------------------------------- overlay-broadcast
# Started last, following the same ledger's Watch (one per replica, filtered to its rooms' SKUs), on
# the same redis-server. Kestrel's connection limits are unlimited by default (MaxConcurrentConnections,
# MaxConcurrentUpgradedConnections); the viewers' sockets count against this shell's open-file limit.
if run_part overlay; then
  echo overlay-idle >"$WORK/phase"
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  echo "bench: open files limit $(ulimit -n) (the overlay and the load generator each hold one per viewer)"
  free_port OV_GRPC_PORT
  free_port OV_HTTP_PORT
  (
    export ASPNETCORE_ENVIRONMENT=Production
    export DOTNET_CLI_TELEMETRY_OPTOUT=1
    export Logging__LogLevel__Default=Warning
    export Kestrel__Endpoints__Grpc__Url="http://127.0.0.1:$OV_GRPC_PORT"
    export Kestrel__Endpoints__Grpc__Protocols=Http2
    export Kestrel__Endpoints__Http__Url="http://127.0.0.1:$OV_HTTP_PORT"
    export Kestrel__Endpoints__Http__Protocols=Http1
    export Redis__Configuration="127.0.0.1:$REDIS_PORT"
    export Redis__Namespace=bench
    export Auth__ApiKeys__0__Name=bench
    export Auth__ApiKeys__0__Key="$API_KEY"
    export Auth__ApiKeys__0__Access=Write
    export Overlay__LedgerAddress="http://127.0.0.1:$GRPC_PORT"
    export Overlay__LedgerApiKey="$API_KEY"
    exec dotnet "$OVERLAY_DLL"
  ) >"$WORK/overlay.log" 2>&1 &
  OVERLAY_PID=$!
  echo "$OVERLAY_PID" >"$WORK/overlay.pid"
  echo "bench: overlay-broadcast pid $OVERLAY_PID, gRPC 127.0.0.1:$OV_GRPC_PORT, HTTP 127.0.0.1:$OV_HTTP_PORT"
  OVERLAY_ARGS=(--overlay "http://127.0.0.1:$OV_GRPC_PORT" --overlay-http "http://127.0.0.1:$OV_HTTP_PORT")
  if ! bench overlay-ready "${OVERLAY_ARGS[@]}" --timeout 60; then
    tail -n 40 "$WORK/overlay.log" >&2
    exit 1
  fi
  fanout_load_at_start="$(cut -d' ' -f1-3 /proc/loadavg)"
  # Six steps of up to 10,000 viewers take a few minutes, more than the other scenarios' bound.
  BENCH_CALL_TIMEOUT=1200 scenario fanout "${OVERLAY_ARGS[@]}" --steps "$FANOUT_STEPS" --rate "$FANOUT_RATE" --seconds "$SECONDS_PER_SCENARIO"
  fanout_load_at_end="$(cut -d' ' -f1-3 /proc/loadavg)"
fi
echo done >"$WORK/phase"
sleep 1

vmhwm_kb="$(awk '/^VmHWM/ {print $2}' "/proc/$LEDGER_PID/status")"
connector_hwm_kb=""
[[ -n "$CONNECTOR_PID" ]] && connector_hwm_kb="$(awk '/^VmHWM/ {print $2}' "/proc/$CONNECTOR_PID/status" 2>/dev/null || true)"
alerting_hwm_kb=""
[[ -n "$ALERTING_PID" ]] && alerting_hwm_kb="$(awk '/^VmHWM/ {print $2}' "/proc/$ALERTING_PID/status" 2>/dev/null || true)"
overlay_hwm_kb=""
[[ -n "$OVERLAY_PID" ]] && overlay_hwm_kb="$(awk '/^VmHWM/ {print $2}' "/proc/$OVERLAY_PID/status" 2>/dev/null || true)"
stop_pid "$SAMPLER_PID" 2
SAMPLER_PID=""

# ---------------------------------------------------------------- report
# shellcheck disable=SC1090
source "$RESULTS"
declare -A RESULTS_SEEN  # which keys this run produced: rows for scenarios not run are left out
while IFS='=' read -r key _; do RESULTS_SEEN["$key"]=1; done <"$RESULTS"
v() { local name="$1"; echo "${!name:-n/a}"; }
num() { [[ "$1" =~ ^-?[0-9]+(\.[0-9]+)?$ ]]; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
ratio() {  # ours, ceiling -> "0.123x" or n/a
  if num "$1" && num "$2" && awk "BEGIN { exit !($2 > 0) }"; then calc "%.3fx" "$1 / $2"; else echo n/a; fi
}
passfail() {  # value, op (ge|le), goal
  num "$1" || { echo "FAIL (no result)"; return; }
  if awk "BEGIN { exit !($1 $([[ $2 == ge ]] && echo '>=' || echo '<=') $3) }"; then echo PASS; else echo "**FAIL**"; fi
}
busy_note() {  # result prefixes of the scenarios -> whether anything else competed for the cores during them
  local worst k
  worst="$(for k in "$@"; do v "${k}_cpu_others"; done |
    awk 'BEGIN { m = 0 } /^[0-9.]+$/ && $1 > m { m = $1 } END { print m }')"
  if awk "BEGIN { exit !($worst > 0.15) }"; then
    echo "**up to $worst cores were used by other work on this machine during the run, so these figures understate what an idle machine gives; run again on a quiet machine.**"
  else
    echo "at most $worst cores, i.e. the machine was otherwise quiet."
  fi
}
within() {  # value, limit, unit -> informational verdict for rows that are not goals
  num "$1" || { echo "n/a"; return; }
  if awk "BEGIN { exit !($1 <= $2) }"; then echo "within $2 $3"; else echo "**over $2 $3**"; fi
}
per_unit_us() {  # cores, units per second -> microseconds of CPU per unit
  if num "$1" && num "$2" && [[ "$2" != "0" ]]; then calc "%.1f" "$1 * 1000000 / $2"; else echo n/a; fi
}
rss_peak() {  # phase (or "all"), column (2 ledger, 3 redis, 4 connector, 5 alerting, 6 overlay) -> MiB
  awk -v p="$1" -v c="$2" '($1 == p || p == "all") && $c > m { m = $c } END { printf "%.0f", m / 1024 }' "$WORK/rss.log"
}
top_cmds() {  # scenario -> markdown rows: command, calls, usec/call, share of redis time
  awk -F'[:,=]' '/^cmdstat_/ { name = substr($1, 9); gsub(/\|/, "/", name); calls[name] = $3; usec[name] = $5; per[name] = $7; total += $5 }
    END { for (n in usec) printf "%s %s %s %s %.1f\n", usec[n], n, calls[n], per[n], (total ? 100 * usec[n] / total : 0) }' \
    "$WORK/cmdstats-$1.txt" 2>/dev/null | sort -rn | head -n 8 |
    awk '{ printf "| %s | %s | %s | %s | %s%% |\n", "'"$1"'", $2, $3, $4, $5 }'
}

# The warehouse-connector's part of the report (it ran after the ledger's scenarios, same redis and ledger).
seen() { [[ -n "${RESULTS_SEEN[$1]:-}" ]]; }
drop_row() {  # csv|json
  local p="filedrop_$1"
  echo "| File drop, $1: $(v ${p}_records) records ($(v ${p}_file_mib) MiB), from the file landing in the folder to the last record on the ledger's Watch | **$(v ${p}_records_per_s) records/s** normalised and delivered ($(v ${p}_seconds) s; first record after $(v ${p}_first_change_ms) ms, then $(v ${p}_records_per_s_after_first) records/s); complete: $(v ${p}_complete) | $(ratio "$(v ${p}_records_per_s)" "$(v apply_events_per_s)") of the ledger's ApplyStockEvents rate in this run; $(ratio "$(v ${p}_records_per_s)" "${RB[plain.SET.rps]:-}") of redis SET unpipelined |"
}
lag_row() {  # sim|webhook|push, description
  local p="synclag_$1"
  echo "| Sync lag, $2; $(v ${p}_rate) changes/s for $(v ${p}_seconds) s | p50 **$(v ${p}_p50_ms) ms**, p99 **$(v ${p}_p99_ms) ms** (p90 $(v ${p}_p90_ms), max $(v ${p}_max_ms)); $(v ${p}_delivered) of $(v ${p}_sent) changes on the Watch, complete: $(v ${p}_complete) | p99 $(within "$(v ${p}_p99_ms)" "$LAG_BOUND_MS" ms) (the brief's bound) |"
}
cpu_row() {  # label, result prefix, records per second
  local p="$2"
  echo "| $1 | $(v ${p}_cpu_ledger) | $(v ${p}_cpu_connector) | $(v ${p}_cpu_redis) | $(v ${p}_cpu_sim) | $(v ${p}_cpu_bench) | $(v ${p}_cpu_total) | $(v ${p}_cpu_others) | $(per_unit_us "$(v ${p}_cpu_connector)" "$3") µs | $(per_unit_us "$(v ${p}_cpu_ledger)" "$3") µs | $(per_unit_us "$(v ${p}_cpu_redis)" "$3") µs |"
}
connector_report() {
  local cn_hwm fmt via p
  cn_hwm="$(calc "%.0f" "${connector_hwm_kb:-0} / 1024")"
  cat <<EOF

## warehouse-connector

Started after the ledger's scenarios, in front of the same ledger and redis-server: a file-drop feed
polled every second, a ShipHero webhook feed for the load generator's senders and one for the
warehouse simulator's, and a canonical push feed. "On the ledger's Watch" is counted from the
ledger's own change stream, filtered to the feed's warehouse, not from the connector's answers.

| scenario | measured | compared with |
|---|---|---|
EOF
  for fmt in csv json; do seen "filedrop_${fmt}_records" && drop_row "$fmt"; done
  if seen webhooks_senders; then
    echo "| Signed ShipHero \"Inventory Update\" webhooks, $(v webhooks_senders) concurrent senders (HTTP/1.1, one SKU per webhook), $(v webhooks_seconds) s | **$(v webhooks_records_accepted_per_s) records/s accepted** (HTTP 200), $(v webhooks_records_applied_per_s) applied; per webhook p50 $(v webhooks_p50_ms) ms, p99 $(v webhooks_p99_ms) ms, max $(v webhooks_max_ms) ms; on the Watch: $(v webhooks_watch_delivered) of $(v webhooks_applied_total) applied, complete: $(v webhooks_delivered_complete) | $(ratio "$(v webhooks_records_accepted_per_s)" "$(v connector_health_ok_per_s)") of the connector's /healthz ceiling; $(ratio "$(v webhooks_records_accepted_per_s)" "${RB[plain.SET.rps]:-}") of redis SET unpipelined |"
  fi
  if seen connector_health_senders; then
    echo "| Reference: GET /healthz on the connector, same senders (Kestrel HTTP/1.1, nothing behind it) | $(v connector_health_ok_per_s) requests/s, p50 $(v connector_health_p50_ms) ms, p99 $(v connector_health_p99_ms) ms | |"
  fi
  seen synclag_sim_rate && lag_row sim "the simulator's change (POST /sim/adjust on its ShipHero warehouse, which posts the signed webhook) through the connector and the ledger to the Watch"
  seen synclag_webhook_rate && lag_row webhook "a signed ShipHero webhook sent by the load generator, through the connector and the ledger to the Watch"
  seen synclag_push_rate && lag_row push "a one-record canonical push, through the connector and the ledger to the Watch"
  echo "| Connector memory (whole run) | **peak VmRSS $(rss_peak all 4) MiB**, VmHWM $cn_hwm MiB | |"
  cat <<EOF

### warehouse-connector details

| scenario | figure | value |
|---|---|---|
| filedrop csv | records received / applied by the connector (its ListFeeds), dead-lettered | $(v filedrop_csv_connector_received) / $(v filedrop_csv_connector_applied), $(v filedrop_csv_dead_lettered) |
| filedrop json | records received / applied by the connector (its ListFeeds), dead-lettered | $(v filedrop_json_connector_received) / $(v filedrop_json_connector_applied), $(v filedrop_json_dead_lettered) |
| webhooks | requests in the window by HTTP status (0: no answer) | $(v webhooks_statuses) |
| webhooks | accepted per second from the first send; the first $(v webhooks_warmup_s) s are the warm-up (settled, i.e. no longer climbing: $(v webhooks_settled)) | $(v webhooks_timeline) |
| webhooks | accepted but not applied / dead-lettered | $(v webhooks_not_applied) / $(v webhooks_dead_lettered) |
EOF
  for via in sim webhook push; do
    seen "synclag_${via}_rate" || continue
    p="synclag_$via"
    echo "| synclag $via | sent per second (measured) / sends > 5 ms late / refused / not on the Watch | $(v ${p}_sent_per_s) / $(v ${p}_late_sends) / $(v ${p}_failed) / $(v ${p}_lost) |"
    echo "| synclag $via | the sending call itself (send to answer) p50 / p99 | $(v ${p}_call_p50_ms) / $(v ${p}_call_p99_ms) ms |"
    echo "| synclag $via | split at record.source_time (ShipHero: the connector's receipt; push: the sender's stamp), wall clock: send to source_time p50 / p99; source_time to Watch p50 / p99 | $(v ${p}_send_to_receipt_p50_ms) / $(v ${p}_send_to_receipt_p99_ms) ms; $(v ${p}_receipt_to_watch_p50_ms) / $(v ${p}_receipt_to_watch_p99_ms) ms |"
  done
  cat <<EOF

### warehouse-connector CPU split (cores busy over the measured window, from /proc/PID/stat; $cores cores in all)

| scenario | ledger | connector | redis-server | simulator | load generator | total | other processes | connector CPU per record | ledger CPU per record | redis CPU per record |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
EOF
  for fmt in csv json; do seen "filedrop_${fmt}_records" && cpu_row "filedrop $fmt" "filedrop_$fmt" "$(v filedrop_${fmt}_records_per_s)"; done
  seen webhooks_senders && cpu_row webhooks webhooks "$(v webhooks_records_accepted_per_s)"
  seen connector_health_senders && cpu_row "connector /healthz (per request)" connector_health "$(v connector_health_ok_per_s)"
  for via in sim webhook push; do seen "synclag_${via}_rate" && cpu_row "synclag $via" "synclag_$via" "$(v synclag_${via}_sent_per_s)"; done
  cat <<EOF

The file drop's window runs from the landing to the last record (it includes the wait for the next
poll); the others' are the measured seconds. "Other processes": $(busy_note filedrop_csv filedrop_json webhooks connector_health synclag_sim synclag_webhook synclag_push)

### warehouse-connector memory by phase (VmRSS peak, MiB)

| idle | filedrop | webhooks | connector /healthz | synclag | whole run | VmHWM at the end |
|---:|---:|---:|---:|---:|---:|---:|
| $(rss_peak connector-idle 4) | $(rss_peak filedrop 4) | $(rss_peak webhooks 4) | $(rss_peak connector-health 4) | $(rss_peak synclag 4) | $(rss_peak all 4) | $cn_hwm |

### Where redis-server spends its time in the connector's scenarios (INFO commandstats, top 8 by time)

| scenario | command | calls | µs/call | share |
|---|---|---:|---:|---:|
$(top_cmds filedrop)
$(top_cmds webhooks)
$(top_cmds synclag)
EOF
}

# The alerting service's part of the report (it ran last, following the same ledger, same redis).
alerting_report() {
  local al_hwm p=alerts
  al_hwm="$(calc "%.0f" "${alerting_hwm_kb:-0} / 1024")"
  cat <<EOF

## alerting

Started after the other scenarios, following the same ledger's Watch, on the same redis-server (feed
anomalies off: no connector address). $(v alerts_rooms) live rooms x $(v alerts_skus_per_room) SKUs
($(v alerts_skus) SKUs, market $(v alerts_market), one warehouse), each room's rule: low stock at
$(v alerts_threshold) units, no percentage, re-arm at $(v alerts_rearm_level), no cool-down. A background
writer keeps changing those SKUs (always above the re-arm level) while probe cycles take one SKU at a
time to $(v alerts_probe_low) units (RAISED) and back to $(v alerts_base_stock) (RESOLVED). Latency = the
notification's arrival on a WatchAlerts console stream - the arrival of the ledger's acknowledgement of
the probe, both in the load generator.

| figure | measured | compared with |
|---|---|---|
| Stock change in the ledger -> alert on the console stream; $(v alerts_probe_rate) cycles/s ($(v alerts_probes_measured) probes in $(v alerts_seconds) s) under $(v alerts_load_applied_per_s) background changes/s | p50 **$(v alerts_p50_ms) ms**, p99 **$(v alerts_p99_ms) ms** (p90 $(v alerts_p90_ms), max $(v alerts_max_ms)); exactly one notification per probe: $(v alerts_exactly_one) of $(v alerts_probes_measured), complete: $(v alerts_complete) | p99 $(within "$(v alerts_p99_ms)" "$LAG_BOUND_MS" ms) (the brief's bound for stock shown live) |
| RAISED (below the threshold) / RESOLVED (back above the re-arm level) | p50 $(v alerts_raise_p50_ms) / $(v alerts_resolve_p50_ms) ms, p99 $(v alerts_raise_p99_ms) / $(v alerts_resolve_p99_ms) ms, max $(v alerts_raise_max_ms) / $(v alerts_resolve_max_ms) ms | |
| Rules evaluated | **$(v alerts_evaluations_per_s) SKU evaluations/s** x $(v alerts_rules_per_evaluation) stock rules x $(v alerts_rule_contexts_per_evaluation) room = **$(v alerts_rules_per_s) rules/s**; $(v alerts_evaluation_mean_us) µs per SKU evaluation (the engine evaluating $(v alerts_evaluation_busy) of the time) | $(v alerts_ledger_changes_per_s) ledger changes/s to those SKUs ($(ratio "$(v alerts_evaluations_per_s)" "$(v alerts_ledger_changes_per_s)") evaluations per change); $(ratio "$(v alerts_ledger_changes_per_s)" "${RB[plain.SET.rps]:-}") of redis SET unpipelined |
| Alerting memory (whole run) | **peak VmRSS $(rss_peak all 5) MiB**, VmHWM $al_hwm MiB | the ledger: $(rss_peak all 2) MiB |

### alerting details

| figure | value |
|---|---|
| set-up: ledger seeded / the service's stock view had it / rules and streams until every start stock was recorded | $(v alerts_seed_s) s / $(v alerts_view_s) s / $(v alerts_start_stock_s) s |
| cycles (warm-up $(v alerts_warmup_s) s included) / measured; failed cycles | $(v alerts_cycles) / $(v alerts_cycles_measured); $(v alerts_failed_cycles) |
| notifications: missing / repeated or other types / for bench SKUs not being probed / other alerts on the stream | $(v alerts_missing) / $(v alerts_repeats) / $(v alerts_unexpected) / $(v alerts_foreign) |
| alerts in ListAlerts for the probed SKUs at the end / still firing | $(v alerts_alerts_listed) / $(v alerts_alerts_open_at_end) |
| notifications that arrived before the ledger's acknowledgement (counted as 0 ms) | $(v alerts_notified_before_ack) |
| warm-up (the service's first seconds of this load): p50 / p99 / max | $(v alerts_warmup_p50_ms) / $(v alerts_warmup_p99_ms) / $(v alerts_warmup_max_ms) ms |
| probe: send -> ledger acknowledgement p50 / p99; send -> notification p50 / p99 | $(v alerts_probe_ack_p50_ms) / $(v alerts_probe_ack_p99_ms) ms; $(v alerts_send_p50_ms) / $(v alerts_send_p99_ms) ms |
| the service's own stock_change_to_alert histogram (change received from the ledger -> alert in its log; raises only): mean, p99 bucket, count | $(v alerts_service_change_to_alert_mean_ms) ms, <= $(v alerts_service_change_to_alert_p99_le_ms) ms, $(v alerts_service_change_to_alert_count) |
| background writer: sent / applied / not applied / skipped (SKU under probe) / batches > 5 ms late; ack p50 / p99 | $(v alerts_load_sent) / $(v alerts_load_applied) / $(v alerts_load_not_applied) / $(v alerts_load_skipped) / $(v alerts_load_late_batches); $(v alerts_load_ack_p50_ms) / $(v alerts_load_ack_p99_ms) ms |
| SKU evaluations in the window (stockcast_alerting_rule_evaluations_total) | $(v alerts_evaluations) |

### alerting CPU split (cores busy over the measured window, from /proc/PID/stat; $cores cores in all)

| ledger | alerting | redis-server | load generator | total | other processes | alerting CPU per SKU evaluation | alerting CPU per ledger change | ledger CPU per change | redis CPU per change |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
| $(v ${p}_cpu_ledger) | $(v ${p}_cpu_alerting) | $(v ${p}_cpu_redis) | $(v ${p}_cpu_bench) | $(v ${p}_cpu_total) | $(v ${p}_cpu_others) | $(per_unit_us "$(v ${p}_cpu_alerting)" "$(v alerts_evaluations_per_s)") µs | $(per_unit_us "$(v ${p}_cpu_alerting)" "$(v alerts_ledger_changes_per_s)") µs | $(per_unit_us "$(v ${p}_cpu_ledger)" "$(v alerts_ledger_changes_per_s)") µs | $(per_unit_us "$(v ${p}_cpu_redis)" "$(v alerts_ledger_changes_per_s)") µs |

"Total" includes the connector and the simulator when they ran before (idle here). "Other processes": $(busy_note alerts)

### alerting memory by phase (VmRSS peak, MiB)

| idle (after listing the ledger) | alerts | whole run | VmHWM at the end |
|---:|---:|---:|---:|
| $(rss_peak alerting-idle 5) | $(rss_peak alerts 5) | $(rss_peak all 5) | $al_hwm |

### Where redis-server spends its time in the alerting scenario (INFO commandstats, top 8 by time)

Set-up included: recording each SKU's start stock reloads the service's whole catalogue (an HGETALL per
room and three more, twice), so HGETALL counts grow with SKUs x rooms.

| scenario | command | calls | µs/call | share |
|---|---|---:|---:|---:|
$(top_cmds alerts)
EOF
}

# The overlay-broadcast service's part of the report (it ran last, following the same ledger, same redis).
overlay_report() {
  local ov_hwm step t n r p verdict
  ov_hwm="$(calc "%.0f" "${overlay_hwm_kb:-0} / 1024")"
  cat <<EOF

## overlay-broadcast fan-out

Started last, following the same ledger's Watch, on the same redis-server; load average $fanout_load_at_start at
the start of the scenario, $fanout_load_at_end at its end. $(v fanout_rooms_live_s) s from the rooms' creation until
every room showed its seeded figure; the overlay's VmRSS then: $(v fanout_overlay_idle_rss_mib) MiB. Each step opens
its viewers on raw loopback sockets (at most 200 connecting at once), spread evenly over its rooms (each room: 3
featured SKUs, the first changing), then the ledger takes one change per room $FANOUT_RATE times a second for
$SECONDS_PER_SCENARIO s after a 2 s warm-up (the rooms' changes spread evenly over each interval). Two warm-up steps
(2,000 SSE, then 2,000 WebSocket viewers on 10 rooms) run first; they are reported last. Latency = the value's arrival at a viewer - the arrival of the ledger's
acknowledgement of the change, both in the load generator (which shares the cores).

| viewers | rooms | connected (all connected / all showing the room) | connect per viewer p50 / p99 / max | delivery p50 / p90 / **p99** / max | delivered; final value on | overlay VmRSS before → connected (per viewer) | goal (10,000 viewers: p99 < $GOAL_FANOUT_P99 ms, overlay < 1 GiB) |
|---|---:|---|---|---|---|---|---|
EOF
  for step in ${FANOUT_STEPS//,/ }; do
    IFS=: read -r t n r <<<"$step"
    p="fanout_${t}_${n}_r${r}"
    seen "${p}_clients" || continue
    verdict="-"
    if [[ "$n" -ge 10000 ]]; then
      verdict="p99 $(passfail "$(v ${p}_p99_ms)" le "$GOAL_FANOUT_P99"), memory $(passfail "$(v ${p}_rss_end_mib)" le "$GOAL_FANOUT_RSS_MIB")"
    fi
    echo "| $n ${t^^} | $r | $(v ${p}_connected) ($(v ${p}_connect_s) s / $(v ${p}_all_showing_s) s) | $(v ${p}_connect_p50_ms) / $(v ${p}_connect_p99_ms) / $(v ${p}_connect_max_ms) ms | $(v ${p}_p50_ms) / $(v ${p}_p90_ms) / **$(v ${p}_p99_ms)** / $(v ${p}_max_ms) ms | $(v ${p}_delivered_fraction) of $(v ${p}_expected); final on $(v ${p}_final_fraction) of viewers (the last $(v ${p}_final_last_ms) ms after its ack) | $(v ${p}_rss_before_mib) → $(v ${p}_rss_connected_mib) MiB ($(v ${p}_kib_per_client) KiB; $(v ${p}_kib_per_client_from_idle) KiB from idle), $(v ${p}_rss_end_mib) MiB at the end | $verdict |"
  done
  for step in sse:2000:10 ws:2000:10; do
    IFS=: read -r t n r <<<"$step"
    p="fanout_warmup_${t}_${n}_r${r}"
    seen "${p}_clients" || continue
    echo "| warm-up (the overlay's first load since it started, on unoptimised code at first): $n ${t^^} | $r | $(v ${p}_connected) ($(v ${p}_connect_s) s / $(v ${p}_all_showing_s) s) | $(v ${p}_connect_p50_ms) / $(v ${p}_connect_p99_ms) / $(v ${p}_connect_max_ms) ms | $(v ${p}_p50_ms) / $(v ${p}_p90_ms) / **$(v ${p}_p99_ms)** / $(v ${p}_max_ms) ms | $(v ${p}_delivered_fraction) of $(v ${p}_expected); final on $(v ${p}_final_fraction) of viewers | $(v ${p}_rss_before_mib) → $(v ${p}_rss_connected_mib) MiB, $(v ${p}_rss_end_mib) MiB at the end | (not measured against the goal) |"
  done
  cat <<EOF

Overlay memory over the whole run: peak VmRSS $(rss_peak all 6) MiB, VmHWM $ov_hwm MiB.

### overlay-broadcast fan-out details and CPU (cores busy over the measured window; $cores cores in all)

| viewers | rooms | deliveries/s | room updates/s | overlay | ledger | redis-server | load generator | other processes | overlay CPU per delivery | send → viewer p50 / p99 | arrived before the ack / out of order / refused / changes written > 5 ms late |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|
EOF
  for step in ${FANOUT_STEPS//,/ }; do
    IFS=: read -r t n r <<<"$step"
    p="fanout_${t}_${n}_r${r}"
    seen "${p}_clients" || continue
    echo "| $n ${t^^} | $r | $(v ${p}_deliveries_per_s) | $(v ${p}_room_updates_per_s) | $(v ${p}_cpu_overlay) | $(v ${p}_cpu_ledger) | $(v ${p}_cpu_redis) | $(v ${p}_cpu_bench) | $(v ${p}_cpu_others) | $(per_unit_us "$(v ${p}_cpu_overlay)" "$(v ${p}_deliveries_per_s)") µs | $(v ${p}_send_p50_ms) / $(v ${p}_send_p99_ms) ms | $(v ${p}_before_ack) / $(v ${p}_out_of_order) / $(v ${p}_refused) ($(v ${p}_first_refusal)) / $(v ${p}_writer_late_changes) |"
  done
  local prefixes=()
  for step in ${FANOUT_STEPS//,/ }; do IFS=: read -r t n r <<<"$step"; prefixes+=("fanout_${t}_${n}_r${r}"); done
  echo
  echo "\"Other processes\": $(busy_note "${prefixes[@]}")"
}

apply_eps="$(v apply_events_per_s)"
watch_p99="$(v watch_p99_ms)"
avail_cps="$(v availability_calls_per_s)"
peak_rss="$(rss_peak all 2)"
hwm_mib="$(calc "%.0f" "${vmhwm_kb:-0} / 1024")"
samples="$(wc -l <"$WORK/rss.log")"
watch_complete="$(v watch_delivered_complete)"
watch_verdict="$(passfail "$watch_p99" le "$GOAL_WATCH_P99")"
[[ "$watch_complete" == yes ]] || watch_verdict="**FAIL** (deliveries incomplete)"

mkdir -p "$RESULTS_DIR"
{
  cat <<EOF
# Stockcast benchmark: stock-ledger, warehouse-connector, alerting and overlay-broadcast on loopback

Run $started_at, commit $git_rev, configuration $CONFIG. Produced by \`make bench\` (bench/run.sh).

## Machine

| | |
|---|---|
| CPU | $cpu_model |
| cores (nproc) | $cores |
| memory | $mem_total |
| kernel | $kernel |
| load average at the start | $load_at_start |
| .NET SDK | $dotnet_version |
| redis-server | $redis_version (fresh, \`$REDIS_PERSISTENCE_TEXT\`, loopback) |

Everything (redis-server, the ledger, the connector, the simulator, the alerting service, the overlay, the load generator) shares these $cores cores.

## Ceiling: redis-benchmark on the same redis-server

\`redis-benchmark -q -t set,get,incr -n $REDIS_BENCH_N\` (50 clients), before the ledger starts.

| test | unpipelined req/s | p50 ms | p99 ms | \`-P 16\` req/s | p50 ms | p99 ms |
|---|---:|---:|---:|---:|---:|---:|
EOF
  for t in SET GET INCR; do
    echo "| $t | ${RB[plain.$t.rps]:-n/a} | ${RB[plain.$t.p50]:-n/a} | ${RB[plain.$t.p99]:-n/a} | ${RB[p16.$t.rps]:-n/a} | ${RB[p16.$t.p50]:-n/a} | ${RB[p16.$t.p99]:-n/a} |"
  done
  cat <<EOF

## Results and goals

| scenario | measured | goal | verdict | compared with |
|---|---|---|---|---|
| ApplyStockEvents ($(v apply_streams) streams x $(v apply_in_flight) in flight x $(v apply_batch) snapshots, $(v apply_records) records, $(v apply_seconds) s) | **$apply_eps events/s** applied | >= $GOAL_APPLY events/s | $(passfail "$apply_eps" ge "$GOAL_APPLY") | $(ratio "$apply_eps" "${RB[p16.SET.rps]:-}") of redis SET -P 16, $(ratio "$apply_eps" "${RB[plain.SET.rps]:-}") of SET unpipelined |
| Watch ($(v watch_watchers) streams, writer $(v watch_rate) events/s in batches of $(v watch_batch), $(v watch_seconds) s measured after the warm-up) | p50 $(v watch_p50_ms) ms, **p99 $watch_p99 ms**, max $(v watch_max_ms) ms | p99 <= $GOAL_WATCH_P99 ms, every change delivered | $watch_verdict | $(v watch_deliveries_per_s) deliveries/s |
| Watch warm-up: the ledger's first Watch fan-out since it started, $(v watch_warmup_s) s until 2 s in a row were complete and within $GOAL_WATCH_P99 ms (settled: $(v watch_settled)) | p50 $(v watch_warmup_p50_ms) ms, p99 $(v watch_warmup_p99_ms) ms, max $(v watch_warmup_max_ms) ms | (not the goal; shown so a cold replica is not hidden) | p99 $(within "$(v watch_warmup_p99_ms)" "$GOAL_WATCH_P99" ms) | |
| Watch during the ApplyStockEvents run (1 stream, latency = receive time - source_time) | p50 $(v apply_watch_p50_ms) ms, p99 $(v apply_watch_p99_ms) ms, max $(v apply_watch_max_ms) ms | (not a goal here; the product brief says stock shown live must never lag more than 10 s) | p99 $(within "$(v apply_watch_p99_ms)" 10000 ms) | feed read $(v apply_watch_feed_revisions_per_s) revisions/s while $apply_eps were applied |
| GetAvailability ($(v availability_callers) callers, $(v availability_seconds) s) | **$avail_cps calls/s**, p50 $(v availability_p50_ms) ms, p99 $(v availability_p99_ms) ms | >= $GOAL_AVAIL calls/s | $(passfail "$avail_cps" ge "$GOAL_AVAIL") | $(ratio "$avail_cps" "${RB[plain.GET.rps]:-}") of redis GET unpipelined; $(ratio "$avail_cps" "$(v health_calls_per_s)") of the health-check ceiling |
| Unary ceiling: grpc.health.v1 Check on the ledger (same callers; no Redis, no ledger logic) | $(v health_calls_per_s) calls/s, p50 $(v health_p50_ms) ms, p99 $(v health_p99_ms) ms | (reference) | | $(ratio "$(v health_calls_per_s)" "${RB[plain.GET.rps]:-}") of redis GET unpipelined |
| Ledger memory (whole run) | **peak VmRSS $peak_rss MiB**, VmHWM $hwm_mib MiB | < $GOAL_RSS_MIB MiB | $(passfail "$hwm_mib" le "$((GOAL_RSS_MIB - 1))") | redis-server peak RSS $(rss_peak all 3) MiB |

### Details

| scenario | figure | value |
|---|---|---|
| apply | populate pass (creates every record) / warm-up | $(v apply_populate_events_per_s) / $(v apply_warmup_events_per_s) events/s |
| apply | events sent / applied / not applied | $(v apply_events_sent) / $(v apply_events_applied) / $(v apply_events_not_applied) |
| apply | applied per second of the run (thousands) | $(v apply_timeline_k) |
| apply | batch ack latency (send to ack) p50 / p99 / max | $(v apply_ack_p50_ms) / $(v apply_ack_p99_ms) / $(v apply_ack_max_ms) ms |
| apply | ledger revision at the end; the open watcher was $(v apply_watch_lag_revisions_at_end) revisions behind and caught up in | $(v apply_revision); $(v apply_watch_catch_up_ms) ms (caught up: $(v apply_watch_caught_up)) |
| watch | events applied / not applied, writer batches sent > 5 ms late | $(v watch_events_applied) / $(v watch_events_not_applied), $(v watch_writer_late_batches) |
| watch | deliveries / expected (watchers x applied) / complete | $(v watch_delivered) / $(v watch_delivered_expected) / $watch_complete |
| watch | latency p50 / p90 / p99 / p99.9 / max | $(v watch_p50_ms) / $(v watch_p90_ms) / $(v watch_p99_ms) / $(v watch_p999_ms) / $(v watch_max_ms) ms |
| watch | max latency per second of writing, the first $(v watch_warmup_s) s are the warm-up (ms) | $(v watch_timeline_max_ms) |
| watch | deliveries over $GOAL_WATCH_P99 ms per second of writing (same seconds) | $(v watch_timeline_over_goal) |
| watch | writer's batch ack latency p50 / p99 / max | $(v watch_ack_p50_ms) / $(v watch_ack_p99_ms) / $(v watch_ack_max_ms) ms |
| watch | time for the last watcher to catch up after the writer stopped | $(v watch_drain_ms) ms |
| availability | calls, p50 / p99 / max | $(v availability_calls), $(v availability_p50_ms) / $(v availability_p99_ms) / $(v availability_max_ms) ms |
| availability | warehouses per reply (US: 2, DE: 1), empty replies | $(v availability_warehouses_per_reply), $(v availability_empty_replies) |
| memory | VmRSS samples every 500 ms | $samples |

### CPU split (cores busy over the measured window, from /proc/PID/stat utime+stime; $cores cores in all)

| scenario | ledger | redis-server | load generator | total | other processes | ledger CPU per unit | redis CPU per unit |
|---|---:|---:|---:|---:|---:|---:|---:|
| apply | $(v apply_cpu_ledger) | $(v apply_cpu_redis) | $(v apply_cpu_bench) | $(v apply_cpu_total) | $(v apply_cpu_others) | $(per_unit_us "$(v apply_cpu_ledger)" "$apply_eps") µs/event | $(per_unit_us "$(v apply_cpu_redis)" "$apply_eps") µs/event |
| watch | $(v watch_cpu_ledger) | $(v watch_cpu_redis) | $(v watch_cpu_bench) | $(v watch_cpu_total) | $(v watch_cpu_others) | $(per_unit_us "$(v watch_cpu_ledger)" "$(v watch_deliveries_per_s)") µs/delivery | $(per_unit_us "$(v watch_cpu_redis)" "$(v watch_rate)") µs/event |
| availability | $(v availability_cpu_ledger) | $(v availability_cpu_redis) | $(v availability_cpu_bench) | $(v availability_cpu_total) | $(v availability_cpu_others) | $(per_unit_us "$(v availability_cpu_ledger)" "$avail_cps") µs/call | $(per_unit_us "$(v availability_cpu_redis)" "$avail_cps") µs/call |
| health | $(v health_cpu_ledger) | $(v health_cpu_redis) | $(v health_cpu_bench) | $(v health_cpu_total) | $(v health_cpu_others) | $(per_unit_us "$(v health_cpu_ledger)" "$(v health_calls_per_s)") µs/call | - |

The load generator runs on the same cores; "per unit" divides each process's cores by the scenario's rate.
"Other processes" is the rest of the machine's busy time (/proc/stat): $(busy_note apply watch availability health)

### Ledger memory by phase (VmRSS peak, MiB)

| idle | apply | watch | availability | health | after | whole run | VmHWM at the end |
|---:|---:|---:|---:|---:|---:|---:|---:|
| $(rss_peak idle 2) | $(rss_peak apply 2) | $(rss_peak watch 2) | $(rss_peak availability 2) | $(rss_peak health 2) | $(rss_peak done 2) | $peak_rss | $hwm_mib |

### Where redis-server spends its time (INFO commandstats per scenario, top 8 by time)

Commands run inside the ledger's Lua scripts are counted on their own lines and also inside \`evalsha\`.

| scenario | command | calls | µs/call | share |
|---|---|---:|---:|---:|
$(top_cmds apply)
$(top_cmds watch)
$(top_cmds availability)
EOF
  if run_part connector; then
    connector_report
  fi
  if run_part alerting; then
    alerting_report
  fi
  if run_part overlay; then
    overlay_report
  fi
  if ((${#FAILED[@]})); then
    echo
    echo "**Scenarios that failed to run: ${FAILED[*]}** (see the console output of this run)."
  fi
} >"$REPORT"

echo
cat "$REPORT"

if ((${#FAILED[@]})); then exit 1; fi
if [[ "${BENCH_STRICT:-0}" == 1 ]] && grep -q '\*\*FAIL' "$REPORT"; then exit 1; fi
exit 0
