// Interop: real y-websocket clients in front of a codesync Room.
//
// The clients are y-websocket's own WebsocketProvider (3.0.0, over yjs 13.6.33 and y-protocols
// 1.0.7), unmodified; only its WebSocket is replaced by an in-memory socket whose two directions
// deliver in order after random delays, so edits and awareness changes cross in flight. The server
// is codesync_room_peer (room_peer.c): a codesync_room driven over its line protocol; every frame a
// client sends goes through codesync_room_receive, everything the room queues is delivered.
//
//   node room.mjs --peer build/tests/interop/codesync_room_peer [--seed N] [--steps N] [--verbose]
//
// Scenarios: concurrent editing by writers, a read-only reader and the server itself, with
// awareness changes, until every document and every awareness view agree; a write from the
// read-only client refused with permission denied; a dropped connection (presence removed at the
// others, offline edits synced on reconnect); awareness expiry through the room's tick (everyone
// re-announces and converges again); clean shutdown (every presence but the server's removed);
// and frame-level checks against y-protocols' own encoders and decoders.
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import * as awarenessProtocol from 'y-protocols/awareness'
import * as syncProtocol from 'y-protocols/sync'
import * as authProtocol from 'y-protocols/auth'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import { DriverProcess, PeerError } from './peer.mjs'

const argv = process.argv.slice(2)
const optArg = (name) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined }
const PEER = optArg('--peer') || process.env.ROOM_PEER
const SEED = Number(optArg('--seed') || 1)
const STEPS = Number(optArg('--steps') || 300)
const VERBOSE = argv.includes('--verbose')
if (!PEER) {
  console.error('usage: node room.mjs --peer <codesync_room_peer> [--seed N] [--steps N]')
  process.exit(2)
}

const hex = (u) => (u.length === 0 ? '-' : Buffer.from(u.buffer, u.byteOffset, u.length).toString('hex'))
const unhex = (t) => (t === '-' ? new Uint8Array(0) : new Uint8Array(Buffer.from(t, 'hex')))
const hexStr = (s) => (s.length === 0 ? '-' : Buffer.from(s, 'utf8').toString('hex'))
const unhexStr = (t) => (t === '-' ? '' : Buffer.from(t, 'hex').toString('utf8'))
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const bytesEqual = (a, b) => a.length === b.length && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0

// Canonical JSON: object keys sorted, so equal values print equal.
const canon = (v) => JSON.stringify(v, (_k, x) =>
  x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x)

