#!/usr/bin/env bash
# Builds and starts codesync-server in the foreground (Ctrl-C stops it after
# flushing). Serves the web editor when examples/web-editor builds one.
# Extra arguments go to the server: scripts/run.sh --port 8080 --verbose
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

bash scripts/setup.sh
# shellcheck source=lib.sh
source scripts/lib.sh
configure build -DCODESYNC_EXAMPLES=ON
build build codesync-server
if [[ -f examples/web-editor/build.sh ]]; then
  bash examples/web-editor/build.sh
fi
args=()
if [[ -d examples/web-editor/dist ]]; then
  args+=(--static examples/web-editor/dist)
fi
# The server prints the address it listens on (default http://127.0.0.1:1234).
echo "run.sh: starting codesync-server; open the URL it prints below (Ctrl-C to stop)"
exec build/examples/server/codesync-server "${args[@]}" "$@"
