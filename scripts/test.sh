#!/usr/bin/env bash
# The test command. Installs what is missing (scripts/setup.sh), builds
# everything in build/ (RelWithDebInfo) and a sanitizer build in build-asan/
# (AddressSanitizer + UBSan), runs the sanitizer pass, then the full suite.
# The full suite's ctest summary is the last thing printed, so its closing
# lines ("100% tests passed, 0 tests failed out of N") describe the run.
# Exits non-zero if any build or test fails.
#
# Environment:
#   JOBS=N               parallel build and test jobs (default 2)
#   CODESYNC_SKIP_ASAN=1 skip the sanitizer build and pass (quick local runs)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export JOBS=${JOBS:-2}
# Too slow under the sanitizers, and they exercise Node more than our code;
# the header compile checks do not change with the sanitizer flags. The web
# editor test drives Chromium and is timing-bound under a sanitized server
# (server.* covers that server under the sanitizers); it runs in the plain pass.
ASAN_EXCLUDE='^interop\.|^web\.|^header\.(c99|cxx|hpp_cxx|names|macros|exports)'

step() { printf '\n== %s\n' "$*"; }

bash scripts/setup.sh
# shellcheck source=lib.sh
source scripts/lib.sh

step "build (build/)"
configure build
build build

asan_status=0
if [[ "${CODESYNC_SKIP_ASAN:-0}" != 1 ]]; then
  step "build with AddressSanitizer + UBSan (build-asan/)"
  configure build-asan -DCODESYNC_SANITIZE=ON
  build build-asan
  step "tests under AddressSanitizer + UBSan"
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    ctest --test-dir build-asan --output-on-failure --no-tests=error -j "$JOBS" --timeout 900 \
    -E "$ASAN_EXCLUDE" || asan_status=$?
fi

step "tests"
main_status=0
ctest --test-dir build --output-on-failure --no-tests=error -j "$JOBS" --timeout 900 || main_status=$?

if ((asan_status != 0)); then
  echo "test.sh: the AddressSanitizer pass FAILED (see its output above)" >&2
  exit "$asan_status"
fi
exit "$main_status"