function mulberry32 (seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
const rng = mulberry32(SEED)
const rand = (n) => Math.floor(rng() * n)
const ALPHABET = 'abcdefghij XYZ\né中ß'
const randomText = () => Array.from({ length: 1 + rand(4) }, () => ALPHABET[rand(ALPHABET.length)]).join('')

// ---- checks -----------------------------------------------------------------

let passed = 0
let failed = 0
function check (cond, name, detail) {
  if (cond) {
    passed++
    if (VERBOSE) console.log(`ok   ${name}`)
  } else {
    failed++
    console.log(`FAIL ${name}${detail === undefined ? '' : `\n     ${typeof detail === 'function' ? detail() : detail}`}`)
  }
}

// ---- the server: a codesync_room behind the driver ---------------------------

class RoomServer {
  constructor (clientId) {
    this.driver = new DriverProcess(PEER)
    this.driver.call('new', clientId)
    this.clientId = clientId
    this.sockets = new Map() // conn -> FakeSocket
    this.nextConn = 1
    this.clockOffset = 0 // lets a test jump the room's clock forward
    this.errors = []
  }

  now () { return Date.now() + this.clockOffset }

  attach (socket) {
    const conn = this.nextConn++
    this.sockets.set(conn, socket)
    this.driver.call('attach', conn, socket.readOnly ? 1 : 0, this.now())
    this.flush()
    return conn
  }

  detach (conn) {
    if (!this.sockets.has(conn)) return
    this.sockets.delete(conn)
    this.driver.call('detach', conn, this.now())
    this.flush()
  }

  receive (conn, frame) {
    if (!this.sockets.has(conn)) return
    try {
      this.driver.call('recv', conn, hex(frame), this.now())
    } catch (e) {
      if (!(e instanceof PeerError)) throw e
      this.errors.push(`conn ${conn}: ${e.message} for frame ${hex(frame).slice(0, 80)}`)
    }
    this.flush()
  }

  tick () {
    this.driver.call('tick', this.now())
    this.flush()
  }

  /** Hands every frame the room queued to its socket (delivered later, in order). */
  flush () {
    const t = this.driver.call('drain')
    const n = Number(t[0])
    for (let i = 0; i < n; i++) {
      const socket = this.sockets.get(Number(t[1 + 2 * i]))
      if (socket) socket.fromServer(unhex(t[2 + 2 * i]))
    }
  }

  text (name = 't') { return unhexStr(this.driver.call('text', name)[0]) }
  json () { return JSON.parse(unhexStr(this.driver.call('json')[0])) }
  state () { return unhex(this.driver.call('state')[0]) }
  awareness () { return JSON.parse(unhexStr(this.driver.call('awareness')[0])) }
  conns () { return Number(this.driver.call('conns')[0]) }
  close () { this.driver.close() }
}

// ---- an in-memory WebSocket with ordered, delayed delivery -------------------

const servers = new Map() // room name -> RoomServer
let inFlight = 0 // frames and open/close events not delivered yet

/** One direction of a link: FIFO, each frame after a random delay, order kept. */
class Lane {
  constructor (deliver) {
    this.queue = []
    this.deliver = deliver
  }

  push (item) {
    this.queue.push(item)
    inFlight++
    setTimeout(() => {
      const next = this.queue.shift()
      inFlight--
      this.deliver(next)
    }, rand(4))
  }
}

class FakeSocket {
  static CONNECTING = 0
  static OPEN = 1
  static CLOSING = 2
  static CLOSED = 3
  get CONNECTING () { return 0 }
  get OPEN () { return 1 }
  get CLOSING () { return 2 }
  get CLOSED () { return 3 }

  constructor (url) {
    const u = new URL(url)
    this.url = url
    this.readyState = 0
    this.binaryType = 'blob'
    this.onopen = this.onmessage = this.onclose = this.onerror = null
    this.readOnly = u.searchParams.get('ro') === '1'
    this.server = servers.get(u.pathname.slice(1))
    this.conn = null
    this.up = new Lane((frame) => { if (this.conn !== null) this.server.receive(this.conn, frame) })
    this.down = new Lane((frame) => {
      if (this.readyState !== 1) return
      this.onmessage?.({ data: frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.length) })
    })
    inFlight++
    setTimeout(() => {
      inFlight--
      if (this.readyState !== 0) return
      this.conn = this.server.attach(this)
      this.readyState = 1
      this.onopen?.({})
    }, rand(4))
  }

  send (data) {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open')
    this.up.push(new Uint8Array(data).slice())
  }

  fromServer (frame) { this.down.push(frame) }

  /** The client closes: the server sees the close after frames already sent. */
  close () {
    if (this.readyState >= 2) return
    this.readyState = 2
    this.up.push(null)
    const prev = this.up.deliver
    this.up.deliver = (frame) => {
      if (frame !== null) return prev(frame)
      this.server.detach(this.conn)
      this.conn = null
      this.readyState = 3
      this.onclose?.({ code: 1000 })
    }
  }

  /** The network fails: the server drops the connection at once, the client learns it later. */
  drop () {
    this.server.detach(this.conn)
    this.conn = null
    this.readyState = 3
    inFlight++
    setTimeout(() => { inFlight--; this.onclose?.({ code: 1006 }) }, rand(4))
  }
}

/** Waits until nothing is in flight for a while (the room answers synchronously). */
async function settle () {
  let quiet = 0
  for (let i = 0; i < 2000 && quiet < 5; i++) {
    await sleep(5)
    quiet = inFlight === 0 ? quiet + 1 : 0
  }
  if (quiet < 5) throw new Error('the network did not settle')
}

// ---- clients --------------------------------------------------------------------

function newClient (room, clientID, { readOnly = false, state } = {}) {
  const doc = new Y.Doc()
  doc.clientID = clientID
  const provider = new WebsocketProvider('ws://room.test', room, doc, {
    connect: false,
    WebSocketPolyfill: FakeSocket,
    disableBc: true,
    params: readOnly ? { ro: '1' } : {}
  })
  const client = { doc, provider, awareness: provider.awareness, text: doc.getText('t'), map: doc.getMap('m'), denied: [] }
  // Count permission-denied answers (the provider only logs them).
  provider.messageHandlers[2] = (_enc, decoder) => {
    authProtocol.readAuthMessage(decoder, doc, (_y, reason) => client.denied.push(reason))
  }
  if (state) provider.awareness.setLocalState(state)
  return client
}

