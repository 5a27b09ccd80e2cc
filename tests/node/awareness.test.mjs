// The Awareness of the Node binding, and interop with the real y-protocols
// (tests/node/node_modules/y-protocols) in-process: the same scenario gives
// the same events and states, and updates flow both ways.
import test from 'node:test'
import assert from 'node:assert/strict'
import * as Y from 'yjs'
import * as awarenessProtocol from 'y-protocols/awareness'
import { C } from './codesync.mjs'

// A fake millisecond clock moved by hand.
function fakeClock (now = 1000) {
  const clock = () => clock.now
  clock.now = now
  return clock
}

function ours (clientID, opts = {}) {
  return new C.Awareness(new C.Doc({ clientID }), { autoTick: false, clock: fakeClock(), ...opts })
}

function theirs (clientID) {
  const doc = new Y.Doc()
  doc.clientID = clientID
  return new awarenessProtocol.Awareness(doc)
}

function record (aw) {
  const events = []
  aw.on('change', (change, origin) => events.push(['change', change, origin]))
  aw.on('update', (change, origin) => events.push(['update', change, origin]))
  return events
}

const libs = {
  codesync: { make: ours, encode: C.encodeAwarenessUpdate, apply: C.applyAwarenessUpdate, remove: C.removeAwarenessStates },
  'y-protocols': {
    make: theirs,
    encode: awarenessProtocol.encodeAwarenessUpdate,
    apply: awarenessProtocol.applyAwarenessUpdate,
    remove: awarenessProtocol.removeAwarenessStates
  }
}

// One scenario, run against either library: local edits, a remote peer, removals.
function scenario (lib) {
  const a = lib.make(1)
  const b = lib.make(2)
  const events = record(b)
  a.setLocalState({ user: { name: 'Ann' }, cursor: 1 })
  lib.apply(b, lib.encode(a, [1]), 'net')
  a.setLocalStateField('cursor', 2)
  lib.apply(b, lib.encode(a, [1]), 'net')
  a.setLocalState({ user: { name: 'Ann' }, cursor: 2 }) // same state: a renewal
  lib.apply(b, lib.encode(a, [1]), 'net')
  b.setLocalState({ me: 'b' })
  b.setLocalState({ me: 'b' })
  a.setLocalState(null)
  lib.apply(b, lib.encode(a, [1]), 'net')
  const c = lib.make(3)
  c.setLocalState({ me: 'c' })
  lib.apply(b, lib.encode(c, [3]), 'net')
  lib.remove(b, [3], 'closed')
  c.destroy()
  const states = Object.fromEntries(b.getStates())
  const local = b.getLocalState()
  a.destroy()
  b.destroy()
  return { events, states, local }
}

test('the same scenario gives the same events and states as y-protocols', () => {
  const mine = scenario(libs.codesync)
  const real = scenario(libs['y-protocols'])
  assert.deepEqual(mine, real)
  assert.ok(mine.events.length >= 10)
})

// One known difference: a client whose state was removed locally
// (removeAwarenessStates) and that then sends a state again is reported as
// `added` here (it had no state, it has one now); y-protocols reports it as
// `updated` because it still holds the client's clock.
test('a client that comes back after removeAwarenessStates is reported as added', () => {
  const a = ours(1)
  const b = ours(2)
  C.applyAwarenessUpdate(b, C.encodeAwarenessUpdate(a))
  C.removeAwarenessStates(b, [1], 'closed')
  const events = record(b)
  a.setLocalState({ back: true })
  C.applyAwarenessUpdate(b, C.encodeAwarenessUpdate(a), 'net')
  assert.deepEqual(events[0], ['change', { added: [1], updated: [], removed: [] }, 'net'])
  assert.deepEqual(b.getStates().get(1), { back: true })
})

test('updates flow both ways with y-protocols, removals included', () => {
  const a = ours(10)
  const y = theirs(20)
  a.setLocalState({ user: { name: 'Zoë 😀', color: '#0f0' }, sel: [1, 2.5, null, true] })
  y.setLocalState({ user: { name: 'yjs' } })
  const yEvents = record(y)
  awarenessProtocol.applyAwarenessUpdate(y, C.encodeAwarenessUpdate(a, [10]), 'codesync')
  assert.deepEqual(y.getStates().get(10), a.getLocalState())
  assert.equal(y.meta.get(10).clock, a.getClock(10))
  assert.deepEqual(yEvents[0], ['change', { added: [10], updated: [], removed: [] }, 'codesync'])

  const aEvents = record(a)
  C.applyAwarenessUpdate(a, awarenessProtocol.encodeAwarenessUpdate(y, [20]), 'yjs')
  assert.deepEqual(a.getStates().get(20), { user: { name: 'yjs' } })
  assert.equal(a.getClock(20), y.meta.get(20).clock)
  assert.deepEqual(aEvents[0], ['change', { added: [20], updated: [], removed: [] }, 'yjs'])

  // Each side's removal reaches the other.
  y.setLocalState(null)
  C.applyAwarenessUpdate(a, awarenessProtocol.encodeAwarenessUpdate(y, [20]))
  assert.equal(a.getStates().has(20), false)
  a.setLocalState(null)
  awarenessProtocol.applyAwarenessUpdate(y, C.encodeAwarenessUpdate(a, [10]), 'codesync')
  assert.equal(y.getStates().has(10), false)
  a.destroy()
  y.destroy()
})

