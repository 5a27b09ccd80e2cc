#!/usr/bin/env bash
# ctest python.build: builds and installs the Python binding with pip
# (scikit-build-core, as `pip install ./bindings/python` does) into OUT_DIR/site
# in the build tree, linking the static library that tree built. The other
# python.* tests import it from there (PYTHONPATH); nothing is installed into
# the system's site-packages.
#
#   build.sh PYTHON OUT_DIR CODESYNC_TARGETS_FILE
set -euo pipefail

python=$1 out=$2 targets=$3
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [[ ! -x "$python" ]]; then
  echo "python.build: $python not found: run scripts/setup.sh" >&2
  exit 1
fi

# build-dir persists in OUT_DIR, so a second run only recompiles what changed.
exec "$python" -m pip install --quiet --disable-pip-version-check --no-build-isolation --no-deps --upgrade \
  --target "$out/site" \
  --config-settings=build-dir="$out/skbuild" \
  --config-settings=cmake.define.CODESYNC_TARGETS_FILE="$targets" \
  "$root/bindings/python"
