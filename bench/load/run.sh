#!/usr/bin/env bash
# SERVER-1's benchmark: codesync-server and the classic Node y-websocket server
# (y-websocket 1.5.4 bin/server.js on yjs 13.6) under the same load, in one run.
#
#   bench/load/run.sh            the target scenario and the throughput sweep
#   LOAD_QUICK=1 bench/load/run.sh   1,000 clients / 100 rooms, short phases (a minute or two)
#
# Scenarios, each on a freshly started server:
#   target  LOAD_CLIENTS connections over LOAD_ROOMS rooms at LOAD_RATE edits/s
#   sweep   the same connections at each rate of LOAD_SWEEP in turn, stopping
#           after two rates in a row whose p99 exceeds LOAD_P99_MS (or that
#           lose deliveries): the highest passing rate is the server's
#           throughput at that latency
# A scenario named twice in LOAD_SCENARIOS runs twice (each row is kept).
# Environment (defaults in brackets):
#   LOAD_SERVERS     "codesync node" (codesync-disk: codesync-server with its
#                    database on disk instead of tmpfs)
#   LOAD_CLIENTS [10000]  LOAD_ROOMS [1000]  LOAD_WRITERS [2 per room]
#   LOAD_RATE [2000]  LOAD_DURATION [30]  LOAD_WARMUP [5]
#   LOAD_SWEEP [250,500,1000,1500,2000,3000,4000,6000,8000,10000,12000,16000]
#   LOAD_SWEEP_DURATION [10]  LOAD_P99_MS [20]  LOAD_SCENARIOS ["target sweep"]
#   LOAD_OUT [bench/results]  (load.md, load.jsonl)
# Loopback only: servers listen on 127.0.0.1, clients connect from 127.0.0.2-17.
# Builds run under `nice -n 10`; the runs themselves at normal priority.
set -uo pipefail

LOAD=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$LOAD/../.." && pwd)
BUILD=$ROOT/build-load
OUT=${LOAD_OUT:-$ROOT/bench/results}
SERVERS=${LOAD_SERVERS:-"codesync node"}
SCENARIOS=${LOAD_SCENARIOS:-"target sweep"}
if [[ -n "${LOAD_QUICK:-}" ]]; then
  : "${LOAD_CLIENTS:=1000}" "${LOAD_ROOMS:=100}" "${LOAD_RATE:=500}" "${LOAD_DURATION:=5}" "${LOAD_WARMUP:=1}"
  : "${LOAD_SWEEP:=250,500,1000,2000,4000,8000}" "${LOAD_SWEEP_DURATION:=4}"
