// Checks codesync against the yjs-made fixtures in fixtures/ (see fixtures/make_fixtures.mjs):
// each update must apply, give yjs's state vector and pending state, re-encode to bytes that load in
// yjs to the same content (XML, subdocuments, binary, exotic Any values included) and equal yjs's own
// re-encoding, survive edits on both sides, and complete when the missing update arrives. Also
// feeds truncated and mutated fixtures to the driver: each must be applied or rejected without
// crashing, and a rejected update must leave the document as it was.
//
//   node fixtures.mjs --peer <path to codesync_interop_peer> [--verbose]
//   node fixtures.mjs --fake            (yjs in place of codesync: validates this script)

import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as Y from 'yjs'
import { CodesyncPeers, YjsPeers, DriverExited, hex } from './peer.mjs'
import { readRoots, readValue, canon, decodeStateVector, ROOT_CTORS } from './fixtures/common.mjs'

const argv = process.argv.slice(2)
const optArg = (name) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined }
const FAKE = argv.includes('--fake')
const VERBOSE = argv.includes('--verbose')
const PEER = optArg('--peer') || process.env.INTEROP_PEER
if (!FAKE && !PEER) {
  console.error('usage: node fixtures.mjs --peer <codesync_interop_peer> | --fake')
  process.exit(2)
}

const here = path.dirname(fileURLToPath(import.meta.url))
const fxDir = path.join(here, 'fixtures')
const manifest = JSON.parse(fs.readFileSync(path.join(fxDir, 'manifest.json'), 'utf8'))
const load = (file) => new Uint8Array(fs.readFileSync(path.join(fxDir, file)))
const unhex = (h) => new Uint8Array(Buffer.from(h, 'hex'))
const bytesEqual = (a, b) => a.length === b.length && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0
const svText = (sv) => JSON.stringify(decodeStateVector(sv))

const peers = FAKE ? new YjsPeers() : new CodesyncPeers(PEER)
const kindOf = { Text: 'text', Map: 'map', Array: 'array' }

let passed = 0
let failed = 0
const notes = []

/** One named check; failures are collected, a crashed driver is restarted. */
function test (name, fn) {
  const problems = []
  const expect = (cond, msg) => { if (!cond) problems.push(typeof msg === 'function' ? msg() : msg) }
  try {
    fn(expect)
  } catch (e) {
    problems.push(e instanceof DriverExited ? `driver crashed: ${e.message}` : `threw: ${VERBOSE ? e.stack : e.message}`)
    if (!peers.alive) peers.restart()
  }
  if (problems.length) {
    failed++
    console.log(`FAIL ${name}`)
    for (const p of problems) console.log(`     ${p.split('\n').join('\n     ')}`)
  } else {
    passed++
    if (VERBOSE) console.log(`ok   ${name}`)
  }
}

/** A fresh codesync (or fake) doc with the fixture's readable roots declared. */
function csDoc (fx, gc) {
  const d = peers.newDoc({ clientID: 4242, gc })
  return d
}

function declareRoots (d, fx) {
  for (const r of fx.csRoots) d.root(kindOf[fx.roots[r]], r)
}

let yjsClient = 1000
function yjsLoad (update, gc, roots) {
  const d = new Y.Doc({ gc })
  d.clientID = yjsClient++ // never one the loaded state already uses
  Y.applyUpdate(d, update)
  return { doc: d, read: readRoots(d, roots), sv: Y.encodeStateVector(d), pending: d.store.pendingStructs !== null || d.store.pendingDs !== null }
}

