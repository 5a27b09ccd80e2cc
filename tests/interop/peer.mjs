// Peers for the interop tests: one synchronous document interface with two implementations.
//
//   CodesyncPeers(driverPath)  documents hosted by the C driver (peer/peer.c) over its line protocol
//   YjsPeers()                 documents backed by the real yjs, in process
//
// Both factories expose newDoc({clientID, gc}), mergeUpdates(updates), close(); documents expose the
// same methods (see YjsDoc below for the reference semantics), so the differential harness can run
// yjs-vs-yjs to validate itself and yjs-vs-codesync for real.
//
// The driver is spoken to synchronously: its stdin and stdout are FIFOs that this process opens with
// blocking fds, so every call is one writeSync + readSync round trip, with no event loop in between.

import { spawn, execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as Y from 'yjs'

export class PeerError extends Error {
  constructor (code, message, command) {
    super(`${command}: err ${code} ${message}`)
    this.code = code
    this.detail = message
  }
}

export class DriverExited extends Error {}

const hex = (bytes) => (bytes.length === 0 ? '-' : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex'))
const unhex = (tok) => (tok === '-' ? new Uint8Array(0) : new Uint8Array(Buffer.from(tok, 'hex')))
const hexStr = (s) => (s.length === 0 ? '-' : Buffer.from(s, 'utf8').toString('hex'))
const unhexStr = (tok) => (tok === '-' ? '' : Buffer.from(tok, 'hex').toString('utf8'))
const hexOrigin = (o) => (o === null || o === undefined ? '~' : hexStr(String(o)))
const unhexOrigin = (tok) => (tok === '~' ? null : unhexStr(tok))

/** One running driver process. */
export class DriverProcess {
  constructor (driverPath) {
    if (!fs.existsSync(driverPath)) throw new Error(`driver not found: ${driverPath}`)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codesync-peer-'))
    const reqPath = path.join(dir, 'req')
    const resPath = path.join(dir, 'res')
    execFileSync('mkfifo', [reqPath, resPath])
    const { O_RDWR, O_RDONLY, O_WRONLY } = fs.constants
    // Opening a FIFO blocks until the other end exists; a temporary O_RDWR fd provides it, so the
    // four one-directional ends open at once and the child inherits exactly its two.
    const openPair = (p) => {
      const rw = fs.openSync(p, O_RDWR)
      const r = fs.openSync(p, O_RDONLY)
      const w = fs.openSync(p, O_WRONLY)
      fs.closeSync(rw)
      return [r, w]
    }
    const [reqR, reqW] = openPair(reqPath)
    const [resR, resW] = openPair(resPath)
    this.child = spawn(driverPath, [], { stdio: [reqR, resW, 'inherit'] })
    this.child.on('error', () => {})
    fs.closeSync(reqR)
    fs.closeSync(resW)
    fs.rmSync(dir, { recursive: true, force: true })
    this.out = reqW
    this.in = resR
    this.buf = Buffer.alloc(1 << 20)
    this.pending = ''
    this.dead = this.child.pid === undefined
    this.calls = 0
    if (this.dead) this.close()
  }

  /** Sends one request line; returns the answer's tokens after `ok`, throws PeerError on `err`. */
  call (...tokens) {
    if (this.dead) throw new DriverExited('driver is not running')
    const line = tokens.join(' ') + '\n'
    try {
      fs.writeSync(this.out, line)
    } catch (e) {
      this.dead = true
      throw new DriverExited(`driver exited (write failed: ${e.code}) during: ${line.slice(0, 200)}`)
    }
    this.calls++
    let nl
    while ((nl = this.pending.indexOf('\n')) < 0) {
      let n
      try {
        n = fs.readSync(this.in, this.buf, 0, this.buf.length, null)
      } catch (e) {
        if (e.code === 'EAGAIN' || e.code === 'EINTR') continue
        throw e
      }
      if (n === 0) {
        this.dead = true
        throw new DriverExited(`driver exited (crash?) during: ${line.slice(0, 300)}`)
      }
      this.pending += this.buf.toString('latin1', 0, n)
    }
    const answer = this.pending.slice(0, nl)
    this.pending = this.pending.slice(nl + 1)
    if (answer === 'ok') return []
    if (answer.startsWith('ok ')) return answer.slice(3).split(' ')
    if (answer.startsWith('err ')) {
      const sp = answer.indexOf(' ', 4)
      const code = Number(sp < 0 ? answer.slice(4) : answer.slice(4, sp))
      throw new PeerError(code, sp < 0 ? '' : answer.slice(sp + 1), tokens[0])
    }
    throw new Error(`driver answered garbage: ${answer.slice(0, 200)}`)
  }

  close () {
    let quit = false
    if (!this.dead) {
      try { this.call('quit'); quit = true } catch {}
    }
    this.dead = true
    for (const fd of [this.out, this.in]) {
      try { fs.closeSync(fd) } catch {}
    }
    this.out = this.in = -1
    // A driver that answered quit exits by itself (and sanitizer builds report leaks on the way).
    if (!quit) {
      try { this.child.kill('SIGKILL') } catch {}
    }
  }
}

const childKinds = ['text', 'map', 'array']

class CsType {
  constructor (doc, kind, id) {
    this.doc = doc
    this.kind = kind
    this.id = id
    this.d = doc.d
  }

  // text
  insert (index, str, attrs) {
    if (this.kind === 'array') return this.d.call('array_insert', this.id, index, hexStr(JSON.stringify(str)))
    if (attrs === undefined) return this.d.call('text_insert', this.id, index, hexStr(str))
    return this.d.call('text_insert_attr', this.id, index, hexStr(str), hexStr(JSON.stringify(attrs)))
  }

  delete (index, length) {
    if (this.kind === 'map') return this.d.call('map_delete', this.id, hexStr(index))
    return this.d.call(`${this.kind}_delete`, this.id, index, length)
  }

  format (index, length, attrs) { this.d.call('text_format', this.id, index, length, hexStr(JSON.stringify(attrs))) }
  insertEmbed (index, embed) { this.d.call('text_embed', this.id, index, hexStr(JSON.stringify(embed))) }
  toDelta () { return JSON.parse(unhexStr(this.d.call('text_delta', this.id)[0])) }
  toString () { return unhexStr(this.d.call('text_string', this.id)[0]) }
  observe () { this.d.call('text_observe', this.id) }
  takeEvents () {
    const t = this.d.call('text_events', this.id)
    return t.slice(1).map((h) => JSON.parse(unhexStr(h)))
  }

  /** Text: UTF-16 units; array: elements; map: entries. */
  length () {
    const cmd = { text: 'text_length', array: 'array_length', map: 'map_size' }[this.kind]
    return Number(this.d.call(cmd, this.id)[0])
  }

  toJSON () {
    if (this.kind === 'text') return this.toString()
    return JSON.parse(unhexStr(this.d.call(`${this.kind}_json`, this.id)[0]))
  }

  // map
  set (key, value) { this.d.call('map_set', this.id, hexStr(key), hexStr(JSON.stringify(value))) }
  get (keyOrIndex) {
    if (this.kind === 'map') return JSON.parse(unhexStr(this.d.call('map_get', this.id, hexStr(keyOrIndex))[0]))
    return JSON.parse(unhexStr(this.d.call('array_get', this.id, keyOrIndex)[0]))
  }

  /** Map: a new empty nested type under key; array: inserted at index. */
  setType (keyOrIndex, kind) {
    if (!childKinds.includes(kind)) throw new Error(`bad kind ${kind}`)
    const id = this.kind === 'map'
      ? this.d.call(`map_set_${kind}`, this.id, hexStr(keyOrIndex))[0]
      : this.d.call(`array_insert_${kind}`, this.id, keyOrIndex)[0]
    return new CsType(this.doc, kind, id)
  }

  insertType (index, kind) { return this.setType(index, kind) }

  /** The nested type of that kind stored there, or null. */
  getType (keyOrIndex, kind) {
    try {
      const id = this.kind === 'map'
        ? this.d.call(`map_get_${kind}`, this.id, hexStr(keyOrIndex))[0]
        : this.d.call(`array_get_${kind}`, this.id, keyOrIndex)[0]
      return new CsType(this.doc, kind, id)
    } catch (e) {
      if (e instanceof PeerError) return null
      throw e
    }
  }
}

class CsDoc {
  constructor (factory, { clientID, gc }) {
    this.factory = factory
    this.d = factory.driver
    this.clientID = clientID
    this.gc = gc
    this.impl = 'codesync'
    this.id = this.d.call('new', clientID, gc ? 1 : 0)[0]
    const actual = this.d.call('client', this.id)[0]
    if (clientID && actual !== String(clientID)) throw new Error(`codesync doc got client id ${actual}, asked for ${clientID}`)
    this.d.call('observe_updates', this.id)
    this.roots = new Map()
  }

  applyUpdate (update, origin = 'remote') { this.d.call('apply', this.id, hex(update), hexOrigin(origin)) }
  stateVector () { return unhex(this.d.call('sv', this.id)[0]) }
  encodeStateAsUpdate (sv) {
    return unhex(sv === undefined ? this.d.call('encode', this.id)[0] : this.d.call('encode', this.id, hex(sv))[0])
  }

  hasPending () { return this.d.call('pending', this.id)[0] === '1' }
  toJSON () { return JSON.parse(unhexStr(this.d.call('json', this.id)[0])) }
  root (kind, name) {
    const k = `${kind}:${name}`
    if (!this.roots.has(k)) this.roots.set(k, new CsType(this, kind, this.d.call(`root_${kind}`, this.id, hexStr(name))[0]))
    return this.roots.get(k)
  }

  /** Runs fn inside one transaction with that origin (begin/commit). */
  transact (fn, origin = null) {
    this.d.call('begin', this.id, hexOrigin(origin))
    try {
      fn()
    } finally {
      if (!this.d.dead) this.d.call('commit', this.id)
    }
  }

  /** Updates emitted since the last call: [{update, origin}]. */
  takeUpdates () {
    const t = this.d.call('updates', this.id)
    const out = []
    for (let i = 1; i + 1 < t.length; i += 2) out.push({ update: unhex(t[i]), origin: unhexOrigin(t[i + 1]) })
    if (out.length !== Number(t[0])) throw new Error('driver: bad updates answer')
    return out
  }

  destroy () {
    if (!this.d.dead) this.d.call('free', this.id)
  }
}

export class CodesyncPeers {
  constructor (driverPath) {
    this.driverPath = driverPath
    this.impl = 'codesync'
    this.driver = new DriverProcess(driverPath)
  }

  /** Replaces a dead driver (after a crash) with a fresh process. */
  restart () {
    this.driver.close()
    this.driver = new DriverProcess(this.driverPath)
  }

  get alive () { return !this.driver.dead }
  newDoc (opts) { return new CsDoc(this, opts) }
  mergeUpdates (updates) { return unhex(this.driver.call('merge', ...updates.map(hex))[0]) }
  updateStateVector (update) { return unhex(this.driver.call('update_sv', hex(update))[0]) }
  version () {
    const t = this.driver.call('version')
    return { version: unhexStr(t[0]), number: Number(t[1]) }
  }

  close () { this.driver.close() }
}

// ---- yjs -------------------------------------------------------------------------------------------

const plain = (v) => JSON.parse(JSON.stringify(v))

const yCtor = { text: Y.Text, map: Y.Map, array: Y.Array }

class YType {
  constructor (doc, kind, type) {
    this.doc = doc
    this.kind = kind
    this.type = type
  }

  insert (index, strOrValues, attrs) {
    if (this.kind === 'array') return this.type.insert(index, strOrValues)
    if (attrs === undefined) return this.type.insert(index, strOrValues)
    return this.type.insert(index, strOrValues, attrs)
  }

  delete (index, length) {
    if (this.kind === 'map') return this.type.delete(index)
    return this.type.delete(index, length)
  }

  format (index, length, attrs) { this.type.format(index, length, attrs) }
  insertEmbed (index, embed) { this.type.insertEmbed(index, embed) }
  toDelta () { return plain(this.type.toDelta()) }
  toString () { return this.type.toString() }
  observe () {
    if (this.events) return
    this.events = []
    // The delta must be read inside the observer, while the transaction is live.
    this.type.observe((e) => this.events.push({ origin: e.transaction.origin ?? null, delta: plain(e.delta) }))
  }

  takeEvents () {
    const e = this.events || []
    this.events = []
    return e
  }

  length () { return this.kind === 'map' ? this.type.size : this.type.length }
  toJSON () { return plain(this.type.toJSON()) }
  set (key, value) { this.type.set(key, value) }
  get (keyOrIndex) { return plain(this.type.get(keyOrIndex)) }
  setType (keyOrIndex, kind) {
    const t = new yCtor[kind]()
    if (this.kind === 'map') this.type.set(keyOrIndex, t)
    else this.type.insert(keyOrIndex, [t])
    return new YType(this.doc, kind, t)
  }

  insertType (index, kind) { return this.setType(index, kind) }
  getType (keyOrIndex, kind) {
    if (this.kind === 'array' && (keyOrIndex < 0 || keyOrIndex >= this.type.length)) return null
    const v = this.type.get(keyOrIndex)
    return v instanceof yCtor[kind] ? new YType(this.doc, kind, v) : null
  }
}

export class YjsDoc {
  constructor ({ clientID, gc }) {
    this.ydoc = new Y.Doc({ gc })
    this.ydoc.clientID = clientID
    this.clientID = clientID
    this.gc = gc
    this.impl = 'yjs'
    this.updates = []
    this.ydoc.on('update', (update, origin) => this.updates.push({ update, origin: origin ?? null }))
    this.roots = new Map()
  }

  applyUpdate (update, origin = 'remote') { Y.applyUpdate(this.ydoc, update, origin) }
  stateVector () { return Y.encodeStateVector(this.ydoc) }
  encodeStateAsUpdate (sv) { return Y.encodeStateAsUpdate(this.ydoc, sv) }
  hasPending () { return this.ydoc.store.pendingStructs !== null || this.ydoc.store.pendingDs !== null }
  toJSON () {
    const out = {}
    for (const [k, t] of this.roots) out[k.slice(k.indexOf(':') + 1)] = t.toJSON()
    return out
  }

  root (kind, name) {
    const k = `${kind}:${name}`
    if (!this.roots.has(k)) {
      const get = { text: 'getText', map: 'getMap', array: 'getArray' }[kind]
      this.roots.set(k, new YType(this, kind, this.ydoc[get](name)))
    }
    return this.roots.get(k)
  }

  transact (fn, origin = null) { this.ydoc.transact(fn, origin) }
  takeUpdates () {
    const u = this.updates
    this.updates = []
    return u
  }

  destroy () { this.ydoc.destroy() }
}

export class YjsPeers {
  constructor () { this.impl = 'yjs'; this.alive = true }
  restart () {}
  newDoc (opts) { return new YjsDoc(opts) }
  mergeUpdates (updates) { return Y.mergeUpdates(updates) }
  updateStateVector (update) { return Y.encodeStateVectorFromUpdate(update) }
  close () {}
}

export { hex, unhex }
