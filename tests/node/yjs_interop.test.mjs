// In-process interop with the real yjs (tests/node/node_modules/yjs): updates
// flow both ways, edits converge, and yjs agrees on bytes and deltas.
import test from 'node:test'
import assert from 'node:assert/strict'
import * as Y from 'yjs'
import { C, rng } from './codesync.mjs'

// An index of s at a character boundary (never inside a surrogate pair).
function boundary (s, i) {
  return i > 0 && i < s.length && /[\uDC00-\uDFFF]/.test(s[i]) ? i - 1 : i
}

const ALPHABET = ['a', 'b', ' ', 'é', '😀', '你', '\n']

// The content of the roots these tests use (yjs's doc.toJSON only lists roots it has accessed).
const state = (d) => ({ t: d.getText('t').toString(), m: d.getMap('m').toJSON(), a: d.getArray('a').toJSON() })

// One random edit on a yjs or codesync document (same API shape).
function randomEdit (r, doc, lib) {
  const x = r.next()
  if (x < 0.6) {
    const t = doc.getText('t')
    const s = t.toString()
    if (s.length && x < 0.2) {
      const at = boundary(s, r.int(s.length))
      const end = boundary(s, Math.min(s.length, at + 1 + r.int(3)))
      if (end > at) t.delete(at, end - at)
    } else {
      t.insert(boundary(s, r.int(s.length + 1)), r.pick(ALPHABET) + r.pick(ALPHABET))
    }
  } else if (x < 0.8) {
    doc.getMap('m').set(`k${r.int(5)}`, r.pick([1, 'two', null, [3], { four: 4 }]))
  } else {
    const a = doc.getArray('a')
    if (a.length && x < 0.85) a.delete(r.int(a.length), 1)
    else if (x < 0.95) a.insert(r.int(a.length + 1), [r.int(100)])
    else a.push([lib === 'yjs' ? new Y.Text('nested') : new C.Text('nested')])
  }
}

test('live: updates flow both ways between a codesync and a yjs document', () => {
  const cs = new C.Doc({ clientID: 1 })
  const yd = new Y.Doc()
  yd.clientID = 2
  cs.on('update', (u, origin) => { if (origin !== 'yjs') Y.applyUpdate(yd, u, 'codesync') })
  yd.on('update', (u, origin) => { if (origin !== 'codesync') C.applyUpdate(cs, u, 'yjs') })
  const r = rng(21)
  for (let i = 0; i < 300; i++) {
    if (r.next() < 0.5) randomEdit(r, cs, 'codesync')
    else randomEdit(r, yd, 'yjs')
    assert.equal(cs.getText('t').toString(), yd.getText('t').toString(), `step ${i}`)
  }
  assert.deepEqual(state(cs), state(yd))
  assert.deepEqual(C.encodeStateVector(cs), Y.encodeStateVector(yd))
})

test('concurrent: two codesync peers and two yjs peers converge through state-vector diffs', () => {
  const peers = [new C.Doc({ clientID: 10 }), new C.Doc({ clientID: 11 })]
  for (const id of [12, 13]) {
    const d = new Y.Doc()
    d.clientID = id
    peers.push(d)
  }
  const lib = (d) => (d instanceof C.Doc ? C : Y)
  const diff = (from, to) => lib(from).encodeStateAsUpdate(from, lib(to).encodeStateVector(to))
  const r = rng(33)
  for (let round = 0; round < 25; round++) {
    for (const p of peers) for (let k = r.int(4); k > 0; k--) randomEdit(r, p, lib(p) === Y ? 'yjs' : 'codesync')
    // Deliver in a random order; some pairs only see each other through a third peer.
    for (let k = 0; k < 6; k++) {
      const a = r.pick(peers)
      const b = r.pick(peers)
      if (a !== b) lib(b).applyUpdate(b, diff(a, b))
    }
    for (const a of peers) for (const b of peers) if (a !== b) lib(b).applyUpdate(b, diff(a, b))
    const expected = state(peers[2])
    for (const p of peers) assert.deepEqual(state(p), expected, `round ${round}`)
  }
  assert.ok(peers[0].getText('t').length > 20)
})

test('the same edits by the same client encode to the same bytes as yjs', () => {
  const cs = new C.Doc({ clientID: 77 })
  const yd = new Y.Doc()
  yd.clientID = 77
  const r = rng(4)
  for (let i = 0; i < 200; i++) {
    const s = cs.getText('t').toString()
    const at = boundary(s, r.int(s.length + 1))
    const end = boundary(s, Math.min(s.length, at + 2))
    const remove = end > at && r.next() < 0.3
    const text = r.pick(ALPHABET)
    for (const d of [cs, yd]) {
      if (remove) d.getText('t').delete(at, end - at)
      else d.getText('t').insert(at, text)
    }
  }
  assert.equal(cs.getText('t').toString(), yd.getText('t').toString())
  assert.deepEqual(C.encodeStateAsUpdate(cs), Y.encodeStateAsUpdate(yd))
  assert.deepEqual(C.encodeStateVector(cs), Y.encodeStateVector(yd))
})

test('text observers report the same deltas as yjs for the same remote updates', () => {
  const src = new Y.Doc()
  src.clientID = 5
  const updates = []
  src.on('update', (u) => updates.push(u))
  const st = src.getText('t')
  st.insert(0, 'hello 😀 world')
  st.format(0, 5, { bold: true })
  st.delete(6, 2)
  st.insert(6, 'there ', { italic: true })
  st.insertEmbed(0, { image: 'x.png' })
  st.format(2, 8, { bold: null, color: 'red' })

  const cs = new C.Doc()
  const yd = new Y.Doc()
  const got = []
  const want = []
  cs.getText('t').observe((e) => got.push(e.delta))
  yd.getText('t').observe((e) => want.push(e.delta))
  for (const u of updates) {
    C.applyUpdate(cs, u)
    Y.applyUpdate(yd, u)
  }
  assert.equal(got.length, updates.length)
  assert.deepEqual(got, want)
  assert.deepEqual(cs.getText('t').toDelta(), st.toDelta())
})