/** Checks a codesync doc against one manifest description (state vector, pending, content, bytes). */
function checkAgainst (expect, d, fx, want, what) {
  const sv = d.stateVector()
  expect(svText(sv) === svText(unhex(want.stateVector)), () => `${what}: state vector ${svText(sv)}, yjs has ${svText(unhex(want.stateVector))}`)
  expect(bytesEqual(sv, unhex(want.stateVector)), () => `${what}: state vector bytes ${hex(sv)}, yjs writes ${want.stateVector}`)
  expect(d.hasPending() === want.pending, () => `${what}: pending=${d.hasPending()}, yjs pending=${want.pending}`)
  const full = d.encodeStateAsUpdate()
  const y = yjsLoad(full, fx.gcMode, fx.roots)
  expect(canon(y.read) === canon(want.yjs), () => `${what}: codesync's full state read by yjs\n  ${canon(y.read)}\nexpected\n  ${canon(want.yjs)}`)
  expect(svText(y.sv) === svText(unhex(want.stateVector)), () => `${what}: codesync's full state gives yjs state vector ${svText(y.sv)}`)
  expect(y.pending === want.pending, () => `${what}: codesync's full state leaves yjs pending=${y.pending}, expected ${want.pending}`)
  if (want.stable) {
    expect(bytesEqual(full, unhex(want.reencoded)), () => `${what}: full state bytes differ from yjs's re-encoding\n  codesync ${hex(full)}\n  yjs      ${want.reencoded}`)
  }
  // What the C API can read.
  declareRoots(d, fx)
  if (fx.csRoots.length) {
    const json = d.toJSON()
    for (const r of fx.csRoots) {
      expect(canon(json[r]) === canon(want.codesync[r]), () => `${what}: doc_to_json["${r}"] = ${canon(json[r])}, yjs toJSON = ${canon(want.codesync[r])}`)
      const t = d.root(kindOf[fx.roots[r]], r)
      expect(canon(t.toJSON()) === canon(want.codesync[r]), () => `${what}: ${t.kind} "${r}" toJSON = ${canon(t.toJSON())}, expected ${canon(want.codesync[r])}`)
      if (t.kind === 'text') {
        const delta = t.toDelta()
        const yd = y.doc.getText(r).toDelta()
        expect(canon(delta) === canon(JSON.parse(JSON.stringify(yd))), () => `${what}: text "${r}" delta ${canon(delta)}, yjs ${canon(yd)}`)
        const units = yd.reduce((n, op) => n + (typeof op.insert === 'string' ? op.insert.length : 1), 0)
        expect(t.length() === units, () => `${what}: text "${r}" length ${t.length()}, yjs ${units}`)
      }
    }
  }
  return { full, y }
}

/** A yjs edit touching every root and the XML types nested one level in maps. */
function pokeWithYjs (doc, roots) {
  doc.transact(() => {
    for (const [name, kind] of Object.entries(roots)) {
      const t = doc.get(name, ROOT_CTORS[kind])
      if (t instanceof Y.Text) t.insert(0, 'y✓', { yjs: true })
      else if (t instanceof Y.Map) {
        t.set('yjs-edit', [1, 'ü'])
        for (const v of t.values()) pokeNested(v)
      } else if (t instanceof Y.Array) t.push(['yjs'])
      else if (t instanceof Y.XmlFragment) {
        t.insert(0, [new Y.XmlElement('yjs')])
        for (const v of t.toArray()) pokeNested(v)
      }
    }
  })
}

function pokeNested (v) {
  if (v instanceof Y.XmlHook) v.set('poked', true)
  else if (v instanceof Y.XmlElement) {
    v.setAttribute('poked', 'yes')
    const tx = new Y.XmlText()
    v.insert(v.length, [tx])
    tx.insert(0, 'new child')
  } else if (v instanceof Y.XmlFragment) v.insert(0, [new Y.XmlElement('poked')])
  else if (v instanceof Y.XmlText) v.format(0, 1, { poked: true })
  else if (v instanceof Y.Text) v.insert(v.length, '+')
  else if (v instanceof Y.Map) v.set('poked', 1)
  else if (v instanceof Y.Array) v.insert(0, ['poked'])
}

