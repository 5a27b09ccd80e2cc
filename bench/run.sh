#!/usr/bin/env bash
# One command for the whole benchmark (PERF-1): builds what is needed, runs
# codesync and every peer on every workload (REPS repetitions, median), prints
# the side-by-side markdown table and writes bench/results/latest.{md,svg,jsonl}.
#
#   bench/run.sh                   automerge-paper + the two concurrent traces
#   BENCH_TRACES=all bench/run.sh  every sequential trace as well (much longer)
#
# Environment:
#   REPS=N          repetitions per measurement (default 3; the median is reported)
#   BENCH_PEERS     space-separated subset of: codesync gapbuffer yrs diamond-types
#                   loro yjs ywasm loro-crdt automerge (default: all)
#   BENCH_SLOW=1    also run automerge's remote / concurrent workloads (hours; see
#                   bench/README.md)
#   BENCH_TIMEOUT=S per-process limit in seconds (default 600)
#   BENCH_OUT=DIR   where results go (default bench/results)
# Heavy builds run under `nice -n 10`: the machine is shared. The test command
# (scripts/test.sh) never builds any of this (CODESYNC_BENCH is OFF there).
set -uo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
TRACES=${CODESYNC_TRACES_DIR:-$ROOT/../shared/traces}
REPS=${REPS:-3}
TIMEOUT=${BENCH_TIMEOUT:-600}
OUT=${BENCH_OUT:-$BENCH/results}
BUILD=$ROOT/build-bench
PEERS=${BENCH_PEERS:-"codesync gapbuffer yrs diamond-types loro yjs ywasm loro-crdt automerge"}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/codesync-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"
RAW=$WORK/results.jsonl
: >"$RAW"

say() { printf 'bench: %s\n' "$*" >&2; }
want() { [[ " $PEERS " == *" $1 "* ]]; }
# A result line for a peer that produced none.
failed() { # peer trace workload message
  python3 -c 'import json,sys; print(json.dumps({"peer":sys.argv[1],"trace":sys.argv[2],"workload":sys.argv[3],"ok":False,"error":sys.argv[4]}))' "$@" >>"$RAW"
}

if [[ ! -d "$TRACES/sequential_traces" ]]; then
  say "traces folder $TRACES is missing (shared/ must sit beside the repository)"
  exit 1
