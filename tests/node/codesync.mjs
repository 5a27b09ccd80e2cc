// The binding under test: bindings/node, loading the addon named by
// CODESYNC_NODE_ADDON (ctest points it at the CMake-built one) or else the
// one `npm install` built in bindings/node/build.
import { createRequire } from 'node:module'
import fs from 'node:fs'
import zlib from 'node:zlib'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { makeRng } from '../interop/rng.mjs'

const require = createRequire(import.meta.url)
export const C = require('../../bindings/node')

const here = path.dirname(fileURLToPath(import.meta.url))
export const repo = path.resolve(here, '..', '..')

export function loadTrace (name) {
  const dir = process.env.CODESYNC_TRACES || path.join(repo, '..', 'shared', 'traces')
  return JSON.parse(zlib.gunzipSync(fs.readFileSync(path.join(dir, 'sequential_traces', `${name}.json.gz`))))
}

// The interop tests' seeded PRNG, with this suite's int(n) in [0, n), so failures replay.
export function rng (seed) {
  const r = makeRng(seed)
  return { next: r.next, int: (n) => Math.floor(r.next() * n), pick: r.pick }
}