for (const fx of manifest.fixtures) {
  const update = load(fx.file)
  const missing = fx.missing ? load(fx.missing) : null
  for (const gc of [true, false]) {
    const mode = gc ? 'gc' : 'nogc'
    const want = fx[mode]
    fx.gcMode = gc
    const label = `${fx.name} [${mode}]`

    test(`${label} apply, state vector, re-encoding, content`, (expect) => {
      const d = csDoc(fx, gc)
      try {
        d.applyUpdate(update)
        checkAgainst(expect, d, fx, want, 'after apply')
      } finally { d.destroy() }
    })

    test(`${label} edits on both sides keep everything`, (expect) => {
      const d = csDoc(fx, gc)
      try {
        d.applyUpdate(update)
        // codesync edits a root of its own; nothing else may change.
        d.root('text', 'cs_edit').insert(0, 'codesync ✓ 😀')
        const y1 = yjsLoad(d.encodeStateAsUpdate(), gc, fx.roots)
        expect(canon(y1.read) === canon(want.yjs), () => `after a codesync edit elsewhere, yjs reads\n  ${canon(y1.read)}\nexpected\n  ${canon(want.yjs)}`)
        expect(y1.doc.getText('cs_edit').toString() === 'codesync ✓ 😀', () => `yjs reads the codesync edit as ${JSON.stringify(y1.doc.getText('cs_edit').toString())}`)
        // yjs edits everything (XML included); codesync integrates the update and must carry it on.
        const sv = Y.encodeStateVector(y1.doc)
        pokeWithYjs(y1.doc, fx.roots)
        const u = Y.encodeStateAsUpdate(y1.doc, sv)
        d.applyUpdate(u)
        const y2 = yjsLoad(d.encodeStateAsUpdate(), gc, fx.roots)
        const expected = readRoots(y1.doc, fx.roots)
        expect(canon(y2.read) === canon(expected), () => `after yjs edits applied to codesync, yjs reads codesync's state as\n  ${canon(y2.read)}\nexpected\n  ${canon(expected)}`)
        expect(svText(d.stateVector()) === svText(Y.encodeStateVector(y1.doc)), () => `state vector after the yjs edit: ${svText(d.stateVector())} vs ${svText(Y.encodeStateVector(y1.doc))}`)
      } finally { d.destroy() }
    })

    if (missing) {
      for (const order of ['update-first', 'missing-first']) {
        test(`${label} pending resolved (${order})`, (expect) => {
          const d = csDoc(fx, gc)
          try {
            const seq = order === 'update-first' ? [update, missing] : [missing, update]
            for (const u of seq) d.applyUpdate(u)
            checkAgainst(expect, d, fx, fx.afterMissing[mode], `after ${order}`)
          } finally { d.destroy() }
        })
      }
      if (gc) {
        test(`${fx.name} merge with the missing update`, (expect) => {
          const merged = peers.mergeUpdates([update, missing])
          const y = yjsLoad(merged, true, fx.roots)
          expect(canon(y.read) === canon(fx.afterMissing.gc.yjs), () => `merged update read by yjs: ${canon(y.read)}`)
          expect(!y.pending, 'merged update leaves yjs pending')
          const ym = Y.mergeUpdates([update, missing])
          if (!bytesEqual(merged, ym)) notes.push(`${fx.name}: merge bytes differ from Y.mergeUpdates`)
        })
      }
    }
  }

  test(`${fx.name} update_state_vector`, (expect) => {
    const sv = peers.updateStateVector(update)
    const ysv = Y.encodeStateVectorFromUpdate(update)
    expect(svText(sv) === svText(ysv), () => `update state vector ${svText(sv)}, yjs ${svText(ysv)}`)
  })

  test(`${fx.name} merge with itself is stable`, (expect) => {
    const merged = peers.mergeUpdates([update, update])
    const y = yjsLoad(merged, true, fx.roots)
    expect(canon(y.read) === canon(fx.gc.yjs), () => `merge of the update with itself read by yjs: ${canon(y.read)}`)
    const ym = Y.mergeUpdates([update, update])
    if (!bytesEqual(merged, ym)) notes.push(`${fx.name}: self-merge bytes differ from Y.mergeUpdates`)
  })
}

// ---- malformed input: never crash, and a rejected update changes nothing -----------------------

