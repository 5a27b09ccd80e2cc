import test from 'node:test'
import assert from 'node:assert/strict'
import { C, rng } from './codesync.mjs'

const VALUES = [0, -7, 2 ** 40, 1.5, 's', 'ünï😀', null, true, false, [1, [2]], { k: { n: [null] } }]

test('Map: set/get/has/delete/size/iteration over JSON values', () => {
  const m = new C.Doc().getMap('m')
  const model = new Map()
  VALUES.forEach((v, i) => {
    assert.equal(m.set(`k${i}`, v), v)
    model.set(`k${i}`, v)
  })
  assert.equal(m.size, model.size)
  for (const [k, v] of model) assert.deepEqual(m.get(k), v)
  assert.deepEqual(new Set(m.keys()), new Set(model.keys()))
  assert.deepEqual(Object.fromEntries(m.entries()), Object.fromEntries(model))
  assert.deepEqual(Object.fromEntries(m), m.toJSON())
  assert.equal(m.get('missing'), undefined)
  assert.ok(m.has('k6') && !m.has('missing')) // k6 holds null: still present
  m.delete('k0')
  m.delete('missing')
  assert.ok(!m.has('k0'))
  const seen = []
  m.forEach((v, k, map) => seen.push([k, map === m]))
  assert.equal(seen.length, model.size - 1)
  m.clear()
  assert.equal(m.size, 0)
})

test('values must be JSON', () => {
  const m = new C.Doc().getMap('m')
  assert.throws(() => m.set('f', () => 1), TypeError)
  assert.throws(() => m.set('u', undefined), TypeError)
  assert.throws(() => m.set('b', new Uint8Array([1])), TypeError)
  assert.equal(m.size, 0)
})

test('Array: insert/push/unshift/delete/get match a JS array', () => {
  const r = rng(9)
  const a = new C.Doc().getArray('a')
  const model = []
  for (let i = 0; i < 300; i++) {
    const x = r.next()
    if (model.length && x < 0.35) {
      const at = r.int(model.length)
      const len = Math.min(model.length - at, 1 + r.int(3))
      a.delete(at, len)
      model.splice(at, len)
    } else if (x < 0.5) {
      const vs = [r.pick(VALUES), r.pick(VALUES)]
      a.push(vs)
      model.push(...vs)
    } else if (x < 0.6) {
      const v = r.pick(VALUES)
      a.unshift([v])
      model.unshift(v)
    } else {
      const at = r.int(model.length + 1)
      const v = r.pick(VALUES)
      a.insert(at, [v])
      model.splice(at, 0, v)
    }
    assert.equal(a.length, model.length)
  }
  assert.deepEqual(a.toArray(), model)
  assert.deepEqual(a.toJSON(), model)
  assert.deepEqual([...a], model)
  assert.deepEqual(a.slice(1, 4), model.slice(1, 4))
  assert.deepEqual(a.map((v, i) => i), model.map((v, i) => i))
  assert.equal(a.get(model.length), undefined)
  assert.throws(() => a.delete(model.length, 1), { code: 'CODESYNC_ERR_OUT_OF_RANGE' })
  assert.throws(() => a.insert(0, 'not an array'), TypeError)
})

test('nested types from preliminary values', () => {
  const doc = new C.Doc()
  const m = doc.getMap('m')
  const body = new C.Text('hi')
  m.set('body', body)
  const inner = new C.Map([['deep', new C.Text('x')]])
  const list = C.Array.from([1, inner, C.Array.from(['y'])])
  m.set('list', list)
  assert.equal(m.get('body'), body)
  body.insert(2, '!')
  assert.equal(m.get('list'), list)
  assert.equal(list.get(1), inner)
  inner.get('deep').insert(0, '<')
  assert.deepEqual(doc.toJSON(), { m: { body: 'hi!', list: [1, { deep: '<x' }, ['y']] } })
  assert.throws(() => doc.getArray('a').push([body]), /already belongs/)
})

test('nested types survive an update', () => {
  const a = new C.Doc()
  a.getArray('a').push([new C.Text('t'), new C.Map([['k', 1]]), C.Array.from([2]), 'plain'])
  const b = new C.Doc()
  C.applyUpdate(b, C.encodeStateAsUpdate(a))
  const got = b.getArray('a').toArray()
  assert.ok(got[0] instanceof C.Text && got[1] instanceof C.Map && got[2] instanceof C.Array)
  assert.equal(got[3], 'plain')
  got[0].insert(1, 'ext')
  got[1].set('k', 2)
  C.applyUpdate(a, C.encodeStateAsUpdate(b, C.encodeStateVector(a)))
  assert.deepEqual(a.toJSON(), b.toJSON())
  assert.deepEqual(a.toJSON(), { a: ['text', { k: 2 }, [2], 'plain'] })
})

test('a root of another kind is a type mismatch', () => {
  const doc = new C.Doc()
  doc.getMap('x')
  assert.throws(() => doc.getText('x'), (e) => e instanceof TypeError && e.code === 'CODESYNC_ERR_TYPE_MISMATCH')
  assert.equal(doc.getMap('x'), doc.getMap('x'))
  assert.throws(() => doc.getText('bad\0name'), { code: 'CODESYNC_ERR_INVALID_ARGUMENT' })
})
