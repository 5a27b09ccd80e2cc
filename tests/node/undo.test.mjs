// Relative positions and the undo manager through the Node binding, checked
// in-process against the real yjs: positions cross both ways (bytes and JSON)
// and resolve to the same indices after concurrent edits; yjs's UndoManager
// and ours, driven by the same script of edits, remote changes, undo, redo
// and stopCapturing, leave the same text after every step.
import test from 'node:test'
import assert from 'node:assert/strict'
import * as Y from 'yjs'
import { C, rng } from './codesync.mjs'

const ALPHABET = ['a', 'b', ' ', 'é', '😀', '你', '\n']

function boundary (s, i) {
  return i > 0 && i < s.length && /[\uDC00-\uDFFF]/.test(s[i]) ? i - 1 : i
}

// A random text edit as [index, deleteCount, insertText], valid for s.
function randomEdit (r, s) {
  if (s.length && r.next() < 0.35) {
    const at = boundary(s, r.int(s.length))
    const end = boundary(s, Math.min(s.length, at + 1 + r.int(4)))
    return [at, end - at, '']
  }
  return [boundary(s, r.int(s.length + 1)), 0, r.pick(ALPHABET) + r.pick(ALPHABET)]
}

function applyEdit (doc, [at, del, ins], origin) {
  doc.transact(() => {
    const t = doc.getText('t')
    if (del) t.delete(at, del)
    if (ins) t.insert(at, ins)
  }, origin)
}

const ydoc = (id, gc = true) => { const d = new Y.Doc({ gc }); d.clientID = id; return d }
const syncY = (from, to, origin) => Y.applyUpdate(to, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to)), origin)
const syncC = (from, to, origin) => C.applyUpdate(to, C.encodeStateAsUpdate(from, C.encodeStateVector(to)), origin)

test('relative positions from yjs resolve in ours after concurrent edits, and back', () => {
  const r = rng(3)
  const ya = ydoc(1); const yb = ydoc(2)
  for (let i = 0; i < 30; i++) applyEdit(i % 2 ? ya : yb, randomEdit(r, (i % 2 ? ya : yb).getText('t').toString()))
  syncY(ya, yb); syncY(yb, ya)
  const c = new C.Doc({ clientID: 3 })
  C.applyUpdate(c, Y.encodeStateAsUpdate(ya))
  const s = ya.getText('t').toString()
  const positions = []
  for (let i = 0; i <= s.length; i = boundary(s, i + 1 + r.int(3)) || s.length + 1) {
    for (const assoc of [0, -1]) {
      const yr = Y.createRelativePositionFromTypeIndex(ya.getText('t'), i, assoc)
      const ours = C.createRelativePositionFromTypeIndex(c.getText('t'), i, assoc)
      // Same state, same position: yjs's bytes and JSON exactly.
      assert.deepEqual(C.encodeRelativePosition(ours), Y.encodeRelativePosition(yr))
      assert.deepEqual(C.relativePositionToJSON(ours), JSON.parse(JSON.stringify(Y.relativePositionToJSON(yr))))
      positions.push({ yr, fromBytes: C.decodeRelativePosition(Y.encodeRelativePosition(yr)),
        fromJson: C.createRelativePositionFromJSON(JSON.parse(JSON.stringify(Y.relativePositionToJSON(yr)))), ours })
    }
  }
  assert.ok(positions.length > 10)
  // Concurrent edits on both yjs documents, then everything everywhere.
  for (let i = 0; i < 40; i++) applyEdit(i % 2 ? ya : yb, randomEdit(r, (i % 2 ? ya : yb).getText('t').toString()))
  syncY(ya, yb); syncY(yb, ya)
  C.applyUpdate(c, Y.encodeStateAsUpdate(ya))
  assert.equal(c.getText('t').toString(), ya.getText('t').toString())
  for (const p of positions) {
    const want = Y.createAbsolutePositionFromRelativePosition(p.yr, ya).index
    assert.equal(C.createAbsolutePositionFromRelativePosition(p.fromBytes, c).index, want)
    assert.equal(C.createAbsolutePositionFromRelativePosition(p.fromJson, c).index, want)
    assert.equal(C.createAbsolutePositionFromRelativePosition(p.ours, c).index, want)
    // Ours decoded by yjs.
    const back = Y.decodeRelativePosition(C.encodeRelativePosition(p.ours))
    assert.equal(Y.createAbsolutePositionFromRelativePosition(back, ya).index, want)
    assert.ok(C.compareRelativePositions(p.fromBytes, p.ours))
  }
})

