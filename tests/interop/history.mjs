// History against the real yjs: snapshots (bytes both ways), documents created from snapshots,
// snapshotContainsUpdate, text diffs against YText#toDelta(snapshot, prevSnapshot) with ychange,
// restore applied by a yjs peer, authorship, and garbage collection (bytes after GC, remote and
// local deletions, nested types) — over seeded random editing by several yjs clients.
//
//   node history.mjs --peer <codesync_history_peer> [--seeds N] [--start S] [--verbose]
import assert from 'node:assert/strict'
import * as Y from 'yjs'
import { DriverProcess } from './peer.mjs'

const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt }
const peerPath = arg('--peer')
if (!peerPath) { console.error('usage: node history.mjs --peer <codesync_history_peer>'); process.exit(2) }
const seeds = Number(arg('--seeds', 60))
const start = Number(arg('--start', 1))
const verbose = process.argv.includes('--verbose')

const hex = (b) => (b.length === 0 ? '-' : Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex'))
const unhex = (t) => (t === '-' ? new Uint8Array(0) : new Uint8Array(Buffer.from(t, 'hex')))
const hexStr = (s) => (s.length === 0 ? '-' : Buffer.from(s, 'utf8').toString('hex'))
const fromHexStr = (t) => (t === '-' ? '' : Buffer.from(t, 'hex').toString('utf8'))

const rng = (seed) => () => {
  seed |= 0; seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const drv = new DriverProcess(peerPath)
let checks = 0
let failures = 0
const check = (what, fn) => {
  checks++
  try { fn() } catch (e) {
    failures++
    console.log(`FAIL ${what}: ${e.message.split('\n').slice(0, 12).join('\n')}`)
  }
}

const csDoc = (client, gc, update) => {
  const [d] = drv.call('new', client, gc ? 1 : 0)
  if (update) drv.call('apply', d, hex(update))
  return d
}
const csJson = (d) => JSON.parse(fromHexStr(drv.call('json', d)[0]))
const ySnap = (s) => hex(Y.encodeSnapshot(s))

// Our delta format from yjs's toDelta with ychange attributes; adjacent runs merged.
const normalize = (ops) => {
  const out = []
  for (const op of ops) {
    const last = out[out.length - 1]
    if (last && op.retain !== undefined && last.retain !== undefined) { last.retain += op.retain; continue }
    if (last && op.insert !== undefined && last.insert !== undefined && last.client === op.client &&
        typeof op.insert === 'string' && typeof last.insert === 'string') { last.insert += op.insert; continue }
    if (last && op.delete !== undefined && last.delete !== undefined && last.client === op.client &&
        op.text !== undefined && last.text !== undefined) { last.delete += op.delete; last.text += op.text; continue }
    out.push({ ...op })
  }
  return out
}
const fromYjsDelta = (delta) => normalize(delta.map((op) => {
  const ch = op.attributes?.ychange
  const len = op.insert.length
  if (ch?.type === 'added') return { insert: op.insert, client: ch.user }
  if (ch?.type === 'removed') return { delete: len, text: op.insert, client: ch.user }
  return { retain: len }
}))
const ychange = (type, id) => ({ type, user: id.client })

const yAuthorship = (ytext) => {
  const runs = []
  let index = 0
  for (let n = ytext._start; n !== null; n = n.right) {
    if (n.deleted || !n.countable) continue
    const last = runs[runs.length - 1]
    if (last && last.client === n.id.client) last.length += n.length
    else runs.push({ index, length: n.length, client: n.id.client })
    index += n.length
  }
  return runs
}

const yState = (ydoc) => ({ t: ydoc.getText('t').toString(), m: ydoc.getMap('m').toJSON() })
const csState = (d) => { const j = csJson(d); return { t: j.t ?? '', m: j.m ?? {} } }

function randomText (r, n) {
  const alphabet = ['a', 'b', 'c', ' ', 'x', 'é', '😀', '\n']
  let s = ''
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(r() * alphabet.length)]
  return s
}

// One random edit on a yjs doc: text inserts/deletes/formatting, map values, nested texts.
function edit (r, doc) {
  const t = doc.getText('t')
  const m = doc.getMap('m')
  const x = r()
  if (x < 0.4 || t.length === 0) {
    // Inserts land on UTF-16 boundaries that do not split a surrogate pair.
    let pos = Math.floor(r() * (t.length + 1))
    const s = t.toString()
    if (pos > 0 && pos < s.length && /[\uDC00-\uDFFF]/.test(s[pos])) pos--
    t.insert(pos, randomText(r, 1 + Math.floor(r() * 6)))
  } else if (x < 0.65) {
    const s = t.toString()
    let pos = Math.floor(r() * t.length)
    if (/[\uDC00-\uDFFF]/.test(s[pos])) pos--
    let len = Math.min(1 + Math.floor(r() * 5), t.length - pos)
    if (/[\uD800-\uDBFF]/.test(s[pos + len - 1])) len++
    t.delete(pos, Math.min(len, t.length - pos))
  } else if (x < 0.72) {
    const pos = Math.floor(r() * t.length)
    t.format(pos, Math.min(3, t.length - pos), { bold: r() < 0.5 ? true : null })
  } else if (x < 0.85) {
    const key = ['a', 'b', 'c'][Math.floor(r() * 3)]
    if (r() < 0.25) m.delete(key)
    else m.set(key, r() < 0.5 ? Math.floor(r() * 100) : { v: randomText(r, 2) })
  } else {
    const key = ['doc1', 'doc2'][Math.floor(r() * 2)]
    let nested = m.get(key)
    if (!(nested instanceof Y.Text)) { nested = new Y.Text(); m.set(key, nested) }
    nested.insert(nested.length, randomText(r, 3))
  }
}

function scenario (seed) {
  const r = rng(seed)
  const a = new Y.Doc({ gc: false }); a.clientID = 1 + seed * 10
  const b = new Y.Doc({ gc: false }); b.clientID = 2 + seed * 10
  const c = new Y.Doc({ gc: false }); c.clientID = 3 + seed * 10
  const peers = [a, b, c]
  const sync = (x, y) => {
    Y.applyUpdate(y, Y.encodeStateAsUpdate(x, Y.encodeStateVector(y)))
    Y.applyUpdate(x, Y.encodeStateAsUpdate(y, Y.encodeStateVector(x)))
  }
  const points = [] // { snap, update } of a
  const steps = 20 + Math.floor(r() * 40)
  for (let i = 0; i < steps; i++) {
    const p = peers[Math.floor(r() * 3)]
    p.transact(() => { const k = 1 + Math.floor(r() * 3); for (let j = 0; j < k; j++) edit(r, p) })
    if (r() < 0.4) sync(peers[Math.floor(r() * 3)], peers[Math.floor(r() * 3)])
    if (r() < 0.25) { sync(a, b); sync(a, c); points.push({ snap: Y.snapshot(a), update: Y.encodeStateAsUpdate(a) }) }
  }
  sync(a, b); sync(a, c); sync(a, b)
  points.push({ snap: Y.snapshot(a), update: Y.encodeStateAsUpdate(a) })
  const final = Y.encodeStateAsUpdate(a)
  const cs = csDoc(9, false, final)
  const tag = `seed ${seed}`

  points.forEach((pt, i) => {
    // Our snapshot of the same state is Yjs's, byte for byte, and Yjs decodes it.
    const d = csDoc(9, false, pt.update)
    const ours = drv.call('snapshot', d)[0]
    check(`${tag} point ${i}: snapshot bytes`, () => assert.equal(ours, ySnap(pt.snap)))
    check(`${tag} point ${i}: yjs decodes ours`, () => assert.ok(Y.equalSnapshots(Y.decodeSnapshot(unhex(ours)), pt.snap)))
    drv.call('free', d)

    // The document as at the snapshot: same content, and the same bytes, as createDocFromSnapshot.
    const yOld = Y.createDocFromSnapshot(a, pt.snap)
    // (createDocFromSnapshot's new Doc collects garbage: so does ours here, and the bytes match.)
    const [old] = drv.call('from_snapshot', cs, ySnap(pt.snap), 1)
    check(`${tag} point ${i}: doc from snapshot`, () => assert.deepEqual(csState(old), yState(yOld)))
    check(`${tag} point ${i}: doc from snapshot bytes`,
      () => assert.equal(drv.call('encode', old)[0], hex(Y.encodeStateAsUpdate(yOld))))
    drv.call('free', old)

    // snapshotContainsUpdate over every point's update.
    points.forEach((other, j) => {
      const [got] = drv.call('contains', ySnap(pt.snap), hex(other.update))
      check(`${tag} contains(${i}, ${j})`, () => assert.equal(got === '1', Y.snapshotContainsUpdate(pt.snap, other.update)))
    })

    // Diffs from this point to every later one, and to now.
    for (let j = i; j < points.length; j++) {
      const want = fromYjsDelta(a.getText('t').toDelta(points[j].snap, pt.snap, ychange))
      const got = normalize(JSON.parse(fromHexStr(drv.call('diff_text', cs, hexStr('t'), ySnap(pt.snap), ySnap(points[j].snap))[0])))
      check(`${tag} diff(${i} -> ${j})`, () => assert.deepEqual(got, want))
    }
    // (toDelta with an undefined snapshot shows deleted text as unchanged: compare with a snapshot of now.)
    const wantNow = fromYjsDelta(a.getText('t').toDelta(Y.snapshot(a), pt.snap, ychange))
    const gotNow = normalize(JSON.parse(fromHexStr(drv.call('diff_text', cs, hexStr('t'), ySnap(pt.snap), '~')[0])))
    check(`${tag} diff(${i} -> now)`, () => assert.deepEqual(gotNow, wantNow))

    // Restore: a yjs peer holding the final state applies only the restore update(s).
    const fresh = csDoc(7, false, final)
    const [n, ...updates] = drv.call('restore', fresh, ySnap(pt.snap))
    const yPeer = new Y.Doc({ gc: false })
    Y.applyUpdate(yPeer, final)
    for (const u of updates) Y.applyUpdate(yPeer, unhex(u))
    check(`${tag} restore ${i}: one update at most`, () => assert.ok(Number(n) <= 1))
    check(`${tag} restore ${i}: yjs peer reads the old version`, () => {
      const want = yState(yOld)
      const got = yState(yPeer)
      assert.equal(got.t, want.t)
      assert.deepEqual(got.m, want.m)
    })
    check(`${tag} restore ${i}: codesync reads the old version`, () => assert.deepEqual(csState(fresh), yState(yOld)))
    if (verbose) console.log(JSON.stringify({ want: yState(yOld), cs: csState(fresh), y: yState(yPeer) }))
    drv.call('free', fresh)
  })

  // Authorship of the final text.
  const authors = JSON.parse(fromHexStr(drv.call('authorship', cs, hexStr('t'))[0]))
  check(`${tag} authorship`, () => assert.deepEqual(authors, yAuthorship(a.getText('t'))))

  // GC of remote deletions: the whole history applied to gc docs, at once and point by point.
  const yg = new Y.Doc(); Y.applyUpdate(yg, final)
  const g = csDoc(5, true, final)
  check(`${tag} gc bytes (one update)`, () => assert.equal(drv.call('encode', g)[0], hex(Y.encodeStateAsUpdate(yg))))
  const yg2 = new Y.Doc()
  const g2 = csDoc(5, true)
  let prevSv = new Uint8Array([0])
  for (const pt of points) {
    const diff = Y.diffUpdate(pt.update, prevSv)
    Y.applyUpdate(yg2, diff)
    drv.call('apply', g2, hex(diff))
    prevSv = Y.encodeStateVectorFromUpdate(pt.update)
  }
  check(`${tag} gc bytes (incremental)`, () => assert.equal(drv.call('encode', g2)[0], hex(Y.encodeStateAsUpdate(yg2))))
  check(`${tag} gc state`, () => assert.deepEqual(csState(g), yState(yg)))
  // A gc document refuses history, with a clear error.
  check(`${tag} gc refuses from_snapshot`, () => assert.throws(() => drv.call('from_snapshot', g, ySnap(points[0].snap), 0), /gc/))
  for (const x of [cs, g, g2]) drv.call('free', x)
}

// GC of local deletions: the same edits typed into codesync and yjs (same client id, gc on).
function localGc (seed) {
  const r = rng(seed * 7919)
  const y = new Y.Doc(); y.clientID = 5
  const d = csDoc(5, true)
  const yt = y.getText('t'); const ym = y.getMap('m')
  const t = hexStr('t'); const m = hexStr('m')
  for (let i = 0; i < 60; i++) {
    const x = r()
    if (x < 0.35 || yt.length === 0) {
      const pos = Math.floor(r() * (yt.length + 1)); const s = randomText(r, 1 + Math.floor(r() * 8)).replace(/😀|é/g, 'q')
      yt.insert(pos, s); drv.call('text_insert', d, t, pos, hexStr(s))
    } else if (x < 0.6) {
      const pos = Math.floor(r() * yt.length); const len = Math.min(1 + Math.floor(r() * 6), yt.length - pos)
      yt.delete(pos, len); drv.call('text_delete', d, t, pos, len)
    } else if (x < 0.75) {
      const key = ['k1', 'k2'][Math.floor(r() * 2)]
      ym.set(key, new Y.Text()); drv.call('map_set_text', d, m, hexStr(key))
      const s = randomText(r, 4).replace(/😀|é/g, 'q')
      ym.get(key).insert(0, s); drv.call('map_text_insert', d, m, hexStr(key), 0, hexStr(s))
    } else if (x < 0.85) {
      const key = ['k1', 'k2', 'v'][Math.floor(r() * 3)]
      ym.delete(key); drv.call('map_delete', d, m, hexStr(key))
    } else {
      const v = Math.floor(r() * 1000)
      ym.set('v', v); drv.call('map_set', d, m, hexStr('v'), hexStr(String(v)))
    }
    if (i % 10 === 9) {
      check(`local gc seed ${seed} step ${i}`, () => assert.equal(drv.call('encode', d)[0], hex(Y.encodeStateAsUpdate(y))))
    }
  }
  drv.call('free', d)
}

for (let s = start; s < start + seeds; s++) {
  scenario(s)
  localGc(s)
  if (verbose) console.log(`seed ${s}: ${checks} checks, ${failures} failures`)
}
drv.close()
console.log(`history: ${seeds} seeds, ${checks} checks, ${failures} failed`)
process.exit(failures === 0 ? 0 : 1)
