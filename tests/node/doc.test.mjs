import test from 'node:test'
import assert from 'node:assert/strict'
import { C } from './codesync.mjs'

test('clientID', () => {
  assert.equal(new C.Doc({ clientID: 42 }).clientID, 42)
  const ids = new Set([1, 2, 3, 4, 5].map(() => new C.Doc().clientID))
  assert.ok([...ids].every((id) => id > 0 && id < 2 ** 32) && ids.size > 1)
})

test('concurrent edits converge through state vector diffs', () => {
  const a = new C.Doc({ clientID: 1 })
  const b = new C.Doc({ clientID: 2 })
  a.getText('t').insert(0, 'hello')
  C.applyUpdate(b, C.encodeStateAsUpdate(a))
  a.getText('t').insert(5, ' from a')
  b.getText('t').insert(0, 'b says: ')
  const forB = C.encodeStateAsUpdate(a, C.encodeStateVector(b))
  const forA = C.encodeStateAsUpdate(b, C.encodeStateVector(a))
  assert.ok(forB.length < C.encodeStateAsUpdate(a).length)
  C.applyUpdate(a, forA)
  C.applyUpdate(b, forB)
  assert.equal(a.getText('t').toString(), 'b says: hello from a')
  assert.equal(b.getText('t').toString(), 'b says: hello from a')
  assert.deepEqual(C.encodeStateVector(a), C.encodeStateVector(b))
})

test('out-of-order updates wait as pending; merge and state vector of updates', () => {
  const src = new C.Doc({ clientID: 5 })
  const updates = []
  src.on('update', (u) => updates.push(u))
  const t = src.getText('t')
  t.insert(0, 'one ')
  t.insert(4, 'two ')
  t.insert(8, 'three')
  assert.ok(updates.every((u) => u instanceof Uint8Array))
  const dst = new C.Doc()
  C.applyUpdate(dst, updates[2])
  assert.ok(dst.hasPending)
  C.applyUpdate(dst, updates[0])
  C.applyUpdate(dst, updates[1])
  assert.ok(!dst.hasPending)
  assert.equal(dst.getText('t').toString(), 'one two three')
  const merged = C.mergeUpdates(updates)
  const fromMerged = new C.Doc()
  C.applyUpdate(fromMerged, merged)
  assert.equal(fromMerged.getText('t').toString(), 'one two three')
  assert.deepEqual(C.encodeStateVectorFromUpdate(merged), C.encodeStateVector(src))
})

test('a malformed update throws and changes nothing', () => {
  const doc = new C.Doc()
  doc.getText('t').insert(0, 'keep')
  const before = C.encodeStateAsUpdate(doc)
  assert.throws(() => C.applyUpdate(doc, new Uint8Array([5, 255, 255])), { code: 'CODESYNC_ERR_MALFORMED', errno: -2 })
  assert.deepEqual(C.encodeStateAsUpdate(doc), before)
  assert.throws(() => C.applyUpdate(doc, 'nope'), TypeError)
})

test('transact: one update event with the origin, any value as origin', () => {
  const doc = new C.Doc()
  const seen = []
  const listener = (update, origin, d, tr) => seen.push({ update, origin, same: d === doc && tr.origin === origin })
  doc.on('update', listener)
  const provider = { provider: true }
  const result = doc.transact((tr) => {
    assert.equal(tr.origin, provider)
    doc.getText('t').insert(0, 'a')
    doc.transact(() => doc.getMap('m').set('k', 1), 'inner')
    return 'done'
  }, provider)
  assert.equal(result, 'done')
  assert.equal(seen.length, 1)
  assert.equal(seen[0].origin, provider)
  assert.ok(seen[0].same)
  const other = new C.Doc()
  C.applyUpdate(other, seen[0].update, 42)
  assert.deepEqual(other.toJSON(), { t: 'a', m: { k: 1 } })
  doc.getText('t').insert(0, 'x')
  assert.equal(seen[1].origin, null)
  doc.off('update', listener)
  doc.getText('t').insert(0, 'y')
  assert.equal(seen.length, 2)
  let onceCount = 0
  doc.once('update', () => onceCount++)
  doc.getText('t').insert(0, '1')
  doc.getText('t').insert(0, '2')
  assert.equal(onceCount, 1)
  assert.equal(doc._originTokens.size, 0) // origin tokens are released
})

test('applyUpdate reports its origin to listeners', () => {
  const src = new C.Doc({ clientID: 3 })
  src.getText('t').insert(0, 'z')
  const dst = new C.Doc()
  const origins = []
  dst.on('update', (u, origin) => origins.push(origin))
  const conn = { id: 7 }
  C.applyUpdate(dst, C.encodeStateAsUpdate(src), conn)
  assert.deepEqual(origins, [conn])
  assert.equal(origins[0], conn)
})

test("a listener's exception is thrown after the edit completes", () => {
  const doc = new C.Doc()
  const t = doc.getText('t')
  doc.on('update', () => { throw new Error('from listener') })
  assert.throws(() => t.insert(0, 'kept'), /from listener/)
  assert.equal(t.toString(), 'kept')
  assert.throws(() => doc.transact(() => t.insert(4, '!')), /from listener/)
  assert.equal(t.toString(), 'kept!')
})

test('editing the document inside its own observer is busy', () => {
  const doc = new C.Doc()
  const t = doc.getText('t')
  const again = () => t.insert(0, 'again')
  t.observe(again)
  assert.throws(() => t.insert(0, 'x'), { code: 'CODESYNC_ERR_BUSY' })
  t.unobserve(again)
  t.insert(0, 'y')
  assert.equal(t.toString(), 'yx')
})

test('destroy frees the document; later use throws', () => {
  const doc = new C.Doc()
  const t = doc.getText('t')
  let destroyed = 0
  doc.on('destroy', () => destroyed++)
  doc.destroy()
  doc.destroy()
  assert.equal(destroyed, 1)
  assert.ok(doc.destroyed)
  assert.throws(() => t.insert(0, 'x'), /destroyed/)
  assert.throws(() => C.encodeStateAsUpdate(doc), /destroyed/)
})

test('unsupported events are refused rather than never firing', () => {
  assert.throws(() => new C.Doc().on('afterTransaction', () => {}), TypeError)
})

test('version', () => {
  assert.match(C.version, /^\d+\.\d+\.\d+$/)
})

test('the package version is the library version', async () => {
  const { createRequire } = await import('node:module')
  const pkg = createRequire(import.meta.url)('../../bindings/node/package.json')
  assert.equal(pkg.version, C.version)
})