test('relative positions in arrays, the type of an absolute position, and errors', () => {
  const doc = new C.Doc({ clientID: 1 })
  const a = doc.getArray('a')
  a.push([1, 2, 3])
  const rp = C.createRelativePositionFromTypeIndex(a, 1)
  assert.deepEqual(rp.item, { client: 1, clock: 1 })
  a.insert(0, [0])
  const abs = C.createAbsolutePositionFromRelativePosition(rp, doc)
  assert.equal(abs.index, 2)
  assert.equal(abs.type, a)
  // The end of a root: {tname, assoc}.
  const end = C.createRelativePositionFromTypeIndex(doc.getText('t'), 0, -1)
  assert.deepEqual(C.relativePositionToJSON(end), JSON.parse(JSON.stringify(Y.relativePositionToJSON(
    Y.createRelativePositionFromTypeIndex(new Y.Doc().getText('t'), 0, -1)))))
  // Unknown to the document: null, as yjs.
  const other = new C.Doc()
  other.getText('t').insert(0, 'xyz')
  const foreign = C.createRelativePositionFromTypeIndex(other.getText('t'), 1)
  assert.equal(C.createAbsolutePositionFromRelativePosition(foreign, doc), null)
  assert.throws(() => C.createRelativePositionFromTypeIndex(a, 99), { code: 'CODESYNC_ERR_OUT_OF_RANGE' })
  assert.throws(() => C.decodeRelativePosition(new Uint8Array([9, 9])), { code: 'CODESYNC_ERR_MALFORMED' })
  assert.throws(() => C.createRelativePositionFromJSON({ nope: 1 }), { code: 'CODESYNC_ERR_INVALID_ARGUMENT' })
  assert.throws(() => C.encodeRelativePosition({}), TypeError)
})

// The same script on yjs and on codesync; texts compared after every step.
function undoScript (seed, steps) {
  const r = rng(seed)
  const y = ydoc(1); const yRemote = ydoc(2)
  const c = new C.Doc({ clientID: 1 }); const cRemote = new C.Doc({ clientID: 2 })
  const yum = new Y.UndoManager(y.getText('t'), { captureTimeout: 1e9 })
  const cum = new C.UndoManager(c.getText('t'), { captureTimeout: 1e9 })
  const yEvents = []; const cEvents = []
  for (const name of ['stack-item-added', 'stack-item-updated', 'stack-item-popped']) {
    yum.on(name, (e) => yEvents.push(`${name}:${e.type}`))
    cum.on(name, (e) => cEvents.push(`${name}:${e.type}`))
  }
  let undos = 0
  for (let step = 0; step < steps; step++) {
    const x = r.next()
    if (x < 0.45) {
      const edit = randomEdit(r, y.getText('t').toString())
      applyEdit(y, edit, null)
      applyEdit(c, edit, null)
    } else if (x < 0.6) {
      const edit = randomEdit(r, yRemote.getText('t').toString())
      applyEdit(yRemote, edit, null)
      applyEdit(cRemote, edit, null)
      syncY(yRemote, y, 'remote'); syncY(y, yRemote, 'remote')
      syncC(cRemote, c, 'remote'); syncC(c, cRemote, 'remote')
    } else if (x < 0.75) {
      assert.equal(cum.canUndo(), yum.canUndo(), `step ${step}`)
      const yi = yum.undo(); const ci = cum.undo()
      assert.equal(ci !== null, yi !== null, `step ${step}: undo changed`)
      undos++
    } else if (x < 0.85) {
      assert.equal(cum.canRedo(), yum.canRedo(), `step ${step}`)
      yum.redo(); cum.redo()
    } else {
      yum.stopCapturing(); cum.stopCapturing()
    }
    assert.equal(c.getText('t').toString(), y.getText('t').toString(), `seed ${seed} step ${step}`)
    assert.deepEqual(cEvents, yEvents, `seed ${seed} step ${step}: stack events`)
  }
  syncY(yRemote, y, 'remote'); syncC(cRemote, c, 'remote')
  assert.equal(c.getText('t').toString(), y.getText('t').toString())
  cum.destroy(); yum.destroy()
  return undos
}

test("yjs's UndoManager and ours leave the same text on the same script", () => {
  let undos = 0
  for (const seed of [1, 2, 3, 4, 5]) undos += undoScript(seed, 150)
  assert.ok(undos > 50)
})

