// Writes the seed corpora of the fuzz targets from real Yjs updates.
//
//   dir=$(mktemp -d) && (cd "$dir" && npm init -y >/dev/null && npm install yjs@13.6)
//   YJS_DIR="$dir" node tests/fuzz/corpus/make_seeds.mjs
//
// Output (deterministic for a given yjs version; client ids are fixed):
//   apply_update/*.bin   one v1 update per file, plus truncated and bit-flipped copies
//   merge_updates/*.bin  several updates in merge_updates_fuzzer's framing, and
//                        byte streams for its log mode
//   text_ops/*.bin       op streams for text_ops_fuzzer (pseudo-random, seeded)
// Existing files with other names (crashers added by hand) are left alone.
import { createRequire } from 'node:module'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const yjsDir = process.env.YJS_DIR
if (!yjsDir) {
  console.error('set YJS_DIR to a folder where `npm install yjs@13.6` was run')
  process.exit(2)
}
const require = createRequire(join(yjsDir, 'package.json'))
const Y = require('yjs')

const here = dirname(fileURLToPath(import.meta.url))
const out = {
  apply: join(here, 'apply_update_fuzzer'),
  merge: join(here, 'merge_updates_fuzzer'),
  ops: join(here, 'text_ops_fuzzer')
}
for (const d of Object.values(out)) mkdirSync(d, { recursive: true })

let written = 0
const write = (dir, name, bytes) => {
  writeFileSync(join(dir, name), Buffer.from(bytes))
  written++
}

