// Snapshots, old versions, diffs, authorship and the persistence container
// through the Node binding, checked in-process against the real yjs: snapshot
// bytes are yjs's, snapshots cross both ways, old versions and diffs agree
// with yjs's createDocFromSnapshot and toDelta(snapshot, prevSnapshot).
import test from 'node:test'
import assert from 'node:assert/strict'
import * as Y from 'yjs'
import { C, rng } from './codesync.mjs'

const ALPHABET = ['a', 'b', ' ', 'é', '😀', '你', '\n']

function boundary (s, i) {
  return i > 0 && i < s.length && /[\uDC00-\uDFFF]/.test(s[i]) ? i - 1 : i
}

function randomTextEdit (r, t) {
  const s = t.toString()
  if (s.length && r.next() < 0.35) {
    const at = boundary(s, r.int(s.length))
    const end = boundary(s, Math.min(s.length, at + 1 + r.int(4)))
    if (end > at) t.delete(at, end - at)
  } else {
    t.insert(boundary(s, r.int(s.length + 1)), r.pick(ALPHABET) + r.pick(ALPHABET))
  }
}

const syncY = (from, to) => Y.applyUpdate(to, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to)))

// Our diff runs rendered as yjs's ytext.toDelta(next, prev, computeYChange):
// the newer text with removed content kept in place, marked per client.
function asYChangeDelta (diff, nextText) {
  const out = []
  let pos = 0
  const push = (insert, ychange) => {
    if (insert === '') return
    const last = out[out.length - 1]
    if (last && JSON.stringify(last.attributes?.ychange) === JSON.stringify(ychange ?? undefined)) {
      last.insert += insert
    } else {
      out.push(ychange ? { insert, attributes: { ychange } } : { insert })
    }
  }
  for (const op of diff) {
    if (op.retain !== undefined) {
      push(nextText.slice(pos, pos + op.retain), null)
      pos += op.retain
    } else if (op.insert !== undefined) {
      push(op.insert, { type: 'added', user: op.client })
      pos += op.insert.length
    } else {
      push(op.text, { type: 'removed', user: op.client })
    }
  }
  return out
}

const computeYChange = (type, id) => ({ type, user: id.client })

test('snapshot bytes equal yjs encodeSnapshot on the same state', () => {
  for (const seed of [1, 2, 3]) {
    const r = rng(seed)
    const y1 = new Y.Doc({ gc: false }); y1.clientID = 11
    const y2 = new Y.Doc({ gc: false }); y2.clientID = 22
    const c = new C.Doc({ clientID: 33, gc: false })
    for (let step = 0; step < 60; step++) {
      randomTextEdit(r, (r.next() < 0.5 ? y1 : y2).getText('t'))
      if (r.next() < 0.3) { syncY(y1, y2); syncY(y2, y1) }
      if (step % 10 === 9) {
        C.applyUpdate(c, Y.encodeStateAsUpdate(y1))
        const y = new Y.Doc({ gc: false })
        Y.applyUpdate(y, C.encodeStateAsUpdate(c))
        const ours = C.encodeSnapshot(C.snapshot(c))
        assert.deepEqual(ours, Y.encodeSnapshot(Y.snapshot(y)), `seed ${seed} step ${step}`)
        assert.ok(Y.equalSnapshots(Y.decodeSnapshot(ours), Y.snapshot(y)))
      }
    }
  }
  assert.deepEqual(C.encodeSnapshot(C.emptySnapshot), Y.encodeSnapshot(Y.emptySnapshot))
})

test('old versions from yjs snapshots match yjs createDocFromSnapshot, and back', () => {
  const r = rng(7)
  const y1 = new Y.Doc({ gc: false }); y1.clientID = 1
  const y2 = new Y.Doc({ gc: false }); y2.clientID = 2
  const snaps = []
  for (let step = 0; step < 80; step++) {
    randomTextEdit(r, (r.next() < 0.5 ? y1 : y2).getText('t'))
    y1.getMap('m').set(`k${r.int(3)}`, step)
    syncY(y1, y2); syncY(y2, y1)
    if (step % 16 === 5) snaps.push(Y.snapshot(y1))
  }
  const c = new C.Doc({ clientID: 9, gc: false })
  C.applyUpdate(c, Y.encodeStateAsUpdate(y1))
  for (const ys of snaps) {
    const want = Y.createDocFromSnapshot(y1, ys)
    // A yjs snapshot decoded in ours.
    const old = C.createDocFromSnapshot(c, C.decodeSnapshot(Y.encodeSnapshot(ys)))
    assert.equal(old.getText('t').toString(), want.getText('t').toString())
    assert.deepEqual(old.getMap('m').toJSON(), want.getMap('m').toJSON())
    // The same version, snapshotted by us, decoded by yjs.
    const back = Y.createDocFromSnapshot(y1, Y.decodeSnapshot(C.encodeSnapshot(C.snapshot(old))))
    assert.equal(back.getText('t').toString(), want.getText('t').toString())
  }
  // Into a given document, as yjs's third argument.
  const into = new C.Doc({ clientID: 5 })
  assert.equal(C.createDocFromSnapshot(c, C.decodeSnapshot(Y.encodeSnapshot(snaps[0])), into), into)
  assert.equal(into.getText('t').toString(), Y.createDocFromSnapshot(y1, snaps[0]).getText('t').toString())
})