test('undo events, meta, tracked origins and errors', () => {
  const doc = new C.Doc({ clientID: 1 })
  const t = doc.getText('t')
  const editor = { name: 'editor' }
  let now = 1000
  const um = new C.UndoManager([t], { trackedOrigins: new Set([editor]), captureTimeout: 500, clock: () => now })
  const events = []
  um.on('stack-item-added', (e, mgr) => {
    assert.equal(mgr, um)
    e.stackItem.meta.set('cursor', t.length)
    events.push(['added', e.type, e.origin])
  })
  um.on('stack-item-updated', (e) => events.push(['updated', e.type, e.origin]))
  um.on('stack-item-popped', (e) => events.push(['popped', e.type, e.stackItem.meta.get('cursor')]))
  doc.transact(() => t.insert(0, 'hello'), editor)
  now += 100
  doc.transact(() => t.insert(5, ' you'), editor) // within 500 ms: merged
  t.insert(0, '>') // origin null: not tracked here
  now += 1000
  doc.transact(() => t.delete(1, 6), editor)
  assert.equal(t.toString(), '>you')
  assert.equal(um.undoDepth, 2)
  assert.deepEqual(events, [['added', 'undo', editor], ['updated', 'undo', editor], ['added', 'undo', editor]])
  events.length = 0
  const updates = []
  doc.on('update', (u, origin) => updates.push(origin))
  const item = um.undo()
  assert.ok(item instanceof C.StackItem)
  assert.equal(item.meta.get('cursor'), 4) // set when the delete was recorded
  assert.equal(t.toString(), '>hello you')
  assert.deepEqual(updates, [um]) // undo's transactions have the manager as origin, as in yjs
  assert.deepEqual(events.map((e) => e.slice(0, 2)), [['added', 'redo'], ['popped', 'undo']])
  assert.ok(um.redo())
  assert.equal(t.toString(), '>you')
  um.undo(); um.undo()
  assert.equal(t.toString(), '>')
  assert.equal(um.undo(), null)
  assert.equal(um.canUndo(), false)
  assert.equal(um.canRedo(), true)
  let cleared = null
  um.on('stack-cleared', (e) => { cleared = e })
  um.clear()
  assert.deepEqual(cleared, { undoStackCleared: false, redoStackCleared: true })
  assert.equal(um.canRedo(), false)
  // Undo from inside an observer is refused, with the library's message.
  doc.transact(() => t.insert(1, 'x'), editor)
  let busy = null
  t.observe(() => { try { um.undo() } catch (e) { busy = e } })
  doc.transact(() => t.insert(1, 'y'), editor)
  assert.equal(busy?.code, 'CODESYNC_ERR_BUSY')
  assert.throws(() => new C.UndoManager(new C.Text('prelim')), TypeError)
  um.destroy()
  assert.throws(() => um.undo(), { code: 'CODESYNC_ERR_INVALID_ARGUMENT' })
  // Destroying the document first frees the manager with it.
  const d2 = new C.Doc()
  const um2 = new C.UndoManager(d2.getText('t'))
  d2.getText('t').insert(0, 'a')
  d2.destroy()
  assert.equal(um2.destroyed, true)
  assert.throws(() => um2.undo(), { code: 'CODESYNC_ERR_INVALID_ARGUMENT' })
  // Neither manager, nor its tracked origins, stay in the process-wide origin table.
  assert.equal([...doc._originTokens.keys()].some((o) => o === um || o === um2 || o === editor), false)
})

test('stack items are forgotten with their stack entries', () => {
  const doc = new C.Doc()
  const t = doc.getText('t')
  const um = new C.UndoManager(t, { captureTimeout: 0 })
  const popped = []
  um.on('stack-item-popped', (e) => popped.push(e.stackItem))
  for (let i = 0; i < 20; i++) {
    t.insert(0, 'ab')
    t.insert(0, 'cd')
    assert.ok(um.undo() instanceof C.StackItem) // one item moves to the redo stack
    t.insert(0, 'x') // a new change clears the redo stack
  }
  assert.equal(popped.length, 20)
  assert.equal(um.redoDepth, 0)
  assert.equal(um._items.size, um.undoDepth + um.redoDepth) // internal: nothing kept for dropped items
  um.clear()
  assert.equal(um._items.size, 0)
  um.destroy()
})