// mulberry32: a small seeded PRNG so reruns produce the same files.
const rng = (seed) => () => {
  seed |= 0
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const newDoc = (client) => {
  const d = new Y.Doc()
  d.clientID = client
  return d
}
const full = (d) => Y.encodeStateAsUpdate(d)
// Records every update a doc emits.
const recorder = (d) => {
  const log = []
  d.on('update', (u) => log.push(u))
  return log
}

// ---- apply_update: one update per file ----------------------------------

const updates = {}

{
  const d = newDoc(1)
  d.getText('t').insert(0, 'hello')
  updates.text_insert = full(d)
}
{
  const d = newDoc(7)
  const t = d.getText('t')
  t.insert(0, 'hello world')
  t.insert(5, ' 😀 é €')
  t.delete(0, 2)
  t.insert(3, 'x')
  updates.text_edits = full(d)
}
{
  const d = newDoc(3)
  const t = d.getText('t')
  t.insert(0, 'bold and plain')
  t.format(0, 4, { bold: true })
  t.insertEmbed(5, { image: 'a.png' })
  t.insert(0, 'X', { italic: true, color: '#f00' })
  t.format(2, 3, { bold: null })
  updates.text_format = full(d)
}
{
  const d = newDoc(4)
  const t = d.getText('t')
  t.insert(0, 'abcdef')
  const sv = Y.encodeStateVector(d)
  t.delete(1, 3)
  updates.delete_only = Y.encodeStateAsUpdate(d, sv) // no structs, just the delete set
}
{
  const d = newDoc(5)
  const m = d.getMap('m')
  m.set('int', 42)
  m.set('neg', -7)
  m.set('float', 1.5)
  m.set('double', 0.1)
  m.set('big', 2n ** 60n)
  m.set('str', 'é😀')
  m.set('t', true)
  m.set('f', false)
  m.set('null', null)
  m.set('undef', undefined)
  m.set('arr', [1, 'two', [3], { four: 4 }])
  m.set('obj', { a: { b: [true, null] } })
  m.set('bin', new Uint8Array([0, 1, 2, 255]))
  m.set('int', 43) // overwrite: the old value is deleted
  updates.map_values = full(d)
}
{
  const d = newDoc(6)
  const m = d.getMap('m')
  const nt = new Y.Text()
  m.set('text', nt)
  nt.insert(0, 'inner')
  const nm = new Y.Map()
  m.set('map', nm)
  nm.set('q', [true])
  const na = new Y.Array()
  m.set('arr', na)
  na.insert(0, [1, 'two'])
  const deep = new Y.Map()
  na.insert(2, [deep])
  deep.set('deep', 1)
  updates.map_nested = full(d)
}
{
  const d = newDoc(8)
  const a = d.getArray('a')
  a.insert(0, [1, 2, 3, 'four', { five: 5 }])
  a.delete(1, 2)
  a.insert(1, [new Y.Text('t'), new Y.Map(), new Y.Array()])
  a.push([null])
  updates.array = full(d)
}
{
  const d = newDoc(9)
  const frag = d.getXmlFragment('x')
  const p = new Y.XmlElement('p')
  p.setAttribute('class', 'intro')
  const txt = new Y.XmlText()
  txt.insert(0, 'hi there')
  txt.format(0, 2, { b: true })
  p.insert(0, [txt])
  frag.insert(0, [p, new Y.XmlText('tail')])
  const hook = new Y.XmlHook('hook')
  frag.insert(2, [hook])
  updates.xml = full(d)
}
{
  const d = newDoc(10)
  const sub = new Y.Doc({ guid: 'sub-guid', shouldLoad: false })
  d.getMap('docs').set('sub', sub)
  d.getArray('list').insert(0, [new Y.Doc({ guid: 'second', meta: { a: 1 } })])
  updates.subdoc = full(d)
}
{
  // A deleted parent turns its children into GC structs.
  const d = newDoc(11)
  const m = d.getMap('m')
  const inner = new Y.Map()
  m.set('inner', inner)
  inner.set('a', 'some content')
  inner.set('b', [1, 2, 3])
  const t = new Y.Text()
  d.getArray('a').insert(0, [t])
  t.insert(0, 'gone soon')
  m.delete('inner')
  d.getArray('a').delete(0, 1)
  updates.gc = full(d)
}
{
  // Merging non-contiguous updates of one client leaves a Skip struct.
  const d = newDoc(12)
  const log = recorder(d)
  const t = d.getText('t')
  t.insert(0, 'one')
  t.insert(3, 'two')
  t.insert(6, 'three')
  updates.skip = Y.mergeUpdates([log[0], log[2]])
}
{
  const a = newDoc(1)
  const b = newDoc(2)
  a.getText('t').insert(0, 'A side')
  b.getText('t').insert(0, 'B side')
  Y.applyUpdate(a, full(b))
  a.getText('t').insert(3, '|')
  b.getMap('m').set('k', 'v')
  Y.applyUpdate(b, full(a))
  b.getText('t').delete(0, 4)
  updates.two_clients = full(b)
}
{
  const d = newDoc(13)
  const log = recorder(d)
  d.getText('t').insert(0, 'base')
  d.getText('t').insert(4, ' more')
  updates.pending = log[1] // depends on log[0]
}
{
  const d = newDoc(2 ** 53 - 1)
  d.getText('t').insert(0, 'max safe client')
  updates.big_client = full(d)
}
{
  const d = newDoc(14)
  d.getText('t').insert(0, 'v2 bytes')
  updates.v2_format = Y.encodeStateAsUpdateV2(d) // not v1: mostly malformed for us
}
updates.empty = new Uint8Array([0, 0])
// Legacy ContentJSON (ref 2) is still decoded by Yjs but no longer produced:
// client 15, clock 0, root "j", two JSON strings.
updates.content_json = new Uint8Array([
  1, 1, 15, 0, 2, 1, 1, 106, 2, 3, 0x5b, 0x31, 0x5d, 9, ...Buffer.from('undefined'), 0
])
// ContentBinary (ref 3) in a map.
{
  const d = newDoc(16)
  d.getArray('bin').insert(0, [new Uint8Array([1, 2, 3])])
  updates.binary = full(d)
}

for (const [name, u] of Object.entries(updates)) {
  write(out.apply, `${name}.bin`, u)
}

// Truncated and bit-flipped copies of some seeds.
const r = rng(2024)
for (const name of ['text_edits', 'text_format', 'map_values', 'map_nested', 'xml', 'gc', 'two_clients', 'subdoc']) {
  const u = updates[name]
  write(out.apply, `${name}.trunc_half.bin`, u.slice(0, Math.floor(u.length / 2)))
  write(out.apply, `${name}.trunc_last.bin`, u.slice(0, u.length - 1))
  const flipped = Uint8Array.from(u)
  for (let k = 0; k < 3; k++) {
    const bit = Math.floor(r() * flipped.length * 8)
    flipped[bit >> 3] ^= 1 << (bit & 7)
  }
  write(out.apply, `${name}.flip3.bin`, flipped)
}

// ---- merge_updates: framing [n-1][len][bytes]...[rest] --------------------

const frame = (pieces) => {
  if (pieces.length < 1 || pieces.length > 4) throw new Error('1..4 pieces')
  const bytes = [pieces.length - 1]
  pieces.forEach((p, i) => {
    if (i < pieces.length - 1) {
      if (p.length > 255) throw new Error(`piece of ${p.length} bytes does not fit the framing`)
      bytes.push(p.length)
    }
    bytes.push(...p)
  })
  return Uint8Array.from(bytes)
}

{
  // Consecutive updates of one client.
  const d = newDoc(20)
  const log = recorder(d)
  const t = d.getText('t')
  t.insert(0, 'abc')
  t.insert(3, 'def')
  t.delete(1, 2)
  t.insert(0, '😀')
  write(out.merge, 'sequence.bin', frame(log))
  write(out.merge, 'sequence_reversed.bin', frame([...log].reverse()))
  write(out.merge, 'sequence_gap.bin', frame([log[0], log[2], log[3]]))
}
{
  // Two clients editing concurrently.
  const a = newDoc(21)
  const b = newDoc(22)
  const la = recorder(a)
  const lb = recorder(b)
  a.getText('t').insert(0, 'left')
  b.getText('t').insert(0, 'right')
  b.getMap('m').set('x', [1, 2])
  a.getArray('a').insert(0, ['q'])
  write(out.merge, 'two_clients.bin', frame([la[0], lb[0], lb[1], la[1]]))
}
{
  // Formatting, nested types and deletions across updates.
  const d = newDoc(23)
  const log = recorder(d)
  const t = d.getText('t')
  t.insert(0, 'format me')
  t.format(0, 6, { bold: true })
  const m = d.getMap('m')
  m.set('nested', new Y.Map())
  m.get('nested').set('k', 'v')
  write(out.merge, 'format_nested.bin', frame([log[0], log[1], Y.mergeUpdates(log.slice(2))]))
}
write(out.merge, 'single_full.bin', frame([updates.text_edits]))
write(out.merge, 'with_skip.bin', frame([updates.skip, updates.text_insert]))
write(out.merge, 'delete_only.bin', frame([updates.delete_only, updates.empty]))
write(out.merge, 'pending_pair.bin', frame([updates.pending, updates.text_insert]))
write(out.merge, 'same_twice.bin', frame([updates.text_insert, updates.text_insert]))
write(out.merge, 'truncated_piece.bin', frame([updates.text_insert.slice(0, 6), updates.two_clients]))
write(out.merge, 'garbage_piece.bin', frame([Uint8Array.from([255, 255, 1]), updates.text_insert]))
write(out.merge, 'gc_and_map.bin', frame([updates.gc, updates.map_values]))
write(out.merge, 'xml_subdoc.bin', frame([updates.subdoc, updates.xml.slice(0, 0), updates.xml]))
{
  const base = frame([updates.text_format, updates.text_edits])
  for (let k = 0; k < 4; k++) {
    const flipped = Uint8Array.from(base)
    const bit = 8 + Math.floor(r() * (flipped.length - 1) * 8)
    flipped[bit >> 3] ^= 1 << (bit & 7)
    write(out.merge, `flip_${k}.bin`, flipped)
  }
}

// Log mode (byte 0 >= 0x80): the fuzzer generates its own updates from the bytes.
for (let k = 0; k < 8; k++) {
  const rr = rng(500 + k)
  const bytes = new Uint8Array(24 + Math.floor(rr() * 200))
  bytes[0] = 0x80 | k
  for (let i = 1; i < bytes.length; i++) bytes[i] = Math.floor(rr() * 256)
  write(out.merge, `log_${k}.bin`, bytes)
}

// ---- text_ops: op streams ---------------------------------------------------

for (let k = 0; k < 24; k++) {
  const rr = rng(1000 + k)
  const len = 16 + Math.floor(rr() * 240)
  const bytes = new Uint8Array(len)
  bytes[0] = k % 3 // offset unit
  for (let i = 1; i < len; i++) bytes[i] = Math.floor(rr() * 256)
  write(out.ops, `random_${String(k).padStart(2, '0')}.bin`, bytes)
}
// Hand-written. Byte 0 is the unit (0 UTF-16, 1 UTF-8, 2 code points); then
// steps of [who (bit 0: doc a or b), op, index, args...]. Ops: 0-2 insert
// [string], 3-4 delete [n], 5 format [n, attrs], 6 embed or attributed insert
// [b], 7 sync, 8 begin/commit [b], 9 map [key, json], 10 array [at, b, n?],
// 11 full state. See text_ops_fuzzer.cc.
write(out.ops, 'typing_and_sync.bin', [0,
  0, 0, 0, 6, /* a inserts "hello world" */ 0, 1, 5, 4, /* a inserts an emoji at 5 */ 0, 7, 0, /* a -> b */
  1, 3, 0, 3, /* b deletes 3 */ 1, 5, 1, 4, 0, /* b formats */ 1, 7, 0, /* b -> a */
  0, 6, 2, 0, /* a inserts an embed */ 0, 0, 1, 8, /* a inserts invalid UTF-8 */ 0, 7, 0])
write(out.ops, 'transaction.bin', [1,
  1, 8, 0, 1, /* b begins */ 1, 0, 0, 4, /* emoji */ 1, 1, 2, 0, /* inside the emoji */ 1, 3, 0, 4,
  1, 8, 0, 0, /* b commits */ 0, 9, 0, 2, 4, /* a map set */ 1, 10, 0, 0, 1, /* b array insert */
  0, 7, 0, 1, 7, 0])
write(out.ops, 'astral_codepoints.bin', [2,
  0, 0, 0, 5, 0, 0, 2, 4, 0, 11, 0, /* a full state -> b */ 1, 3, 1, 2, 1, 7, 0, 0, 5, 0, 3, 2])

console.log(`wrote ${written} seed files`)