function randomEdit (c) {
  const len = c.text.length
  const r = rng()
  if (r < 0.55 || len === 0) {
    c.text.insert(rand(len + 1), randomText())
  } else if (r < 0.85) {
    const at = rand(len)
    c.text.delete(at, 1 + rand(Math.min(5, len - at)))
  } else {
    c.map.set(`k${rand(5)}`, rng() < 0.2 ? null : { v: rand(100), by: c.doc.clientID })
  }
}

function awarenessView (c) {
  const out = {}
  c.awareness.getStates().forEach((state, id) => { out[id] = state })
  return canon(out)
}

function checkConverged (label, server, clients) {
  const text = server.text()
  const json = canon(server.json())
  const sv = Y.decodeStateVector(Y.encodeStateVectorFromUpdate(server.state()))
  for (const c of clients) {
    const id = c.doc.clientID
    check(c.text.toString() === text, `${label}: client ${id} text equals the room's`,
      () => `client ${JSON.stringify(c.text.toString().slice(0, 200))}\n     room   ${JSON.stringify(text.slice(0, 200))}`)
    check(canon(c.doc.toJSON()) === json, `${label}: client ${id} document JSON equals the room's`,
      () => `${canon(c.doc.toJSON()).slice(0, 300)} vs ${json.slice(0, 300)}`)
    const csv = Y.decodeStateVector(Y.encodeStateVector(c.doc))
    check(canon(Object.fromEntries(csv)) === canon(Object.fromEntries(sv)), `${label}: client ${id} state vector equals the room's`,
      () => `${canon(Object.fromEntries(csv))} vs ${canon(Object.fromEntries(sv))}`)
  }
  // The room's whole state, loaded by yjs, is the same document.
  const fresh = new Y.Doc()
  Y.applyUpdate(fresh, server.state())
  check(fresh.getText('t').toString() === text, `${label}: the room's state loads in yjs to the same text`)
  check(fresh.store.pendingStructs === null && fresh.store.pendingDs === null, `${label}: the room's state has nothing pending for yjs`)
}

function checkAwareness (label, server, clients) {
  const room = canon(server.awareness())
  for (const c of clients) {
    check(awarenessView(c) === room, `${label}: client ${c.doc.clientID} sees the room's awareness states`,
      () => `client ${awarenessView(c)}\n     room   ${room}`)
  }
}

// ---- scenario: live editing through the room ------------------------------------