function rng (seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = Math.imul(a ^ (a >>> 15), a | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

test('malformed updates: truncations and mutations of every fixture', (expect) => {
  const r = rng(1234)
  const base = peers.newDoc({ clientID: 5, gc: true })
  base.root('text', 't').insert(0, 'base')
  const baseUpdate = base.encodeStateAsUpdate()
  base.destroy()
  let rejected = 0; let accepted = 0
  const tryApply = (bytes, what) => {
    const d = peers.newDoc({ clientID: 6, gc: true })
    try {
      d.applyUpdate(baseUpdate)
      const before = hex(d.encodeStateAsUpdate())
      const beforeSv = hex(d.stateVector())
      let ok = true
      try { d.applyUpdate(bytes) } catch (e) {
        if (e instanceof DriverExited) throw new DriverExited(`${e.message} (input ${what}: ${hex(bytes)})`)
        ok = false
      }
      if (ok) accepted++
      else {
        rejected++
        // yjs itself is not atomic here (structs integrate before a bad delete set throws), so the
        // fake run only checks that nothing crashes.
        if (!FAKE) expect(hex(d.encodeStateAsUpdate()) === before && hex(d.stateVector()) === beforeSv, () => `rejected ${what} changed the document (input ${hex(bytes)})`)
      }
    } finally { d.destroy() }
  }
  for (const fx of manifest.fixtures) {
    const u = load(fx.file)
    for (let n = 0; n < u.length; n++) tryApply(u.subarray(0, n), `${fx.file} cut at ${n}`)
    for (let k = 0; k < 40; k++) {
      const m = new Uint8Array(u)
      const flips = 1 + Math.floor(r() * 3)
      for (let f = 0; f < flips; f++) m[Math.floor(r() * m.length)] = Math.floor(r() * 256)
      tryApply(m, `${fx.file} mutated`)
    }
  }
  for (const junk of [[0xff], [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], [1, 1, 0xff, 0xff, 0xff, 0xff, 0x0f, 0, 0x04]]) tryApply(new Uint8Array(junk), 'junk')
  if (VERBOSE) console.log(`     malformed inputs: ${rejected} rejected, ${accepted} accepted`)
  expect(rejected > 0, 'no malformed input was rejected')
})

if (!FAKE) {
  test('driver: bad requests answer err and the driver survives', (expect) => {
    const d = peers.driver
    const bad = [['nonsense'], ['apply', '999', '00'], ['apply', '0'], ['text_insert', '123456', '0', '61'], ['new', 'x', '1'],
      ['new', '1', '7'], ['merge'], ['apply', '0', 'zz'], ['sv', '-1'], ['text_delete'], ['encode', '0', 'abc']]
    for (const req of bad) {
      let threw = false
      try { d.call(...req) } catch (e) {
        threw = true
        expect(!(e instanceof DriverExited), `driver died on ${req.join(' ')}`)
        if (e instanceof DriverExited) return
      }
      expect(threw, `${req.join(' ')} answered ok`)
    }
    const doc = peers.newDoc({ clientID: 9, gc: true })
    try {
      const t = doc.root('text', 't')
      const calls = {
        'delete(5, 1) on an empty text': () => t.delete(5, 1),
        'insert(99, "x") on an empty text': () => t.insert(99, 'x'),
        'apply of the bytes 01 02 03': () => doc.applyUpdate(new Uint8Array([1, 2, 3]))
      }
      for (const [what, call] of Object.entries(calls)) {
        let threw = false
        try { call() } catch (e) { threw = !(e instanceof DriverExited) }
        expect(threw, `${what} was accepted`)
      }
      expect(t.toString() === '', 'failed calls changed the text')
      t.insert(0, '😀')
      let threw = false
      try { t.insert(1, 'x') } catch (e) { threw = !(e instanceof DriverExited) }
      expect(threw, 'inserting inside a surrogate pair (UTF-16 index 1 of an emoji) was accepted')
    } finally { doc.destroy() }
  })
}

peers.close()
for (const n of notes) console.log(`note: ${n}`)
console.log(`fixtures: ${passed} passed, ${failed} failed`)
process.exit(failed ? 1 : 0)
