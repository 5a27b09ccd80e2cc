// Same edits, same bytes: every sequential editing trace is replayed by yjs and by codesync (one
// transaction per trace transaction, client id 1), and the full-state updates must be identical.
//
//   node trace_bytes.mjs --replay <codesync_trace_replay> --traces <dir of sequential traces>
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'
import { execFileSync } from 'node:child_process'
import * as Y from 'yjs'

const arg = (name) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined }
const replay = arg('--replay')
const dir = arg('--traces')
if (!replay || !dir) { console.error('usage: node trace_bytes.mjs --replay <bin> --traces <dir>'); process.exit(2) }
if (!fs.existsSync(dir)) { console.error(`traces folder missing: ${dir}`); process.exit(1) }

const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json.gz')).sort()
if (files.length === 0) { console.error(`no traces in ${dir}`); process.exit(1) }
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'codesync-trace-bytes-'))
let passed = 0
let failed = 0
for (const file of files) {
  const trace = JSON.parse(zlib.gunzipSync(fs.readFileSync(path.join(dir, file))))
  const doc = new Y.Doc()
  doc.clientID = 1
  const text = doc.getText('text')
  const script = []
  // Trace positions count code points; these traces hold no astral characters, so code points
  // and UTF-16 units coincide (checked, not assumed).
  if (/[\uD800-\uDFFF]/.test(trace.endContent) || trace.txns.some((t) => t.patches.some((p) => /[\uD800-\uDFFF]/.test(p[2])))) {
    console.log(`FAIL ${file}: holds astral characters; this script needs UTF-16 positions`)
    failed++
    continue
  }
  for (const txn of trace.txns) {
    doc.transact(() => {
      for (const [pos, del, ins] of txn.patches) {
        if (del) text.delete(pos, del)
        if (ins) text.insert(pos, ins)
        const bytes = Buffer.from(ins, 'utf8')
        script.push(Buffer.from(`E ${pos} ${del} ${bytes.length}\n`), bytes, Buffer.from('\n'))
      }
    })
    script.push(Buffer.from('C\n'))
  }
  const ok = text.toString() === trace.endContent
  const out = path.join(tmp, file + '.bin')
  execFileSync(replay, ['1', out], { input: Buffer.concat(script), maxBuffer: 1 << 30 })
  const ours = fs.readFileSync(out)
  const theirs = Buffer.from(Y.encodeStateAsUpdate(doc))
  if (ok && ours.equals(theirs)) {
    passed++
    console.log(`ok   ${file}: ${ours.length} bytes identical`)
  } else {
    failed++
    let at = 0
    while (at < ours.length && ours[at] === theirs[at]) at++
    console.log(`FAIL ${file}: yjs content ${ok ? 'ok' : 'WRONG'}, codesync ${ours.length} B vs yjs ${theirs.length} B, first difference at byte ${at}`)
  }
}
fs.rmSync(tmp, { recursive: true, force: true })
console.log(`trace_bytes: ${passed} passed, ${failed} failed`)
process.exit(failed ? 1 : 0)
