// The sync protocol functions and Room of the Node binding, driven by the
// real y-protocols (tests/node/node_modules/y-protocols) in-process: yjs
// clients speaking y-websocket's messages sync and share presence through a
// codesync Room, and a codesync client syncs with a y-protocols peer.
import test from 'node:test'
import assert from 'node:assert/strict'
import * as Y from 'yjs'
import * as syncProtocol from 'y-protocols/sync'
import * as awarenessProtocol from 'y-protocols/awareness'
import * as authProtocol from 'y-protocols/auth'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import { C } from './codesync.mjs'

function fakeClock (now = 1000) {
  const clock = () => clock.now
  clock.now = now
  return clock
}

// A yjs client handling frames as y-websocket's provider does (message types
// 0 sync, 1 awareness, 2 auth, 3 query awareness), sending through `send`.
class YClient {
  constructor (clientID, send) {
    this.doc = new Y.Doc()
    this.doc.clientID = clientID
    this.awareness = new awarenessProtocol.Awareness(this.doc)
    this.send = send
    this.denied = []
    this.doc.on('update', (update, origin) => {
      if (origin !== this) this.send(frame(0, (enc) => syncProtocol.writeUpdate(enc, update)))
    })
    this.awareness.on('update', ({ added, updated, removed }, origin) => {
      if (origin === 'local') this.sendAwareness([...added, ...updated, ...removed])
    })
  }

  connect () {
    this.send(frame(0, (enc) => syncProtocol.writeSyncStep1(enc, this.doc)))
    this.sendAwareness([this.doc.clientID])
  }

  sendAwareness (clients) {
    const update = awarenessProtocol.encodeAwarenessUpdate(this.awareness, clients)
    this.send(frame(1, (enc) => encoding.writeVarUint8Array(enc, update)))
  }

  receive (data) {
    const dec = decoding.createDecoder(data)
    const enc = encoding.createEncoder()
    const type = decoding.readVarUint(dec)
    if (type === 0) {
      encoding.writeVarUint(enc, 0)
      syncProtocol.readSyncMessage(dec, enc, this.doc, this)
      if (encoding.length(enc) > 1) this.send(encoding.toUint8Array(enc))
    } else if (type === 1) {
      awarenessProtocol.applyAwarenessUpdate(this.awareness, decoding.readVarUint8Array(dec), this)
    } else if (type === 2) {
      authProtocol.readAuthMessage(dec, this.doc, (_, reason) => this.denied.push(reason))
    } else if (type === 3) {
      this.sendAwareness([...this.awareness.getStates().keys()])
    }
  }

  destroy () {
    this.awareness.destroy()
  }
}

function frame (type, write) {
  const enc = encoding.createEncoder()
  encoding.writeVarUint(enc, type)
  write(enc)
  return encoding.toUint8Array(enc)
}

// A room with yjs clients attached; pump() delivers queued frames until quiet.
function setup (ids, opts = {}) {
  const room = new C.Room({ clientID: 100, autoTick: false, clock: fakeClock(), ...opts })
  const clients = new Map()
  for (const id of ids) {
    room.attach(id, { readOnly: (opts.readOnly || []).includes(id) })
    clients.set(id, new YClient(id, (data) => room.receive(id, data)))
  }
  const pump = () => {
    for (let m = room.nextMessage(); m !== null; m = room.nextMessage()) clients.get(m.connId).receive(m.frame)
  }
  return { room, clients, pump }
}

test('yjs clients speaking y-protocols sync through a Room', () => {
  const { room, clients, pump } = setup([1, 2])
  room.doc.getText('t').insert(0, 'persisted ') // e.g. loaded from storage before anyone attached
  const origins = []
  room.doc.on('update', (_, origin) => origins.push(origin))
  for (const c of clients.values()) c.connect()
  pump()
  for (const c of clients.values()) assert.equal(c.doc.getText('t').toString(), 'persisted ')

  clients.get(1).doc.getText('t').insert(10, 'one')
  clients.get(2).doc.getMap('m').set('k', [1, { two: 2 }])
  pump()
  clients.get(2).doc.getText('t').insert(0, '> ')
  pump()
  const want = room.doc.getText('t').toString()
  assert.equal(want, '> persisted one')
  for (const c of clients.values()) {
    assert.equal(c.doc.getText('t').toString(), want)
    assert.deepEqual(c.doc.getMap('m').toJSON(), { k: [1, { two: 2 }] })
  }
  assert.ok(origins.includes('conn:1') && origins.includes('conn:2'))
  for (const c of clients.values()) c.destroy()
  room.destroy()
})