test('text diff agrees with yjs toDelta(snapshot, prevSnapshot, computeYChange)', () => {
  const r = rng(11)
  const y1 = new Y.Doc({ gc: false }); y1.clientID = 1
  const y2 = new Y.Doc({ gc: false }); y2.clientID = 2
  const snaps = [Y.snapshot(y1)]
  for (let step = 0; step < 90; step++) {
    randomTextEdit(r, (r.next() < 0.5 ? y1 : y2).getText('t'))
    if (r.next() < 0.4) { syncY(y1, y2); syncY(y2, y1) }
    if (step % 15 === 14) { syncY(y1, y2); syncY(y2, y1); snaps.push(Y.snapshot(y1)) }
  }
  const c = new C.Doc({ clientID: 3, gc: false })
  C.applyUpdate(c, Y.encodeStateAsUpdate(y1))
  const ct = c.getText('t')
  let compared = 0
  for (let i = 0; i + 1 < snaps.length; i++) {
    for (const j of [i + 1, snaps.length - 1]) {
      const prev = C.decodeSnapshot(Y.encodeSnapshot(snaps[i]))
      const next = C.decodeSnapshot(Y.encodeSnapshot(snaps[j]))
      const nextText = C.createDocFromSnapshot(c, next).getText('t').toString()
      const want = y1.getText('t').toDelta(snaps[j], snaps[i], computeYChange)
      assert.deepEqual(asYChangeDelta(ct.diff(prev, next), nextText), want, `${i} -> ${j}`)
      compared++
    }
  }
  assert.ok(compared >= 8)
  // null = the empty document / now.
  assert.deepEqual(ct.diff(null, C.emptySnapshot), [])
  assert.deepEqual(ct.diff(C.snapshot(c)), [{ retain: ct.length }])
})

test('map diff lists changed keys with the client that wrote them', () => {
  const doc = new C.Doc({ clientID: 3, gc: false })
  const m = doc.getMap('m')
  m.set('keep', 1); m.set('change', 'a'); m.set('drop', [1])
  const s0 = C.snapshot(doc)
  m.set('change', 'b'); m.delete('drop'); m.set('add', null)
  assert.deepEqual(m.diff(s0, C.snapshot(doc)), [
    { key: 'add', action: 'add', new: null, client: 3 },
    { key: 'change', action: 'update', old: 'a', new: 'b', client: 3 },
    { key: 'drop', action: 'delete', old: [1], client: 3 }
  ])
  assert.deepEqual(m.diff(C.snapshot(doc)), [])
})

test('authorship matches the clients of yjs items, in UTF-16 units', () => {
  const r = rng(5)
  const ys = [1, 2, 3].map((id) => { const d = new Y.Doc(); d.clientID = id; return d })
  for (let step = 0; step < 120; step++) {
    randomTextEdit(r, ys[r.int(3)].getText('t'))
    if (r.next() < 0.3) for (const a of ys) for (const b of ys) if (a !== b) syncY(a, b)
  }
  for (const a of ys) for (const b of ys) if (a !== b) syncY(a, b)
  // yjs's own attribution: visible items in order, adjacent ones of a client merged.
  const want = []
  let index = 0
  for (let item = ys[0].getText('t')._start; item !== null; item = item.right) {
    if (item.deleted || !item.countable) continue
    const last = want[want.length - 1]
    if (last && last.client === item.id.client) last.length += item.length
    else want.push({ index, length: item.length, client: item.id.client })
    index += item.length
  }
  const c = new C.Doc({ clientID: 9 })
  C.applyUpdate(c, Y.encodeStateAsUpdate(ys[0]))
  assert.deepEqual(c.getText('t').authorship(), want)
  assert.ok(want.length > 3)
})

test('snapshotContainsUpdate agrees with yjs', () => {
  const y = new Y.Doc({ gc: false }); y.clientID = 1
  const c = new C.Doc({ clientID: 2, gc: false })
  const updates = []
  y.on('update', (u) => updates.push(u))
  const snaps = []
  for (let i = 0; i < 6; i++) {
    y.getText('t').insert(0, `v${i}`)
    if (i % 2) y.getText('t').delete(1, 1)
    snaps.push(Y.snapshot(y))
  }
  C.applyUpdate(c, Y.encodeStateAsUpdate(y))
  let trues = 0
  for (const s of snaps) {
    const ours = C.decodeSnapshot(Y.encodeSnapshot(s))
    for (const u of updates) {
      const want = Y.snapshotContainsUpdate(s, u)
      assert.equal(C.snapshotContainsUpdate(ours, u), want)
      if (want) trues++
    }
  }
  assert.ok(trues > 0 && trues < snaps.length * updates.length)
})

