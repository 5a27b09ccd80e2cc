#!/usr/bin/env bash
# Builds the web editor page into examples/web-editor/dist/ (what `codesync-server --static` serves).
#
# Idempotent: `npm ci` runs only when node_modules does not match the lockfile (the same stamp as
# scripts/setup.sh, so the two never install twice), esbuild only when a source is newer than the
# last build. `--force` rebuilds anyway. Prints nothing when there is nothing to do.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"

force=0
[[ "${1:-}" == "--force" ]] && force=1

# Keep this formula in step with scripts/setup.sh.
stamp=node_modules/.codesync-stamp
want="$(sha256sum package-lock.json package.json | cut -d' ' -f1 | tr '\n' ' ')node$(node -p 'process.versions.node.split(".")[0]')"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  echo "web-editor: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  printf '%s' "$want" >"$stamp"
  force=1
fi

built=dist/.built
if ((force == 0)) && [[ -f "$built" && -f dist/index.html ]] &&
  [[ -z "$(find src build.mjs build.sh package.json package-lock.json -newer "$built" -print -quit)" ]]; then
  exit 0
fi

echo "web-editor: esbuild -> examples/web-editor/dist"
node build.mjs
touch "$built"
