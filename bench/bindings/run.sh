#!/usr/bin/env bash
# The binding benchmark: one editing trace (default automerge-paper) applied,
# one transaction per edit, through the Python binding and pycrdt, and through
# the Node binding and yjs, in one run; prints each time and the ratios.
#
# Builds what it needs in build/ (the tree scripts/test.sh uses): the static
# library, the Node addon, and the Python binding installed with pip into
# build/tests/bindings/python/site, exactly as the ctest suite does.
#
#   bench/bindings/run.sh [TRACE_NAME] [RUNS]      e.g. bench/bindings/run.sh automerge-paper 5
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
trace_name=${1:-automerge-paper}
runs=${2:-3}
trace="$ROOT/../shared/traces/sequential_traces/$trace_name.json.gz"
[[ -f "$trace" ]] || { echo "run.sh: no trace $trace" >&2; exit 2; }

bash scripts/setup.sh
# shellcheck source=../../scripts/lib.sh
source scripts/lib.sh
configure build
build build codesync_static codesync_node
py="$ROOT/bindings/python/.venv/bin/python"
out="$ROOT/build/tests/bindings/python"
bash tests/python/build.sh "$py" "$out" "$ROOT/build/tests/bindings/codesync-targets.cmake"

results=$(mktemp)
trap 'rm -f "$results"' EXIT
echo "bench/bindings: $trace_name, $runs run(s) each, one transaction per edit ($(nproc) cores, $(date -u +%F))" >&2
PYTHONPATH="$out/site" "$py" bench/bindings/bench_python.py "$trace" --runs "$runs" >>"$results"
CODESYNC_NODE_ADDON="$ROOT/build/tests/bindings/node/codesync.node" \
  node bench/bindings/bench_node.mjs "$trace" --runs "$runs" >>"$results"

# A table, with each peer's time as a multiple of codesync's in the same runtime.
"$py" - "$results" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
ours = {r["runtime"]: r["median_ms"] for r in rows if r["library"] == "codesync"}
print(f"{'runtime':8} {'library':18} {'median ms':>10} {'edits/s':>10}  codesync is")
for r in rows:
    rate = r["edits"] / (r["median_ms"] / 1000)
    ratio = r["median_ms"] / ours[r["runtime"]]
    verdict = "" if r["library"] == "codesync" else f"{ratio:.1f}x faster ({'meets' if ratio >= 5 else 'MISSES'} the 5x target)"
    print(f"{r['runtime']:8} {r['library'] + ' ' + r['version']:18} {r['median_ms']:10.0f} {rate:10.0f}  {verdict}")
PY

# Server relay (Python): the same trace as one Update frame per edit, through a codesync Room to a
# second client, against pycrdt's sync handler on a server doc and the receiver (bench_room.py).
room_results=$(mktemp)
trap 'rm -f "$results" "$room_results"' EXIT
PYTHONPATH="$out/site" "$py" bench/bindings/bench_room.py "$trace" --runs "$runs" >>"$room_results"
"$py" - "$room_results" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
ours = next(r["median_ms"] for r in rows if r["library"] == "codesync")
print(f"\nrelay    {'library':18} {'median ms':>10} {'frames/s':>10}  codesync is")
for r in rows:
    rate = r["frames"] / (r["median_ms"] / 1000)
    verdict = "" if r["library"] == "codesync" else f"{r['median_ms'] / ours:.1f}x faster"
    print(f"{'python':8} {r['library'] + ' ' + r['version']:18} {r['median_ms']:10.0f} {rate:10.0f}  {verdict}")
PY