fi
CLIENTS=${LOAD_CLIENTS:-10000}
ROOMS=${LOAD_ROOMS:-1000}
WRITERS=${LOAD_WRITERS:-2}
RATE=${LOAD_RATE:-2000}
DURATION=${LOAD_DURATION:-30}
WARMUP=${LOAD_WARMUP:-5}
SWEEP=${LOAD_SWEEP:-250,500,1000,1500,2000,3000,4000,6000,8000,10000,12000,16000}
SWEEP_DURATION=${LOAD_SWEEP_DURATION:-10}
P99_MS=${LOAD_P99_MS:-20}
PORT=${LOAD_PORT:-42311}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/codesync-load.XXXXXX")
DBDIR=
SERVER_PID=
cleanup() {
  [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  [[ -n "$DBDIR" ]] && rm -rf "$DBDIR"
  rm -rf "$WORK"
}
trap cleanup EXIT
say() { printf 'load: %s\n' "$*" >&2; }
mkdir -p "$OUT"
RAW=$WORK/load.jsonl
: >"$RAW"

# ---- build and install --------------------------------------------------------

say "building codesync-server and codesync-load (Release) in build-load/"
if ! { nice -n 10 cmake -S "$ROOT" -B "$BUILD" -G Ninja --log-level=WARNING -DCMAKE_BUILD_TYPE=Release \
  -DCODESYNC_BENCH=ON -DCODESYNC_TESTS=OFF -DCODESYNC_EXAMPLES=ON &&
  nice -n 10 cmake --build "$BUILD" --target codesync-server codesync-load -- --quiet; } >"$WORK/build.log" 2>&1; then
  cat "$WORK/build.log" >&2
  say "the build FAILED"
  exit 1
fi
LOADGEN=$BUILD/bench/load/codesync-load
CSERVER=$BUILD/examples/server/codesync-server

if [[ " $SERVERS " == *" node "* ]]; then
  # ws and the server only: y-leveldb (optional, native) is not needed without YPERSISTENCE.
  stamp=$LOAD/node/node_modules/.codesync-stamp
  want="$(sha256sum "$LOAD/node/package-lock.json" | cut -d' ' -f1) $(node --version)"
  if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
    say "npm ci in bench/load/node"
    if ! (cd "$LOAD/node" && npm ci --omit=optional --no-audit --no-fund --loglevel=error) >"$WORK/npm.log" 2>&1; then
      cat "$WORK/npm.log" >&2
      say "npm ci FAILED: the Node server is reported as not run"
      SERVERS=${SERVERS//node/}
    else
      printf '%s' "$want" >"$stamp"
    fi
  fi
fi

# ---- limits -----------------------------------------------------------------------

# Both sides hold one descriptor per connection (the server also its listener,
# database and pipes): raise the soft limit to the hard one.
hard=$(ulimit -Hn)
[[ "$hard" == unlimited ]] && hard=1048576
ulimit -n "$hard"
if ((hard < CLIENTS + 100)); then
  say "ulimit -Hn is $hard: $CLIENTS connections need at least $((CLIENTS + 100)) descriptors per process"
  say "raise the hard limit (e.g. in /etc/security/limits.conf or with prlimit) or lower LOAD_CLIENTS"
  exit 1
fi
read -r port_lo port_hi </proc/sys/net/ipv4/ip_local_port_range
say "fd limit $hard; ephemeral ports $port_lo-$port_hi per source address, clients spread over 127.0.0.2-17"

# ---- servers ----------------------------------------------------------------------

wait_listening() { # port pid
  for _ in $(seq 1 100); do
    kill -0 "$2" 2>/dev/null || return 1
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# Each server runs in a session of its own (setsid): with the kernel's autogroup
# scheduling (sched_autogroup_enabled) every session gets one fair share of the
# CPUs, and a server sharing the generator's would get half a share on a busy
# machine. Both servers are started the same way.
start_server() { # name -> SERVER_PID
  local name=$1
  PORT=$((PORT + 1))
  case $name in
    codesync | codesync-disk)
      # tmpfs for "codesync": like the Node server it then waits on no disk;
      # it still stores every update in SQLite before broadcasting it.
      if [[ $name == codesync && -d /dev/shm ]]; then
        DBDIR=$(mktemp -d /dev/shm/codesync-load.XXXXXX)
      else
        DBDIR=$(mktemp -d "$BUILD/load-db.XXXXXX")
      fi
      setsid "$CSERVER" --host 127.0.0.1 --port "$PORT" --db "$DBDIR/load.db" --max-connections $((CLIENTS + 1000)) \
        --max-room-connections $((CLIENTS / ROOMS + 100)) >"$WORK/$name.log" 2>&1 &
      ;;
    node)
      (cd "$LOAD/node" && HOST=127.0.0.1 PORT=$PORT exec setsid node node_modules/y-websocket/bin/server.js) \
        >"$WORK/$name.log" 2>&1 &
      ;;
    *)
      say "unknown server '$name'"
      return 1
      ;;
  esac
  SERVER_PID=$!
  if ! wait_listening "$PORT" "$SERVER_PID"; then
    say "$name did not start:"
    cat "$WORK/$name.log" >&2
    kill "$SERVER_PID" 2>/dev/null
    SERVER_PID=
    return 1
  fi
}