test('presence travels through the Room and goes away on detach', () => {
  const { room, clients, pump } = setup([1, 2])
  clients.get(1).awareness.setLocalState({ user: 'one' })
  for (const c of clients.values()) c.connect()
  pump()
  clients.get(2).awareness.setLocalStateField('cursor', 5)
  pump()
  assert.deepEqual(clients.get(2).awareness.getStates().get(1), { user: 'one' })
  assert.deepEqual(clients.get(1).awareness.getStates().get(2), { cursor: 5 })
  assert.deepEqual(room.awareness.getStates().get(1), { user: 'one' })

  // A third client attached later gets everyone's state on attach.
  const late = new YClient(3, (data) => room.receive(3, data))
  room.attach(3)
  clients.set(3, late)
  pump()
  assert.deepEqual(late.awareness.getStates().get(1), { user: 'one' })

  const removed = []
  clients.get(2).awareness.on('change', (change) => removed.push(...change.removed))
  clients.get(1).send = () => {} // its socket is closed
  room.detach(1)
  pump()
  assert.deepEqual(removed, [1])
  assert.equal(room.awareness.getStates().has(1), false)
  for (const c of clients.values()) c.destroy()
  room.destroy()
})

test('a read-only connection gets permission denied and cannot edit', () => {
  const { room, clients, pump } = setup([1, 2], { readOnly: [1] })
  for (const c of clients.values()) c.connect()
  pump()
  clients.get(1).doc.getText('t').insert(0, 'not allowed')
  pump()
  assert.deepEqual(clients.get(1).denied, ['read-only'])
  assert.equal(room.doc.getText('t').toString(), '')
  assert.equal(clients.get(2).doc.getText('t').toString(), '')
  room.setReadOnly(1, false)
  // Allowed now, the client sends its whole state (as it answers SyncStep1 on reconnecting).
  const one = clients.get(1)
  one.send(frame(0, (enc) => syncProtocol.writeSyncStep2(enc, one.doc)))
  one.doc.getText('t').insert(0, 'ok ')
  pump()
  assert.equal(clients.get(2).doc.getText('t').toString(), room.doc.getText('t').toString())
  assert.equal(room.doc.getText('t').toString(), 'ok not allowed')
  for (const c of clients.values()) c.destroy()
})

test('room.tick expires the presence of silent clients (explicit time)', () => {
  const clock = fakeClock(0)
  const { room, clients, pump } = setup([1, 2], { clock, awarenessTimeout: 5000 })
  // (A state with clock 0, the initial {}, is not news to anyone: y-protocols ignores it too.)
  for (const c of clients.values()) c.awareness.setLocalState({ id: c.doc.clientID })
  for (const c of clients.values()) c.connect()
  pump()
  assert.equal(room.awareness.getStates().has(1), true)
  room.tick(4000)
  assert.equal(room.awareness.getStates().has(1), true)
  clock.now = 6000
  room.tick()
  assert.equal(room.awareness.getStates().has(1), false)
  for (const c of clients.values()) c.destroy()
})

test('malformed frames and unknown connections throw; nothing changes or is queued', () => {
  const room = new C.Room({ autoTick: false })
  room.attach(1)
  assert.throws(() => room.attach(1), (e) => e.code === 'CODESYNC_ERR_INVALID_ARGUMENT')
  assert.throws(() => room.receive(2, C.encodeQueryAwareness()), (e) => e.code === 'CODESYNC_ERR_INVALID_ARGUMENT')
  while (room.nextMessage() !== null);
  const doc = new C.Doc()
  doc.getText('t').insert(0, 'abc')
  const good = C.encodeSyncStep2(doc)
  for (const bad of [good.subarray(0, good.length - 1), Uint8Array.of(...good, 0), Uint8Array.of(9), new Uint8Array()]) {
    assert.throws(() => room.receive(1, bad), (e) => e.code === 'CODESYNC_ERR_MALFORMED' && e.message.length > 0)
  }
  assert.equal(room.pendingMessages, 0)
  assert.equal(room.doc.getText('t').toString(), '')
  assert.throws(() => room.receive(1, 'text'), TypeError)
  room.destroy()
  assert.throws(() => room.attach(5), /destroyed/)
  assert.throws(() => room.doc.getText('t'), /destroyed/)
})

test('a room doc listener exception is thrown from receive; the update is applied', () => {
  const room = new C.Room({ autoTick: false })
  room.attach(1)
  room.doc.on('update', () => { throw new Error('persist failed') })
  const doc = new C.Doc()
  doc.getText('t').insert(0, 'abc')
  assert.throws(() => room.receive(1, C.encodeSyncStep2(doc)), /persist failed/)
  assert.equal(room.doc.getText('t').toString(), 'abc')
})