test('restoreSnapshot is one edit that a yjs peer receives', () => {
  const c = new C.Doc({ clientID: 1, gc: false })
  const y = new Y.Doc()
  c.on('update', (u) => Y.applyUpdate(y, u))
  const t = c.getText('t')
  t.insert(0, 'version one')
  const s1 = C.snapshot(c)
  t.delete(8, 3); t.insert(8, 'two')
  c.getMap('m').set('added', true)
  assert.equal(y.getText('t').toString(), 'version two')
  const origins = []
  c.on('update', (u, origin) => origins.push(origin))
  const origin = { who: 'restore' }
  C.restoreSnapshot(c, s1, origin)
  assert.equal(t.toString(), 'version one')
  assert.deepEqual(origins, [origin])
  assert.equal(y.getText('t').toString(), 'version one')
  assert.deepEqual(y.getMap('m').toJSON(), {})
})

test('history errors carry the library code and message', () => {
  const gcdoc = new C.Doc({ gc: true })
  gcdoc.getText('t').insert(0, 'x')
  const s = C.snapshot(gcdoc)
  assert.throws(() => C.createDocFromSnapshot(gcdoc, s), (e) => e.code === 'CODESYNC_ERR_INVALID_ARGUMENT' && /gc/.test(e.message))
  assert.throws(() => C.restoreSnapshot(gcdoc, s), { code: 'CODESYNC_ERR_INVALID_ARGUMENT' })
  assert.throws(() => gcdoc.getText('t').diff(s), { code: 'CODESYNC_ERR_INVALID_ARGUMENT' })
  assert.throws(() => C.decodeSnapshot(new Uint8Array([5])), { code: 'CODESYNC_ERR_MALFORMED' })
  assert.throws(() => C.snapshot({}), TypeError)
  assert.throws(() => C.snapshotContainsUpdate('nope', new Uint8Array([0, 0])), TypeError)
  const ahead = new C.Doc({ clientID: 5, gc: false })
  ahead.getText('t').insert(0, 'new')
  const behind = new C.Doc({ clientID: 6, gc: false })
  assert.throws(() => C.createDocFromSnapshot(behind, C.snapshot(ahead)), { code: 'CODESYNC_ERR_INVALID_ARGUMENT' })
})

test('containers save, describe and load; corruption throws and changes nothing', () => {
  const doc = new C.Doc({ clientID: 4 })
  doc.getText('t').insert(0, 'saved é😀')
  doc.getArray('a').push([1, { x: 2 }])
  const data = C.saveContainer(doc, { guid: 'room-1', metadata: { owner: 'ann' } })
  const info = C.containerInfo(data)
  assert.equal(info.formatVersion, 1)
  assert.equal(info.guid, 'room-1')
  assert.deepEqual(info.metadata, { owner: 'ann' })
  assert.deepEqual(info.stateVector, Y.decodeStateVector(C.encodeStateVector(doc)))
  assert.equal(info.stateBytes, C.encodeStateAsUpdate(doc).length)

  const loaded = new C.Doc({ clientID: 8 })
  const origins = []
  loaded.on('update', (u, origin) => origins.push(origin))
  C.loadContainer(loaded, data)
  assert.deepEqual(origins, ['container'])
  assert.deepEqual(loaded.toJSON(), doc.toJSON())
  // The loaded state is ordinary Yjs state: a yjs peer that never saw the container syncs.
  const y = new Y.Doc()
  Y.applyUpdate(y, C.encodeStateAsUpdate(loaded))
  assert.equal(y.getText('t').toString(), 'saved é😀')

  const bad = data.slice()
  bad[bad.length >> 1] ^= 0x40
  const target = new C.Doc({ clientID: 6 })
  target.getText('t').insert(0, 'mine')
  const before = C.encodeStateAsUpdate(target)
  assert.throws(() => C.loadContainer(target, bad), { code: 'CODESYNC_ERR_MALFORMED' })
  assert.deepEqual(C.encodeStateAsUpdate(target), before)
  assert.throws(() => C.containerInfo(bad), { code: 'CODESYNC_ERR_MALFORMED' })
  assert.throws(() => C.saveContainer(doc, { metadata: { n: 1 } }), { code: 'CODESYNC_ERR_INVALID_ARGUMENT' })
  assert.equal(C.containerInfo(C.saveContainer(new C.Doc())).guid, '')
})
