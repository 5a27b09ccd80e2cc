#!/usr/bin/env bash
# Builds and starts the main program. Until the reference server exists this
# is examples/c-hello: two documents edit the same text concurrently and
# converge by exchanging updates.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

bash scripts/setup.sh
# shellcheck source=lib.sh
source scripts/lib.sh
configure build -DCODESYNC_EXAMPLES=ON
build build c-hello
exec build/examples/c-hello/c-hello "$@"