async function liveScenario () {
  const server = new RoomServer(7)
  servers.set('live', server)
  // The server loads its persisted content before anyone connects.
  server.driver.call('insert', 't', 0, hexStr('persisted\n'))

  const p1 = newClient('live', 101, { state: { user: { name: 'one', color: '#f00' } } })
  const p2 = newClient('live', 102, { state: { user: { name: 'two' } } })
  const reader = newClient('live', 103, { readOnly: true, state: { user: { name: 'reader' } } })
  const writers = [p1, p2]
  const all = [p1, p2, reader]
  // Offline edits before connecting travel in the sync steps.
  p1.text.insert(0, 'offline one ')
  p2.map.set('k0', { v: 'offline two' })
  for (const c of all) c.provider.connect()
  await settle()
  check(server.conns() === 3, 'three connections attached')
  checkConverged('after connect', server, all)
  checkAwareness('after connect', server, all)
  check(server.text().includes('offline one ') && server.text().includes('persisted\n'), 'the room holds the offline and the persisted text',
    () => JSON.stringify(server.text()))

  // Concurrent editing: writers, the server, awareness changes, frames crossing in flight.
  for (let step = 0; step < STEPS; step++) {
    const r = rng()
    if (r < 0.7) {
      randomEdit(writers[rand(writers.length)])
    } else if (r < 0.8) {
      const len = server.text().length
      // Server-side edits go through the room's document (UTF-16 indices, BMP text only).
      if (len > 0 && rng() < 0.4) server.driver.call('delete', 't', rand(len), 1)
      else server.driver.call('insert', 't', rand(len + 1), hexStr(randomText()))
      server.flush()
    } else {
      const c = all[rand(all.length)]
      c.awareness.setLocalStateField('cursor', { index: rand(50), step })
    }
    if (rng() < 0.3) await sleep(rand(3))
  }
  await settle()
  checkConverged('after concurrent edits', server, all)
  checkAwareness('after concurrent edits', server, all)
  check(server.errors.length === 0, 'the room accepted every frame the clients sent', () => server.errors.slice(0, 5).join('\n     '))
  check(reader.denied.length === 0, 'the reader was never refused while it only read')

  // The room's own presence (e.g. a server-side agent) reaches everyone.
  server.driver.call('set_local', hexStr(JSON.stringify({ agent: { name: 'bot' } })), server.now())
  server.flush()
  await settle()
  for (const c of all) {
    check(canon(c.awareness.getStates().get(7)) === canon({ agent: { name: 'bot' } }), `client ${c.doc.clientID} sees the room's own presence`)
  }
  checkAwareness('after the room set its presence', server, all)

  // The reader writes: refused, nobody else sees it.
  const before = server.text()
  reader.text.insert(0, 'FORBIDDEN')
  await settle()
  check(reader.denied.length === 1 && reader.denied[0] === 'read-only', 'the read-only client got permission denied ("read-only")',
    () => JSON.stringify(reader.denied))
  check(server.text() === before, 'the read-only write did not reach the room')
  check(!p1.text.toString().includes('FORBIDDEN') && !p2.text.toString().includes('FORBIDDEN'), 'the read-only write did not reach the writers')
  reader.provider.destroy()
  await settle()
  const live = [p1, p2]
  check(server.conns() === 2, 'the reader detached')
  checkAwareness('after the reader left', server, live)
  check(!(103 in server.awareness()), "the reader's presence is gone from the room")

  // The network drops p2: the room removes its presence for p1 at once.
  const removedAtP1 = []
  p1.awareness.on('change', ({ removed }) => removedAtP1.push(...removed))
  p2.provider.ws.drop()
  p2.text.insert(0, 'while offline ')
  p2.awareness.setLocalStateField('away', true)
  await sleep(20) // p2 reconnects after its 100 ms backoff
  check(removedAtP1.includes(102), "p1 saw p2's presence removed when its connection dropped", () => JSON.stringify(removedAtP1))
  check(!p1.text.toString().includes('while offline'), 'p2 edited while disconnected')
  for (let i = 0; i < 100 && !p2.provider.wsconnected; i++) await sleep(10)
  check(p2.provider.wsconnected, 'p2 reconnected')
  await settle()
  check(p1.text.toString().includes('while offline '), "p2's offline edit reached p1 after the reconnect")
  check(p1.awareness.getStates().get(102)?.away === true, "p2's presence is back at p1, with its offline change")
  // On losing its connection p2 dropped the others' states but kept their clocks, so the room's
  // states (same clocks) do not revive them: as with y-websocket's server, p2 sees them again when
  // they next change or renew. Here they change now.
  p1.awareness.setLocalStateField('cursor', { index: 0, step: 'after reconnect' })
  server.driver.call('set_local', hexStr(JSON.stringify({ agent: { name: 'bot', renewed: true } })), server.now())
  server.flush()
  for (let step = 0; step < 40; step++) {
    randomEdit(live[rand(2)])
    if (rng() < 0.3) await sleep(rand(3))
  }
  await settle()
  checkConverged('after the reconnect', server, live)
  checkAwareness('after the reconnect', server, live)

  // Time passes at the room only: every client state expires there and is removed everywhere;
  // each client refuses the removal of its own state and re-announces it, so all converge again.
  const removedAtP2 = []
  p2.awareness.on('change', ({ removed }) => removedAtP2.push(...removed))
  server.clockOffset = 31000
  server.tick()
  const afterTick = server.awareness()
  check(Object.keys(afterTick).length === 1 && canon(afterTick[7]) === canon({ agent: { name: 'bot', renewed: true } }),
    'the room expired every client state after 30 s (its own renewed)', () => JSON.stringify(afterTick))
  server.clockOffset = 0
  await settle()
  check(removedAtP2.includes(101), "p2 removed p1's expired state")
  checkAwareness('after expiry and re-announcement', server, live)
  check(Object.keys(server.awareness()).length === 3, 'both clients re-announced themselves', () => JSON.stringify(server.awareness()))

  // Clean shutdown: the providers say goodbye; only the room's own presence remains.
  for (const c of live) c.provider.destroy()
  await settle()
  check(server.conns() === 0, 'every connection detached')
  check(canon(server.awareness()) === canon({ 7: { agent: { name: 'bot', renewed: true } } }), 'only the room presence remains', () => JSON.stringify(server.awareness()))
  check(server.errors.length === 0, 'no frame was refused in the whole scenario', () => server.errors.slice(0, 5).join('\n     '))
  for (const c of all) { c.awareness.destroy(); c.doc.destroy() }
  server.close()
  servers.delete('live')
}

