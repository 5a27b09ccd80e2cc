// Applies a sequential editing trace through the codesync Node binding and
// through yjs, one transaction per edit, and prints one JSON line per library.
//
//   CODESYNC_NODE_ADDON=... node bench_node.mjs TRACE.json.gz [--runs N]
//
// Positions in the traces are code points; both libraries count UTF-16 units,
// the same thing for traces without astral characters (automerge-paper).
import fs from 'node:fs'
import zlib from 'node:zlib'
import { createRequire } from 'node:module'
import * as Y from 'yjs'

const require = createRequire(import.meta.url)
const C = require('../../bindings/node')
const yjsVersion = require('yjs/package.json').version

const args = process.argv.slice(2)
const runsAt = args.indexOf('--runs')
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 3
const trace = JSON.parse(zlib.gunzipSync(fs.readFileSync(args[0])))
const edits = trace.txns.flatMap((t) => t.patches)
if (edits.some(([, , s]) => /[\uD800-\uDFFF]/.test(s))) {
  console.error('bench_node.mjs: the trace has astral characters (positions would differ)')
  process.exit(2)
}

function replay (lib) {
  const doc = lib === 'yjs' ? new Y.Doc() : new C.Doc()
  const text = doc.getText('t')
  if (trace.startContent) text.insert(0, trace.startContent)
  const start = performance.now()
  for (const [pos, removed, inserted] of edits) {
    if (removed) text.delete(pos, removed)
    if (inserted) text.insert(pos, inserted)
  }
  const ms = performance.now() - start
  if (text.toString() !== trace.endContent) {
    console.error(`bench_node.mjs: ${lib} did not reach the trace's final text`)
    process.exit(1)
  }
  return ms
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
for (const [name, version] of [['codesync', C.version], ['yjs', yjsVersion]]) {
  const times = []
  for (let i = 0; i < runs; i++) times.push(replay(name))
  console.log(JSON.stringify({ runtime: 'node', library: name, version, edits: edits.length, runs, median_ms: median(times) }))
}
