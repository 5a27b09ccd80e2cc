import test from 'node:test'
import assert from 'node:assert/strict'
import { C, loadTrace, rng } from './codesync.mjs'

test('indices and lengths are UTF-16 code units, as in JS strings', () => {
  const t = new C.Doc().getText('t')
  t.insert(0, 'a😀b')
  assert.equal(t.length, 4)
  t.insert(3, 'é') // after the surrogate pair
  assert.equal(t.toString(), 'a😀éb')
  t.delete(1, 2)
  assert.equal(t.toString(), 'aéb')
})

test('random edits match a JS string', () => {
  const r = rng(5)
  const alphabet = ['a', 'b', ' ', 'ç', '€', '😀', '你', '\n']
  const t = new C.Doc().getText('t')
  let model = ''
  for (let i = 0; i < 400; i++) {
    if (model.length && r.next() < 0.4) {
      const at = r.int(model.length)
      const len = Math.min(model.length - at, 1 + r.int(3))
      // keep surrogate pairs whole: never cut between their halves
      const cut = (k) => k > 0 && k < model.length && /[\uDC00-\uDFFF]/.test(model[k])
      if (cut(at) || cut(at + len)) continue
      t.delete(at, len)
      model = model.slice(0, at) + model.slice(at + len)
    } else {
      let at = r.int(model.length + 1)
      if (at > 0 && at < model.length && /[\uDC00-\uDFFF]/.test(model[at])) at--
      const s = r.pick(alphabet) + r.pick(alphabet)
      t.insert(at, s)
      model = model.slice(0, at) + s + model.slice(at)
    }
    assert.equal(t.length, model.length)
  }
  assert.equal(t.toString(), model)
})

test('errors carry the library code and message, and change nothing', () => {
  const t = new C.Doc().getText('t')
  t.insert(0, 'abc')
  assert.throws(() => t.insert(4, 'x'), (e) => {
    assert.ok(e instanceof RangeError)
    assert.equal(e.code, 'CODESYNC_ERR_OUT_OF_RANGE')
    assert.equal(e.errno, -3)
    assert.ok(e.message.length > 0)
    return true
  })
  assert.throws(() => t.delete(1, 10), { code: 'CODESYNC_ERR_OUT_OF_RANGE' })
  assert.throws(() => t.insert(-1, 'x'), RangeError)
  assert.throws(() => t.insert(0, 5), TypeError)
  assert.equal(t.toString(), 'abc')
})

test('formatting, embeds and applyDelta read back as a delta', () => {
  const t = new C.Doc().getText('t')
  t.insert(0, 'hello world')
  t.format(0, 5, { bold: true })
  t.insertEmbed(5, { image: 'cat.png' })
  t.insert(12, '!', { italic: true })
  assert.deepEqual(t.toDelta(), [
    { insert: 'hello', attributes: { bold: true } },
    { insert: { image: 'cat.png' } },
    { insert: ' world' },
    { insert: '!', attributes: { italic: true } }
  ])
  t.applyDelta([{ retain: 2, attributes: { bold: null } }, { delete: 3 }, { insert: 'LO' }])
  assert.deepEqual(t.toDelta().slice(0, 2), [{ insert: 'heLO' }, { insert: { image: 'cat.png' } }])
  assert.equal(t.length, 12)
})

test('observers get deltas, target and origin', () => {
  const doc = new C.Doc()
  const t = doc.getText('t')
  t.insert(0, '😀')
  const events = []
  const fn = (e, tr) => events.push([e.delta, e.origin, e.target, tr.origin])
  t.observe(fn)
  t.insert(2, 'x')
  const origin = { name: 'editor' }
  doc.transact(() => {
    t.delete(0, 2)
    t.insert(1, 'yz', { bold: true })
  }, origin)
  assert.deepEqual(events.map((e) => e[0]), [
    [{ retain: 2 }, { insert: 'x' }],
    [{ delete: 2 }, { retain: 1 }, { insert: 'yz', attributes: { bold: true } }]
  ])
  assert.equal(events[0][1], null)
  assert.equal(events[1][1], origin) // the same object, not a copy
  assert.equal(events[1][3], origin)
  assert.equal(events[0][2], t)
  t.unobserve(fn)
  t.insert(0, 'q')
  assert.equal(events.length, 2)
})

test('a preliminary text becomes the shared type when inserted', () => {
  const t = new C.Text('draft')
  assert.equal(t.toString(), 'draft')
  assert.equal(t.doc, null)
  t.insert(5, '!')
  const doc = new C.Doc()
  doc.getMap('m').set('body', t)
  assert.equal(t.doc, doc)
  assert.equal(doc.getMap('m').get('body'), t)
  t.insert(0, '> ')
  assert.deepEqual(doc.toJSON(), { m: { body: '> draft!' } })
})

for (const name of ['automerge-paper', 'json-crdt-patch']) {
  test(`trace ${name} reaches its final text`, () => {
    // The traces count code points; they hold no astral characters, so those equal UTF-16 units.
    const trace = loadTrace(name)
    const doc = new C.Doc()
    const t = doc.getText('t')
    if (trace.startContent) t.insert(0, trace.startContent)
    for (const txn of trace.txns) {
      for (const [pos, del, ins] of txn.patches) {
        if (del) t.delete(pos, del)
        if (ins) t.insert(pos, ins)
      }
    }
    assert.equal(t.toString(), trace.endContent)
    const other = new C.Doc()
    C.applyUpdate(other, C.encodeStateAsUpdate(doc))
    assert.equal(other.getText('t').toString(), trace.endContent)
  })
}