// ---- scenario: frames against y-protocols' encoders and decoders -----------------

function frames (server) {
  const t = server.driver.call('drain')
  const out = []
  for (let i = 0; i < Number(t[0]); i++) out.push({ conn: Number(t[1 + 2 * i]), frame: unhex(t[2 + 2 * i]) })
  return out
}

function frameLevelScenario () {
  const server = new RoomServer(9)
  server.driver.call('insert', 't', 0, hexStr('hello'))
  // The same content in yjs, written by the same client, for byte comparisons.
  const twin = new Y.Doc()
  twin.clientID = 9
  twin.getText('t').insert(0, 'hello')

  // On connect: SyncStep1, byte for byte what y-protocols writes for the same document.
  server.driver.call('attach', 1, 0, server.now())
  let out = frames(server)
  const step1 = encoding.createEncoder()
  encoding.writeVarUint(step1, 0)
  syncProtocol.writeSyncStep1(step1, twin)
  check(out.length === 1 && bytesEqual(out[0].frame, encoding.toUint8Array(step1)), 'first frame is y-protocols SyncStep1', () => out.map((f) => hex(f.frame)).join(' '))

  // y-protocols answers it as a client would; the answer applies at the room.
  const client = new Y.Doc()
  client.clientID = 50
  client.getText('t').insert(0, '>')
  const dec = decoding.createDecoder(out[0].frame)
  decoding.readVarUint(dec)
  const reply = encoding.createEncoder()
  encoding.writeVarUint(reply, 0)
  syncProtocol.readSyncMessage(dec, reply, client, 'server')
  server.driver.call('recv', 1, hex(encoding.toUint8Array(reply)), server.now())
  check(server.text() === '>hello' || server.text() === 'hello>', "the client's SyncStep2 applied at the room", server.text())

  // The client's SyncStep1 is answered with a SyncStep2 that y-protocols applies.
  const s1 = encoding.createEncoder()
  encoding.writeVarUint(s1, 0)
  syncProtocol.writeSyncStep1(s1, client)
  server.driver.call('recv', 1, hex(encoding.toUint8Array(s1)), server.now())
  out = frames(server)
  check(out.length === 1 && out[0].frame[0] === 0 && out[0].frame[1] === 1, 'SyncStep1 answered with one SyncStep2')
  const d2 = decoding.createDecoder(out[0].frame)
  decoding.readVarUint(d2)
  const type = syncProtocol.readSyncMessage(d2, encoding.createEncoder(), client, 'server')
  check(type === syncProtocol.messageYjsSyncStep2 && client.getText('t').toString() === server.text(), 'y-protocols applies the SyncStep2 and converges')

  // With a presence in the room, a newcomer gets SyncStep1 and then every state.
  const aw = new awarenessProtocol.Awareness(client)
  aw.setLocalState({ user: 'y-protocols' })
  const awMsg = encoding.createEncoder()
  encoding.writeVarUint(awMsg, 1)
  encoding.writeVarUint8Array(awMsg, awarenessProtocol.encodeAwarenessUpdate(aw, [50]))
  server.driver.call('recv', 1, hex(encoding.toUint8Array(awMsg)), server.now())
  check(frames(server).length === 0, 'an awareness update from the only connection goes to nobody')
  server.driver.call('attach', 2, 1, server.now())
  out = frames(server)
  check(out.length === 2 && out.every((f) => f.conn === 2), 'a newcomer gets two frames')
  if (out.length === 2) {
    const other = new awarenessProtocol.Awareness(new Y.Doc())
    const d = decoding.createDecoder(out[1].frame)
    check(decoding.readVarUint(d) === 1, 'the second frame is an awareness message')
    awarenessProtocol.applyAwarenessUpdate(other, decoding.readVarUint8Array(d), 'room')
    check(canon(other.getStates().get(50)) === canon({ user: 'y-protocols' }) && other.meta.get(50).clock === aw.meta.get(50).clock,
      'y-protocols reads the presence with its clock')
    // The room re-encodes exactly as y-protocols encodes.
    check(bytesEqual(out[1].frame, encoding.toUint8Array(awMsg)), 'the awareness frame has y-protocols bytes')
    other.destroy()
  }

  // Query awareness (type 3) is answered with every state.
  server.driver.call('recv', 2, hex(new Uint8Array([3])), server.now())
  out = frames(server)
  check(out.length === 1 && out[0].conn === 2 && bytesEqual(out[0].frame, encoding.toUint8Array(awMsg)), 'query awareness answered')

  // Read-only connection 2 sends an update: refused with y-protocols' permission denied.
  const ro = new Y.Doc()
  ro.clientID = 60
  ro.getText('t').insert(0, 'ro')
  const upd = encoding.createEncoder()
  encoding.writeVarUint(upd, 0)
  syncProtocol.writeUpdate(upd, Y.encodeStateAsUpdate(ro))
  const textBefore = server.text()
  server.driver.call('recv', 2, hex(encoding.toUint8Array(upd)), server.now())
  out = frames(server)
  const denied = encoding.createEncoder()
  encoding.writeVarUint(denied, 2)
  authProtocol.writePermissionDenied(denied, 'read-only')
  check(out.length === 1 && out[0].conn === 2 && bytesEqual(out[0].frame, encoding.toUint8Array(denied)), 'read-only update answered with permission denied',
    () => out.map((f) => `${f.conn}:${hex(f.frame)}`).join(' '))
  check(server.text() === textBefore, 'read-only update not applied')

  // The same update from writer 1 is applied and relayed to 2 as an Update.
  server.driver.call('recv', 1, hex(encoding.toUint8Array(upd)), server.now())
  out = frames(server)
  check(out.length === 1 && out[0].conn === 2 && out[0].frame[0] === 0 && out[0].frame[1] === 2, 'update relayed to the other connection only')

  // Malformed frames: an error for that call, nothing changed, the connection still usable.
  const stateBefore = server.state()
  const bad = ['', '05', '0003', '00020501', '0002020000ff', '0107010232017b', '020100']
  for (const b of bad) {
    let code = null
    try { server.driver.call('recv', 1, b === '' ? '-' : b, server.now()) } catch (e) { if (e instanceof PeerError) code = e.code }
    check(code === -2, `malformed frame ${b || '(empty)'} refused with CODESYNC_ERR_MALFORMED`, `code ${code}`)
  }
  check(bytesEqual(server.state(), stateBefore), 'malformed frames left the document untouched')
  check(frames(server).length === 0, 'malformed frames queued nothing')

  // Detaching 1 removes the presence it brought, for connection 2, at the same clock with null.
  server.driver.call('detach', 1, server.now())
  out = frames(server)
  check(out.length === 1 && out[0].conn === 2, 'detach broadcast one frame to the remaining connection')
  if (out.length === 1) {
    const view = new awarenessProtocol.Awareness(new Y.Doc())
    const d = decoding.createDecoder(encoding.toUint8Array(awMsg))
    decoding.readVarUint(d)
    awarenessProtocol.applyAwarenessUpdate(view, decoding.readVarUint8Array(d), 'room')
    const d3 = decoding.createDecoder(out[0].frame)
    decoding.readVarUint(d3)
    awarenessProtocol.applyAwarenessUpdate(view, decoding.readVarUint8Array(d3), 'room')
    check(!view.getStates().has(50), 'y-protocols removes the presence on that frame')
    view.destroy()
  }
  check(canon(server.awareness()) === '{}', 'the room holds no presence after detach')
  aw.destroy()
  server.close()
}

// ---- main -------------------------------------------------------------------------

try {
  frameLevelScenario()
  await liveScenario()
} catch (e) {
  failed++
  console.log(`FAIL scenario threw: ${e.stack || e}`)
}
console.log(`room: ${passed} passed, ${failed} failed`)
process.exit(failed ? 1 : 0)