test('messages() drains, and edits through room.doc and room.awareness reach everyone', () => {
  const room = new C.Room({ autoTick: false })
  room.attach(1)
  room.attach(2)
  assert.equal(room.connectionCount, 2)
  assert.equal(room.pendingMessages, 2)
  assert.deepEqual([...room.messages()].map((m) => [m.connId, C.decodeMessage(m.frame).kind]),
    [[1, C.messageKind.syncStep1], [2, C.messageKind.syncStep1]])
  room.doc.getText('t').insert(0, 'server')
  room.awareness.setLocalState({ server: true })
  const got = [...room.messages()].map((m) => [m.connId, C.decodeMessage(m.frame).kind])
  assert.deepEqual(got.filter(([c]) => c === 1).map(([, k]) => k), [C.messageKind.syncUpdate, C.messageKind.awareness])
  assert.deepEqual(got.filter(([c]) => c === 2).map(([, k]) => k), [C.messageKind.syncUpdate, C.messageKind.awareness])
  assert.equal(room.nextMessage(), null)
})

test('a codesync client syncs with a y-protocols peer through receiveMessage', () => {
  const doc = new C.Doc({ clientID: 1 })
  const aw = new C.Awareness(doc, { autoTick: false })
  doc.getText('t').insert(0, 'from codesync ')
  const peer = new YClient(2, () => {})
  peer.doc.getText('t').insert(0, 'from yjs ')
  peer.awareness.setLocalState({ name: 'yjs' })
  const toPeer = []
  peer.send = (data) => {
    const { kind, reply } = C.receiveMessage(doc, data, { awareness: aw, origin: peer })
    toPeer.push(kind)
    if (reply) peer.receive(reply)
  }
  // The peer asks (SyncStep1): we answer SyncStep2. We ask: it answers.
  peer.connect()
  peer.receive(C.encodeSyncStep1(doc))
  assert.equal(doc.getText('t').toString(), peer.doc.getText('t').toString())
  assert.deepEqual(aw.getStates().get(2), { name: 'yjs' })
  assert.ok(toPeer.includes(C.messageKind.syncStep1) && toPeer.includes(C.messageKind.syncStep2))

  // An incremental update from us, and our presence, reach the peer.
  doc.on('update', (update, origin) => { if (origin !== peer) peer.receive(C.encodeSyncUpdate(update)) })
  doc.getText('t').insert(0, '!')
  assert.equal(peer.doc.getText('t').toString(), doc.getText('t').toString())
  aw.setLocalState({ name: 'codesync' })
  peer.receive(C.encodeAwarenessMessage(aw, [1]))
  assert.deepEqual(peer.awareness.getStates().get(1), { name: 'codesync' })
  // A query is answered with every state.
  const { kind, reply } = C.receiveMessage(doc, C.encodeQueryAwareness(), { awareness: aw })
  assert.equal(kind, C.messageKind.queryAwareness)
  const other = new C.Awareness(new C.Doc({ clientID: 9 }), { autoTick: false })
  C.applyAwarenessUpdate(other, C.decodeMessage(reply).payload)
  assert.deepEqual(other.getStates().get(2), { name: 'yjs' })
  peer.destroy()
})

test('encoded frames decode back; y-protocols reads them', () => {
  const doc = new C.Doc({ clientID: 1 })
  doc.getText('t').insert(0, 'abc')
  const step1 = C.decodeMessage(C.encodeSyncStep1(doc))
  assert.equal(step1.kind, C.messageKind.syncStep1)
  assert.deepEqual(step1.payload, C.encodeStateVector(doc))
  const step2 = C.decodeMessage(C.encodeSyncStep2(doc, Y.encodeStateVector(new Y.Doc())))
  assert.equal(step2.kind, C.messageKind.syncStep2)
  const ydoc = new Y.Doc()
  Y.applyUpdate(ydoc, step2.payload)
  assert.equal(ydoc.getText('t').toString(), 'abc')
  const denied = C.decodeMessage(C.encodePermissionDenied('read-only'))
  assert.equal(denied.kind, C.messageKind.permissionDenied)
  assert.equal(new TextDecoder().decode(denied.payload), 'read-only')
  assert.deepEqual(C.decodeMessage(C.encodeQueryAwareness()), { kind: C.messageKind.queryAwareness, payload: new Uint8Array() })
  // y-protocols' own reader applies our Update frame.
  const y2 = new Y.Doc()
  const dec = decoding.createDecoder(C.encodeSyncUpdate(C.encodeStateAsUpdate(doc)))
  assert.equal(decoding.readVarUint(dec), 0)
  syncProtocol.readSyncMessage(dec, encoding.createEncoder(), y2, null)
  assert.equal(y2.getText('t').toString(), 'abc')
  assert.throws(() => C.decodeMessage(Uint8Array.of(0, 7)), (e) => e.code === 'CODESYNC_ERR_MALFORMED')
})
