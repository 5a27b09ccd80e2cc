#!/usr/bin/env bash
# Installs everything the build and the tests need on Debian 12, makes the
# Python binding's venv (bindings/python/.venv), then runs `npm ci` wherever
# the repository has a package-lock.json (in bindings/node that also builds
# the addon with node-gyp).
#
# Idempotent and quiet: a second run checks, finds nothing to do and prints
# nothing. It prints what it installs, and the tool's own output only when
# something fails.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOG=$(mktemp "${TMPDIR:-/tmp}/codesync-setup.XXXXXX")
trap 'rm -f "$LOG"' EXIT

say() { printf 'setup: %s\n' "$*"; }
# Runs a command with its output in $LOG; shows that output only on failure.
quiet() {
  if ! "$@" >"$LOG" 2>&1; then
    say "FAILED: $*"
    cat "$LOG" >&2
    exit 1
  fi
}

# ---- Debian packages ---------------------------------------------------------

PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libabsl-dev doctest-dev libflatbuffers-dev flatbuffers-compiler libxxhash-dev
  libuv1-dev libcurl4-openssl-dev libsqlite3-dev libssl-dev zlib1g-dev
  sqlite3 # the CLI: tests/server corrupt and inspect stored rows
  libbenchmark-dev clang-14 libclang-rt-14-dev
  python3 python3-pip python3-venv python3-dev
  chromium # headless, for the web editor's browser test (tests/web); playwright-core downloads none
)
# Node may come from elsewhere (NodeSource, nvm) with npm bundled; only when
# it is missing do we take Debian's.
if ! command -v node >/dev/null 2>&1; then
  PACKAGES+=(nodejs npm)
elif ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(npm)
fi

# One dpkg-query for all of them; a package dpkg has never heard of prints
# nothing, so it counts as missing too.
installed=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${PACKAGES[@]}" 2>/dev/null |
  awk '$2 == "ii" { print $1 }' || true)
missing=()
for p in "${PACKAGES[@]}"; do
  grep -qx -- "$p" <<<"$installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  SUDO=()
  if ((EUID != 0)); then
    if command -v sudo >/dev/null 2>&1; then
      SUDO=(sudo)
    else
      say "need root (or sudo) to install: ${missing[*]}" >&2
      exit 1
    fi
  fi
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  quiet "${SUDO[@]}" apt-get update
  quiet "${SUDO[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
fi

# ---- Python (bindings/python) ------------------------------------------------

# The Python binding's build and test tools, pinned in requirements-dev.txt,
# live in a venv beside it (never in the system's site-packages). A stamp
# records the requirements and interpreter it was made from.
venv="$ROOT/bindings/python/.venv"
reqs="$ROOT/bindings/python/requirements-dev.txt"
if [[ -f "$reqs" ]]; then
  want="$(sha256sum "$reqs" | cut -d' ' -f1) $(python3 -c 'import sys; print(sys.version.split()[0])')"
  stamp="$venv/.codesync-stamp"
  if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]] || ! "$venv/bin/python" -c '' 2>/dev/null; then
    say "pip install -r ${reqs#"$ROOT"/} (into ${venv#"$ROOT"/})"
    rm -rf "$venv"
    quiet python3 -m venv "$venv"
    quiet "$venv/bin/python" -m pip install --disable-pip-version-check --no-input -r "$reqs"
    printf '%s' "$want" >"$stamp"
  fi
fi

# ---- npm ---------------------------------------------------------------------

# A stamp inside node_modules records the lockfile it was installed from
# (and the Node major, since native add-ons are built per ABI); when it
# matches, node_modules is up to date and npm is not run.
node_major=
while IFS= read -r -d '' lock; do
  dir=$(dirname "$lock")
  stamp="$dir/node_modules/.codesync-stamp"
  [[ -n "$node_major" ]] || node_major=$(node -p 'process.versions.node.split(".")[0]')
  want="$(sha256sum "$lock" "$dir/package.json" | cut -d' ' -f1 | tr '\n' ' ')node$node_major"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    continue
  fi
  say "npm ci in ${dir#"$ROOT"/}"
  quiet env -C "$dir" npm ci --no-audit --no-fund --loglevel=error
  printf '%s' "$want" >"$stamp"
done < <(find "$ROOT" \( -name node_modules -o -name .git -o -path "$ROOT/bench" -o -name 'build*' -path "$ROOT/build*" \) -prune \
  -o -name package-lock.json -print0 | sort -z)