test('local state API', () => {
  const a = ours(3)
  assert.equal(a.clientID, 3)
  assert.deepEqual(a.getLocalState(), {}) // as y-protocols
  a.setLocalStateField('x', 1)
  assert.deepEqual(a.getLocalState(), { x: 1 })
  assert.deepEqual([...a.states.keys()], [3])
  a.setLocalState(null)
  a.setLocalStateField('x', 2) // no local state: nothing happens (as y-protocols)
  assert.equal(a.getLocalState(), null)
  assert.equal(a.getClock(99), undefined)
  assert.throws(() => a.setLocalState(() => 1), TypeError)
  assert.throws(() => a.on('nope', () => {}), TypeError)
  a.destroy()
})

test('non-string origins reach listeners as the same value', () => {
  const a = ours(1)
  const b = ours(2)
  const origin = { provider: 'ws' }
  let seen = null
  b.on('change', (_, o) => { seen = o })
  C.applyAwarenessUpdate(b, C.encodeAwarenessUpdate(a), origin)
  assert.equal(seen, origin)
  C.removeAwarenessStates(b, [1], origin)
  assert.equal(seen, origin)
})

test('a malformed update throws CODESYNC_ERR_MALFORMED and changes nothing', () => {
  const a = ours(1)
  const b = ours(2)
  a.setLocalState({ n: 1 })
  const good = C.encodeAwarenessUpdate(a)
  const events = record(b)
  for (const bad of [good.subarray(0, good.length - 2), Uint8Array.of(...good, 0), Uint8Array.of(1, 5)]) {
    assert.throws(() => C.applyAwarenessUpdate(b, bad), (e) => e.code === 'CODESYNC_ERR_MALFORMED' && e.message.length > 0)
  }
  assert.deepEqual(events, [])
  assert.deepEqual([...b.getStates().keys()], [2])
  assert.throws(() => C.applyAwarenessUpdate(b, 'not bytes'), TypeError)
})

test('a listener exception is thrown from the call, and the change stays', () => {
  const a = ours(1)
  a.on('change', () => { throw new Error('listener failed') })
  assert.throws(() => a.setLocalState({ n: 1 }), /listener failed/)
  assert.deepEqual(a.getLocalState(), { n: 1 })
})

test('changing the awareness from its own listener is busy', () => {
  const a = ours(1)
  let code = null
  a.on('change', () => {
    try {
      a.setLocalState({ again: true })
    } catch (e) {
      code = e.code
    }
  })
  a.setLocalState({ n: 1 })
  assert.equal(code, 'CODESYNC_ERR_BUSY')
  assert.deepEqual(a.getLocalState(), { n: 1 })
})

test('tick with a fake clock: remote states expire, the local one is renewed', () => {
  const clock = fakeClock(0)
  const a = ours(1, { clock })
  const b = ours(2, { clock })
  C.applyAwarenessUpdate(b, C.encodeAwarenessUpdate(a))
  const events = record(b)
  clock.now = 14000
  b.tick()
  assert.deepEqual(events, [])
  const before = b.getClock(2)
  clock.now = 16000
  b.tick()
  assert.deepEqual(events, [['update', { added: [], updated: [2], removed: [] }, 'local']])
  assert.equal(b.getClock(2), before + 1)
  b.tick(31000) // an explicit time
  assert.deepEqual(events.at(-2), ['change', { added: [], updated: [], removed: [1] }, 'timeout'])
  assert.deepEqual([...b.getStates().keys()], [2])
})

test('autoTick expires a silent client by itself', { timeout: 30000 }, async () => {
  const a = new C.Awareness(new C.Doc({ clientID: 1 }), { autoTick: false })
  const b = new C.Awareness(new C.Doc({ clientID: 2 }), { outdatedTimeout: 200 })
  const removed = new Promise((resolve) => b.on('change', ({ removed }, origin) => {
    if (removed.includes(1)) resolve(origin)
  }))
  C.applyAwarenessUpdate(b, C.encodeAwarenessUpdate(a))
  assert.equal(b.getStates().has(1), true)
  const alive = setInterval(() => {}, 1000) // the awareness's own timer is unref'd
  try {
    assert.equal(await removed, 'timeout')
  } finally {
    clearInterval(alive)
  }
  b.destroy()
  a.destroy()
})

test('destroy removes the local state first, as y-protocols', () => {
  const a = ours(1)
  const events = []
  a.on('destroy', (aw) => events.push(aw === a))
  a.on('change', ({ removed }) => events.push(removed))
  a.destroy()
  assert.deepEqual(events, [true, [1]])
  a.destroy() // twice is fine
  assert.throws(() => a.getLocalState(), /destroyed/)
})
