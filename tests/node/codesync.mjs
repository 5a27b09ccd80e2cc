// The binding under test: bindings/node, loading the addon named by
// CODESYNC_NODE_ADDON (ctest points it at the CMake-built one) or else the
// one `npm install` built in bindings/node/build.
import { createRequire } from 'node:module'
import fs from 'node:fs'
import zlib from 'node:zlib'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
export const C = require('../../bindings/node')

const here = path.dirname(fileURLToPath(import.meta.url))
export const repo = path.resolve(here, '..', '..')

export function loadTrace (name) {
  const dir = process.env.CODESYNC_TRACES || path.join(repo, '..', 'shared', 'traces')
  return JSON.parse(zlib.gunzipSync(fs.readFileSync(path.join(dir, 'sequential_traces', `${name}.json.gz`))))
}

// A small deterministic PRNG (mulberry32), so failures replay.
export function rng (seed) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return { next, int: (n) => Math.floor(next() * n), pick: (xs) => xs[Math.floor(next() * xs.length)] }
}