stop_server() {
  if [[ -n "$SERVER_PID" ]]; then
    kill "$SERVER_PID" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=
  fi
  [[ -n "$DBDIR" ]] && rm -rf "$DBDIR"
  DBDIR=
}

RUNS=0
run_scenario() { # server scenario
  local name=$1 scenario=$2 args=() out
  RUNS=$((RUNS + 1))
  out=$WORK/$RUNS-$name-$scenario
  case $scenario in
    target) args=(--rate "$RATE" --duration "$DURATION" --warmup "$WARMUP") ;;
    sweep) args=(--rate "$SWEEP" --duration "$SWEEP_DURATION" --warmup 2 --stop-p99 "$P99_MS") ;;
  esac
  if ! start_server "$name"; then
    python3 -c 'import json,sys; print(json.dumps({"server":sys.argv[1],"scenario":sys.argv[2],"ok":False,"error":"server did not start"}))' \
      "$name" "$scenario" >>"$RAW"
    return
  fi
  say "$name: $scenario ($CLIENTS clients, $ROOMS rooms, ${args[*]})"
  local before
  before=$(wc -l <"$RAW")
  "$LOADGEN" --url "ws://127.0.0.1:$PORT/" --clients "$CLIENTS" --rooms "$ROOMS" --writers-per-room "$WRITERS" \
    --server-pid "$SERVER_PID" $([[ $name == codesync* ]] && echo --loop-metrics) --label "$name" --json "$out.jsonl" "${args[@]}" >/dev/null 2>"$out.err"
  local rc=$?
  cat "$out.err" >&2
  # codesync-server's loop: its longest iteration and those over the p99 target, over the whole run.
  local loop_max="" loop_slow="" loop_cpu=""
  if [[ $name == codesync* ]] && curl -sf "http://127.0.0.1:$PORT/metrics" >"$out.metrics" 2>/dev/null; then
    loop_max=$(awk '$1 == "codesync_loop_busy_max_seconds" {print $2}' "$out.metrics")
    loop_cpu=$(awk '$1 == "codesync_loop_cpu_max_seconds" {print $2}' "$out.metrics")
    loop_slow=$(awk '$1 == "codesync_loop_busy_seconds_count" {n = $2} $1 == "codesync_loop_busy_seconds_bucket{le=\"0.02\"}" {f = $2} END {if (n != "") print n - f}' "$out.metrics")
  fi
  if [[ -f "$out.jsonl" ]]; then
    python3 -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line); r["scenario"] = sys.argv[2]
    if sys.argv[3]: r["server_loop_max_ms"] = float(sys.argv[3]) * 1000
    if sys.argv[4]: r["server_loop_run_over_20ms"] = int(float(sys.argv[4]))
    if sys.argv[5]: r["server_loop_cpu_max_ms"] = float(sys.argv[5]) * 1000
    print(json.dumps(r))' \
      "$out.jsonl" "$scenario" "$loop_max" "$loop_slow" "$loop_cpu" >>"$RAW"
  fi
  if (($(wc -l <"$RAW") == before)); then
    python3 -c 'import json,sys; print(json.dumps({"server":sys.argv[1],"scenario":sys.argv[2],"ok":False,"error":"codesync-load exited %s without a result" % sys.argv[3]}))' \
      "$name" "$scenario" "$rc" >>"$RAW"
  fi
  stop_server
  sleep 2 # let the closed connections' TIME_WAIT and the server's memory go
}

for scenario in $SCENARIOS; do
  for name in $SERVERS; do
    run_scenario "$name" "$scenario"
  done
done

cp "$RAW" "$OUT/load.jsonl"
python3 "$LOAD/report.py" "$OUT/load.jsonl" --p99 "$P99_MS" \
  --meta "clients=$CLIENTS rooms=$ROOMS writers_per_room=$WRITERS rate=$RATE duration=$DURATION warmup=$WARMUP sweep=$SWEEP sweep_duration=$SWEEP_DURATION" \
  >"$OUT/load.md"
cat "$OUT/load.md"
say "wrote ${OUT#"$ROOT"/}/load.md and load.jsonl"