fi
SEQ=("$TRACES/sequential_traces/automerge-paper.json.gz")
if [[ "${BENCH_TRACES:-}" == all ]]; then
  mapfile -t SEQ < <(ls "$TRACES"/sequential_traces/*.json.gz)
fi
CONC=("$TRACES"/concurrent_traces/*.json.gz)

# ---- build ----------------------------------------------------------------------

CODESYNC_OK=0
if want codesync || want gapbuffer; then
  say "building codesync_bench and gap_buffer_peer (Release) in build-bench/"
  if nice -n 10 cmake -S "$ROOT" -B "$BUILD" -G Ninja --log-level=WARNING -DCMAKE_BUILD_TYPE=Release \
      -DCODESYNC_BENCH=ON -DCODESYNC_TESTS=OFF -DCODESYNC_EXAMPLES=OFF >"$WORK/cmake.log" 2>&1 &&
    nice -n 10 cmake --build "$BUILD" --target codesync_bench gap_buffer_peer -- --quiet >>"$WORK/cmake.log" 2>&1; then
    CODESYNC_OK=1
  else
    cat "$WORK/cmake.log" >&2
    say "the C++ build FAILED"
  fi
fi

RUST_OK=0
if want yrs || want diamond-types || want loro; then
  say "building the Rust peers (cargo --release; the first build takes minutes)"
  # Cargo.lock is not committed (it names the registry host); Cargo.toml pins
  # the peers' exact versions. A lockfile left by an earlier build is honoured.
  locked=()
  [[ -f "$BENCH/peers/rust/Cargo.lock" ]] && locked=(--locked)
  if (cd "$BENCH/peers/rust" && nice -n 10 cargo build --release "${locked[@]}" --quiet) >"$WORK/cargo.log" 2>&1; then
    RUST_OK=1
  else
    tail -30 "$WORK/cargo.log" >&2
    say "the Rust peers FAILED to build; they are reported as such"
  fi
fi

NODE_OK=0
if want yjs || want ywasm || want loro-crdt || want automerge; then
  NODE_DIR=$BENCH/peers/node
  stamp=$NODE_DIR/node_modules/.codesync-bench-stamp
  want_stamp=$(cat "$NODE_DIR/package-lock.json" "$NODE_DIR/package.json" | sha256sum | cut -d' ' -f1)
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want_stamp" ]]; then
    NODE_OK=1
  else
    say "installing the Node peers (npm ci)"
    if (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error) >"$WORK/npm.log" 2>&1; then
      printf '%s' "$want_stamp" >"$stamp"
      NODE_OK=1
    else
      tail -30 "$WORK/npm.log" >&2
      say "npm ci FAILED; the Node peers are reported as such"
    fi
  fi
fi

# ---- run ------------------------------------------------------------------------

# Runs one peer process and appends its JSON line (or a failure line).
run_peer() { # peer trace-path workload command...
  local peer=$1 path=$2 workload=$3 name
  shift 3
  name=$(basename "$path" .json.gz)
  say "$peer $workload $name"
  local out rc
  out=$(timeout "$TIMEOUT" "$@" 2>"$WORK/stderr")
  rc=$?
  if [[ -n "$out" ]]; then
    printf '%s\n' "$out" | tail -1 >>"$RAW"
  elif ((rc == 124)); then
    failed "$peer" "$name" "$workload" "timed out (> ${TIMEOUT} s)"
  else
    failed "$peer" "$name" "$workload" "exited $rc: $(tail -c 300 "$WORK/stderr" | tr '\n' ' ')"
  fi
}

run_codesync() { # trace-path workload
  local path=$1 workload=$2 name
  name=$(basename "$path" .json.gz)
  say "codesync $workload $name"
  if ((!CODESYNC_OK)); then failed codesync "$name" "$workload" "build failed"; return; fi
  mkdir -p "$WORK/dump"
  if timeout "$TIMEOUT" "$BUILD/bench/codesync_bench" --benchmark_filter="^$workload/$name\$" \
      --benchmark_repetitions="$REPS" --benchmark_out="$WORK/gbench.json" --benchmark_out_format=json \
      --dump-state="$WORK/dump" >"$WORK/stderr" 2>&1; then
    python3 "$BENCH/report.py" gbench "$WORK/gbench.json" "$workload" "$name" >>"$RAW"
  else
    failed codesync "$name" "$workload" "exited: $(tail -c 300 "$WORK/stderr" | tr '\n' ' ')"
  fi
}

run_all() { # peer
  local peer=$1 path w
  local cmd=()
  case $peer in
    codesync) ;;
    gapbuffer) cmd=("$BUILD/bench/gap_buffer_peer") ;;
    yrs | loro) cmd=("$BENCH/peers/rust/target/release/$peer") ;;
    diamond-types) cmd=("$BENCH/peers/rust/target/release/diamond_types") ;;
    *) cmd=(env BENCH_DUMP_DIR="$WORK/dump" node --expose-gc "$BENCH/peers/node/peer.mjs" "$peer") ;;
  esac
  local built=1 why="build failed"
  case $peer in
    gapbuffer) built=$CODESYNC_OK ;;
    yrs | loro | diamond-types) built=$RUST_OK ;;
    yjs | ywasm | loro-crdt | automerge) built=$NODE_OK why="npm ci failed" ;;
  esac
  mkdir -p "$WORK/dump"
  for path in "${SEQ[@]}"; do
    for w in local remote encode decode; do
      if [[ $peer == codesync ]]; then run_codesync "$path" "$w"; continue; fi
      if [[ $peer == gapbuffer && $w != local ]]; then continue; fi
      if ((!built)); then failed "$peer" "$(basename "$path" .json.gz)" "$w" "$why"; continue; fi
      if [[ $peer == automerge && $w == remote && "${BENCH_SLOW:-0}" != 1 ]]; then
        failed "$peer" "$(basename "$path" .json.gz)" "$w" "skipped: one applyChanges per change is quadratic (173 s for the 26k-change friendsforever_flat); BENCH_SLOW=1 runs it"
        continue
      fi
      run_peer "$peer" "$path" "$w" "${cmd[@]}" "$path" "$w" "$REPS"
    done
  done
  [[ $peer == gapbuffer ]] && return
  for path in "${CONC[@]}"; do
    if [[ $peer == codesync ]]; then run_codesync "$path" concurrent; continue; fi
    if ((!built)); then failed "$peer" "$(basename "$path" .json.gz)" concurrent "$why"; continue; fi
    if [[ $peer == automerge && "${BENCH_SLOW:-0}" != 1 ]]; then
      failed "$peer" "$(basename "$path" .json.gz)" concurrent "skipped: one applyChanges per change is quadratic (see remote); BENCH_SLOW=1 runs it"
      continue
    fi
    run_peer "$peer" "$path" concurrent "${cmd[@]}" "$path" concurrent "$REPS"
  done
}

# Which library was measured (read only; a modified tree says so).
REVISION=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n "$(git -C "$ROOT" status --porcelain -- lib capi include 2>/dev/null)" ]]; then
  REVISION="$REVISION + uncommitted changes in lib/capi/include"
fi
START=$(date +%s)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for peer in $PEERS; do run_all "$peer"; done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# Same edits, same bytes: our encoded state must equal yjs's (the interop test
# tests/interop/trace_bytes.mjs checks every trace; this checks what was timed).
for f in "$WORK"/dump/codesync-*.bin; do
  [[ -f "$f" ]] || continue
  name=$(basename "$f" .bin)
  name=${name#codesync-}
  y=$WORK/dump/yjs-$name.bin
  if [[ -f "$y" ]]; then
    if cmp -s "$f" "$y"; then same=true; else same=false; fi
    python3 -c 'import json,sys; print(json.dumps({"peer":"codesync","trace":sys.argv[1],"workload":"bytes_vs_yjs","ok":True,"identical":sys.argv[2]=="true","bytes":int(sys.argv[3]),"yjs_bytes":int(sys.argv[4])}))' \
      "$name" "$same" "$(stat -c %s "$f")" "$(stat -c %s "$y")" >>"$RAW"
  fi
done

cp "$RAW" "$OUT/latest.jsonl"
python3 "$BENCH/report.py" render "$OUT/latest.jsonl" "$OUT" \
  --reps "$REPS" --seconds "$(($(date +%s) - START))" --load "$LOAD_BEFORE -> $LOAD_AFTER" \
  --command "bench/run.sh${BENCH_TRACES:+ (BENCH_TRACES=$BENCH_TRACES)}" --revision "$REVISION"
