// Seeded randomized differential test: yjs peers and codesync peers edit one document concurrently,
// exchange updates in random order / subsets / duplicates (pending structs), then sync fully; every
// peer must end with the same content and state vector, and each side's full state must load in the
// other. Byte equality with yjs "for the same history" is measured through twins: every codesync
// peer has a yjs twin that performs the same local ops and applies the same bytes.
//
//   node differential.mjs --peer <path to codesync_interop_peer> [--seeds N] [--start S] [--verbose]
//   node differential.mjs --fake [--seeds N]        yjs in place of codesync, to validate the harness
//   node differential.mjs --peer P --seed S         one scenario (prints its action log, or the shrunk one)
//   node differential.mjs --peer P --replay F.json  replay an action log written on failure
//
// Env: INTEROP_SEEDS, INTEROP_START, INTEROP_PEER, INTEROP_FAIL_FAST=1, INTEROP_SHRINK_BUDGET,
//      INTEROP_ASSERT_BYTES=1 (= --assert-bytes: byte differences with the yjs twin fail the run),
//      INTEROP_SKIP_CHECKS=kind,kind (= --skip-checks: count those check failures instead; triage only).

import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as Y from 'yjs'
import { CodesyncPeers, YjsPeers, YjsDoc, DriverExited, hex } from './peer.mjs'
import { makeRng } from './rng.mjs'

// ---- CLI -------------------------------------------------------------------------------------------

const argv = process.argv.slice(2)
const flag = (name) => argv.includes(name)
const opt = (name, dflt) => {
  const i = argv.indexOf(name)
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt
}
const FAKE_BUG = flag('--fake-bug') // harness self-test: the fake "codesync" stores map value true as false (must fail)
const FAKE = flag('--fake') || FAKE_BUG
const VERBOSE = flag('--verbose')
const PEER = opt('--peer', process.env.INTEROP_PEER)
const SEEDS = Number(opt('--seeds', process.env.INTEROP_SEEDS || 2000))
const START = Number(opt('--start', process.env.INTEROP_START || 1))
const ONE_SEED = opt('--seed', null)
const REPLAY = opt('--replay', null)
const FAIL_FAST = process.env.INTEROP_FAIL_FAST === '1' || flag('--fail-fast')
const SHRINK_BUDGET = Number(opt('--shrink-budget', process.env.INTEROP_SHRINK_BUDGET || 200))
const MAX_REPORTED = 10
// Byte equality with yjs is measured always; asserted only on request (once it holds), as check
// kind "bytes", so a difference is shrunk to a minimal reproduction like any other failure.
const ASSERT_BYTES = flag('--assert-bytes') || process.env.INTEROP_ASSERT_BYTES === '1'

if (!FAKE && !PEER) {
  console.error('usage: node differential.mjs --peer <codesync_interop_peer> | --fake')
  process.exit(2)
}

// ---- helpers ---------------------------------------------------------------------------------------

/** JSON with sorted keys, so equal values compare equal as strings. */
function canon (v) {
  if (v === undefined) return 'undefined'
  if (v === null || typeof v !== 'object') return JSON.stringify(v)
  if (Array.isArray(v)) return '[' + v.map(canon).join(',') + ']'
  return '{' + Object.keys(v).sort().map((k) => JSON.stringify(k) + ':' + canon(v[k])).join(',') + '}'
}

const bytesEqual = (a, b) => a.length === b.length && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0

function decodeStateVector (sv) {
  let pos = 0
  const readVarUint = () => {
    let num = 0; let mult = 1
    for (;;) {
      if (pos >= sv.length) throw new Error('truncated state vector')
      const r = sv[pos++]
      num += (r & 0x7f) * mult
      mult *= 128
      if (r < 0x80) return num
      if (mult > 2 ** 56) throw new Error('varuint too long')
    }
  }
  const n = readVarUint()
  const out = new Map()
  for (let i = 0; i < n; i++) {
    const client = readVarUint()
    out.set(client, readVarUint())
  }
  if (pos !== sv.length) throw new Error('trailing bytes in state vector')
  return out
}

const svCanon = (sv) => canon([...decodeStateVector(sv)].filter(([, c]) => c > 0).sort((x, y) => x[0] - y[0]))

// --explain-bytes N: print the first N byte differences with the yjs twin, decoded by yjs.
const EXPLAIN_BYTES = Number(opt('--explain-bytes', 0))
let explained = 0
function byteDiffExample (what, mine, theirs) {
  if (explained >= EXPLAIN_BYTES) return
  explained++
  const show = (u) => {
    if (!u.length) return '(none)'
    try {
      const { structs, ds } = Y.decodeUpdate(u)
      const ss = structs.map((st) => `${st.constructor.name}(${st.id.client}:${st.id.clock}+${st.length}${st.content ? ' ' + st.content.constructor.name : ''}${st.deleted ? ' deleted' : ''})`).join(' ')
      const dd = [...ds.clients].map(([c, rs]) => `${c}:[${rs.map((r) => `${r.clock}+${r.len}`).join(',')}]`).join(' ')
      return `${hex(u)}\n      structs ${ss}\n      deletes ${dd}`
    } catch (e) { return `${hex(u)} (yjs cannot decode: ${e.message})` }
  }
  console.log(`bytes differ: ${what}\n  codesync ${show(mine)}\n  yjs      ${show(theirs)}`)
}

class CheckFailure extends Error {
  constructor (kind, message) {
    super(message)
    this.kind = kind
  }
}
// Triage aid: --skip-checks events,twin counts those failures instead of failing on them.
const SKIP_CHECKS = new Set((opt('--skip-checks', process.env.INTEROP_SKIP_CHECKS || '')).split(',').filter(Boolean))
const skippedChecks = new Map()
const check = (cond, kind, message) => {
  if (cond) return
  if (SKIP_CHECKS.has(kind)) {
    skippedChecks.set(kind, (skippedChecks.get(kind) || 0) + 1)
    return
  }
  throw new CheckFailure(kind, typeof message === 'function' ? message() : message)
}

// Units of a text as the API counts them (UTF-16 code units, an embed is one unit).
function deltaUnits (delta) {
  const units = []
  for (const op of delta) {
    if (typeof op.insert === 'string') {
      for (let i = 0; i < op.insert.length; i++) units.push(op.insert.charCodeAt(i))
    } else {
      units.push(-1)
    }
  }
  return units
}
const isHigh = (u) => u >= 0xd800 && u <= 0xdbff
const isLow = (u) => u >= 0xdc00 && u <= 0xdfff
const boundaryOk = (units, i) => i <= 0 || i >= units.length || !(isHigh(units[i - 1]) && isLow(units[i]))

// ---- content pools ---------------------------------------------------------------------------------

const TEXT_PIECES = ['a', 'b', 'xy', 'hello ', ' ', '\n', 'é', 'e\u0301', 'ä', '漢字', '中', 'ひらがな',
  '😀', '👍🏽', '👨‍👩‍👧', '𝔸', '🇩🇪', 'z', 'Ω', '\t', '"q"', '\\', 'ﬀ', 'नमस्ते']
const KEYS = ['a', 'b', 'c', 'key', 'ключ', '😀', 'x y', '']
const ATTRS = [{ bold: true }, { bold: null }, { italic: true }, { italic: null }, { color: 'red' },
  { color: '#00ff00' }, { color: null }, { link: { href: 'https://e.x/ä' } }, { size: 12 }, { bold: true, italic: true },
  { bold: false }, { code: null, bold: true }, { font: '😀' }]
const EMBEDS = [{ image: 'a.png' }, { formula: 'x^2' }, { mention: { id: 3, name: 'Zoë' } }, { hr: true }]
const SCALARS = [null, true, false, 0, 1, -1, 42, 127, 128, -129, 2 ** 31 - 1, -(2 ** 31 - 1), 2 ** 31, -(2 ** 31),
  2 ** 32, 2 ** 53 - 1, -(2 ** 53 - 1), 0.5, -2.25, 0.1, 1e300, -1e-300, 3.4028234663852886e38, 1.5e-45, 123456.789,
  '', 'str', 'ünïcödé', '😀 emoji', '漢字', 'line\nbreak', '"quoted"', 'tab\tslash\\']

function genText (rng) {
  let s = ''
  const n = rng.int(1, 3)
  for (let i = 0; i < n; i++) s += rng.pick(TEXT_PIECES)
  return s
}

function genJson (rng, depth = 0) {
  const r = rng.next()
  if (depth >= 2 || r < 0.7) return rng.pick(SCALARS)
  if (r < 0.85) {
    const n = rng.int(0, 3)
    const a = []
    for (let i = 0; i < n; i++) a.push(genJson(rng, depth + 1))
    return a
  }
  const n = rng.int(0, 3)
  const o = {}
  for (let i = 0; i < n; i++) o[rng.pick(KEYS)] = genJson(rng, depth + 1)
  return o
}

// ---- peers and the network -------------------------------------------------------------------------

const ROOTS = [['text', 't'], ['map', 'm'], ['array', 'a']]
const REMOTE = 'remote'

/** Resolves a path [rootName, {k, kind}...] on a doc: a type handle, or null. */
function resolve (doc, pathSteps) {
  const [rootName, ...steps] = pathSteps
  const root = ROOTS.find(([, n]) => n === rootName)
  let t = doc.root(root[0], rootName)
  for (const { k, kind } of steps) {
    if (t.kind === 'text') return null
    if (t.kind === 'array' && (typeof k !== 'number' || k >= t.length())) return null
    if (t.kind === 'map' && typeof k !== 'string') return null
    t = t.getType(k, kind)
    if (!t) return null
  }
  return t
}

/** Content of a type, nested types resolved through the API (not just toJSON). */
function deepContent (t) {
  if (t.kind === 'text') return { text: t.toDelta() }
  const json = t.toJSON()
  const child = (k, v) => {
    const kind = typeof v === 'string' ? 'text' : Array.isArray(v) ? 'array' : v !== null && typeof v === 'object' ? 'map' : null
    const sub = kind ? t.getType(k, kind) : null
    return sub ? deepContent(sub) : { v }
  }
  if (t.kind === 'map') {
    const out = {}
    for (const k of Object.keys(json).sort()) out[k] = child(k, json[k])
    return { map: out }
  }
  check(Array.isArray(json), 'content', () => `array toJSON is not an array: ${canon(json)}`)
  check(json.length === t.length(), 'content', () => `array length ${t.length()} != toJSON length ${json.length}`)
  return { array: json.map((v, i) => child(i, v)) }
}

function docContent (doc) {
  const out = {}
  for (const [kind, name] of ROOTS) out[name] = deepContent(doc.root(kind, name))
  return out
}

// Shadow text built only from observed deltas; must equal toDelta at the end.
function applyDeltaToShadow (shadow, delta) {
  let pos = 0
  for (const op of delta) {
    if (op.retain !== undefined) {
      check(pos + op.retain <= shadow.length, 'events', `retain past end (${pos}+${op.retain} > ${shadow.length})`)
      if (op.attributes) {
        for (let i = pos; i < pos + op.retain; i++) {
          const a = { ...shadow[i].a }
          for (const [k, v] of Object.entries(op.attributes)) {
            if (v === null) delete a[k]
            else a[k] = v
          }
          shadow[i] = { ...shadow[i], a }
        }
      }
      pos += op.retain
    } else if (op.delete !== undefined) {
      check(pos + op.delete <= shadow.length, 'events', `delete past end (${pos}+${op.delete} > ${shadow.length})`)
      shadow.splice(pos, op.delete)
    } else if (op.insert !== undefined) {
      const a = op.attributes ? { ...op.attributes } : {}
      const items = typeof op.insert === 'string'
        ? Array.from({ length: op.insert.length }, (_, i) => ({ u: op.insert[i], a }))
        : [{ e: op.insert, a }]
      shadow.splice(pos, 0, ...items)
      pos += items.length
    } else {
      check(false, 'events', `bad delta op ${canon(op)}`)
    }
  }
}

function shadowToDelta (shadow) {
  const out = []
  for (const it of shadow) {
    const attrs = Object.keys(it.a).length ? it.a : undefined
    const last = out[out.length - 1]
    if (it.e === undefined && last && typeof last.insert === 'string' && canon(last.attributes) === canon(attrs)) {
      last.insert += it.u
    } else {
      const op = { insert: it.e === undefined ? it.u : it.e }
      if (attrs) op.attributes = attrs
      out.push(op)
    }
  }
  return out
}

/** Deltas compare after merging adjacent string inserts with equal attributes and dropping `{}`. */
function normDelta (delta) {
  const out = []
  for (const op of delta) {
    const attrs = op.attributes && Object.keys(op.attributes).length ? op.attributes : undefined
    const last = out[out.length - 1]
    if (typeof op.insert === 'string' && last && typeof last.insert === 'string' && canon(last.attributes) === canon(attrs)) {
      last.insert += op.insert
    } else {
      const o = { insert: op.insert }
      if (attrs) o.attributes = attrs
      out.push(o)
    }
  }
  return out
}

// ---- one scenario ----------------------------------------------------------------------------------

class Scenario {
  constructor (seed, csPeers, yPeers) {
    this.seed = seed
    this.csFactory = csPeers
    this.yFactory = yPeers
    this.actions = []
    this.stats = {
      localUpdates: 0, localUpdatesEqual: 0, fullStateTwins: 0, fullStateEqual: 0,
      diffs: 0, diffsEqual: 0, merges: 0, mergesEqual: 0, svBytes: 0, svBytesEqual: 0, twinsDiverged: 0, delivers: 0, pendingAfterDeliver: 0, twinPendingDiffs: 0
    }
  }

  /** Chooses the configuration (also stored in the log so a replay needs no RNG). */
  static genConfig (rng) {
    const nY = rng.int(1, 3)
    const nC = rng.int(1, 3)
    const gcMode = rng.weighted([[7, 'on'], [2, 'off'], [1, 'mixed']])
    const idPool = rng.chance(0.85)
      ? [1, 2, 3, 4, 5, 6, 7, 8]
      : [1, 2, 127, 128, 300, 16384, 70000, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1]
    rng.shuffle(idPool)
    const peers = []
    for (let i = 0; i < nY + nC; i++) {
      peers.push({
        impl: i < nY ? 'yjs' : 'codesync',
        clientID: idPool[i],
        gc: gcMode === 'on' ? true : gcMode === 'off' ? false : rng.chance(0.5)
      })
    }
    rng.shuffle(peers)
    return { peers, steps: rng.int(8, 50) }
  }

  setup (config) {
    this.config = config
    this.peers = config.peers.map((p) => {
      const factory = p.impl === 'yjs' ? this.yFactory : this.csFactory
      const doc = factory.newDoc({ clientID: p.clientID, gc: p.gc })
      // codesync docs in fake mode are YjsDocs too; twins are always real yjs.
      const twin = p.impl === 'codesync' ? new YjsDoc({ clientID: p.clientID, gc: p.gc }) : null
      const peer = { ...p, doc, factory, twin, twinOk: !!twin, delivered: new Set(), shadow: [] }
      for (const d of twin ? [doc, twin] : [doc]) {
        for (const [kind, name] of ROOTS) d.root(kind, name)
      }
      // Twins observe too: yjs computes event deltas lazily, and computing one can touch the store.
      for (const d of twin ? [doc, twin] : [doc]) d.root('text', 't').observe()
      return peer
    })
    this.messages = new Map() // id -> {from, update}
  }

  destroy () {
    for (const p of this.peers || []) {
      try { p.doc.destroy() } catch {}
      if (p.twin) p.twin.destroy()
    }
  }

  // Moves a peer's newly emitted updates into the network; compares local ones with its twin's.
  collect (p, actionId, local) {
    if (p.twin && p.twinOk) {
      // The twin did the same thing on the same state: the content must agree right away. Except
      // while yjs holds pending structs: it keeps structs pending that arrived in one update with a
      // struct after a clock gap, even once their own dependencies arrive (codesync integrates
      // them), so intermediate states may differ there. Such a twin is retired (later local edits
      // at the same index would mean different things) and counted.
      const mine = canon(p.doc.toJSON())
      const theirs = canon(p.twin.toJSON())
      if (mine !== theirs && p.twin.hasPending()) {
        this.stats.twinPendingDiffs++
        p.twinOk = false
        return this.collectUpdates(p, actionId, local)
      }
      check(mine === theirs, 'twin', () => `after action #${actionId} peer ${p.idx} (${p.impl}) has\n    ${mine}\n  but yjs doing the same has\n    ${theirs}` +
        `\n  state vectors: ${svCanon(p.doc.stateVector())} vs yjs ${svCanon(p.twin.stateVector())}; pending: ${p.doc.hasPending()} vs yjs ${p.twin.hasPending()}`)
    }
    this.collectUpdates(p, actionId, local)
  }

  collectUpdates (p, actionId, local) {
    const ups = p.doc.takeUpdates()
    const tw = p.twin ? p.twin.takeUpdates() : null
    ups.forEach(({ update, origin }, j) => {
      if (origin === REMOTE) return
      this.messages.set(`${actionId}.${p.idx}.${j}`, { from: p.idx, update })
    })
    if (local && tw && p.twinOk) {
      const mine = ups.filter((u) => u.origin !== REMOTE)
      const theirs = tw.filter((u) => u.origin !== REMOTE)
      this.stats.localUpdates += Math.max(mine.length, theirs.length)
      for (let i = 0; i < Math.min(mine.length, theirs.length); i++) {
        if (bytesEqual(mine[i].update, theirs[i].update)) this.stats.localUpdatesEqual++
        else {
          byteDiffExample(`seed ${this.seed} action #${actionId} local update of peer ${p.idx}`, mine[i].update, theirs[i].update)
          if (ASSERT_BYTES) check(false, 'bytes', () => `local update of peer ${p.idx} after action #${actionId}: codesync ${hex(mine[i].update)}, yjs ${hex(theirs[i].update)}`)
        }
      }
      if (mine.length !== theirs.length) byteDiffExample(`seed ${this.seed} action #${actionId}: peer ${p.idx} emitted ${mine.length} updates, its yjs twin ${theirs.length}`, new Uint8Array(0), new Uint8Array(0))
    }
  }

  // ---- generation: picks a concrete action from the current state -------------------------------

  genTarget (rng, doc) {
    const rootName = rng.weighted([[5, 't'], [2, 'm'], [3, 'a']])
    const steps = [rootName]
    let t = doc.root(ROOTS.find(([, n]) => n === rootName)[0], rootName)
    for (let depth = 0; depth < 3 && t.kind !== 'text' && rng.chance(0.55); depth++) {
      const json = t.toJSON()
      let cands
      if (t.kind === 'map') cands = Object.keys(json).map((k) => [k, json[k]])
      else cands = json.map((v, i) => [i, v])
      cands = cands.filter(([, v]) => v !== null && (typeof v === 'string' || typeof v === 'object'))
      if (!cands.length) break
      const [k, v] = rng.pick(cands)
      const kind = typeof v === 'string' ? 'text' : Array.isArray(v) ? 'array' : 'map'
      const sub = t.getType(k, kind)
      if (!sub) break
      steps.push({ k, kind })
      t = sub
    }
    return { path: steps, t }
  }

  genOp (rng, p) {
    const { path: target, t } = this.genTarget(rng, p.doc)
    if (t.kind === 'text') {
      const delta = t.toDelta()
      const units = deltaUnits(delta)
      const len = t.length()
      check(len === units.length, 'content', () => `text length ${len} but its delta has ${units.length} units: ${canon(delta)}`)
      const validIdx = () => {
        for (let tries = 0; tries < 10; tries++) {
          const r = rng.next()
          const i = r < 0.3 ? 0 : r < 0.6 ? len : rng.int(0, len)
          if (boundaryOk(units, i)) return i
        }
        return 0
      }
      const kind = len === 0
        ? rng.weighted([[6, 'ins'], [2, 'insAttr'], [1, 'embed']])
        : rng.weighted([[6, 'ins'], [2, 'insAttr'], [4, 'del'], [3, 'fmt'], [1, 'embed']])
      if (kind === 'ins') return { path: target, op: 'ins', args: [validIdx(), genText(rng)] }
      if (kind === 'insAttr') return { path: target, op: 'insAttr', args: [validIdx(), genText(rng), rng.pick(ATTRS)] }
      if (kind === 'embed') return { path: target, op: 'embed', args: [validIdx(), rng.pick(EMBEDS)] }
      let i = validIdx()
      if (i === len) i = 0
      let n = Math.min(len - i, rng.int(1, 6))
      while (n > 1 && !boundaryOk(units, i + n)) n--
      if (!boundaryOk(units, i + n)) n++
      if (kind === 'del') return { path: target, op: 'del', args: [i, n] }
      return { path: target, op: 'fmt', args: [i, n, rng.pick(ATTRS)] }
    }
    if (t.kind === 'map') {
      const keys = Object.keys(t.toJSON())
      const kind = rng.weighted([[5, 'set'], [3, 'setType'], [keys.length ? 3 : 0, 'del'], [1, 'delMissing']])
      if (kind === 'set') return { path: target, op: 'set', args: [rng.pick(KEYS), genJson(rng)] }
      if (kind === 'setType') return { path: target, op: 'setType', args: [rng.pick(KEYS), rng.pick(['text', 'map', 'array']), this.genFill(rng)] }
      if (kind === 'del') return { path: target, op: 'mdel', args: [rng.pick(keys)] }
      return { path: target, op: 'mdel', args: [rng.pick(KEYS)] }
    }
    const len = t.length()
    const r = rng.next()
    const idx = r < 0.3 ? 0 : r < 0.6 ? len : rng.int(0, len)
    const kind = len === 0 ? rng.weighted([[5, 'ains'], [2, 'ainsType']]) : rng.weighted([[5, 'ains'], [2, 'ainsType'], [4, 'adel']])
    if (kind === 'ains') {
      const vals = []
      for (let n = rng.int(1, 3); n > 0; n--) vals.push(genJson(rng))
      return { path: target, op: 'ains', args: [idx, vals] }
    }
    if (kind === 'ainsType') return { path: target, op: 'ainsType', args: [idx, rng.pick(['text', 'map', 'array']), this.genFill(rng)] }
    const i = Math.min(idx, len - 1)
    return { path: target, op: 'adel', args: [i, Math.min(len - i, rng.int(1, 3))] }
  }

  /** Initial content written into a freshly created nested type in the same transaction. */
  genFill (rng) {
    if (!rng.chance(0.6)) return null
    return { text: genText(rng), key: rng.pick(KEYS), value: genJson(rng), values: [genJson(rng), genJson(rng)] }
  }

  genDeliver (rng) {
    const to = rng.int(0, this.peers.length - 1)
    const p = this.peers[to]
    const fresh = [...this.messages.entries()].filter(([id, m]) => m.from !== to && !p.delivered.has(id)).map(([id]) => id)
    if (!fresh.length) return null
    rng.shuffle(fresh)
    const ids = fresh.slice(0, rng.int(1, Math.min(fresh.length, 6)))
    if (rng.chance(0.15) && p.delivered.size) ids.push(rng.pick([...p.delivered])) // duplicate
    if (rng.chance(0.15)) ids.push(ids[0]) // duplicate inside one batch
    return { a: 'deliver', to, ids, merge: ids.length > 1 && rng.chance(0.25) }
  }

  generate (rng) {
    for (let s = 0; s < this.config.steps; s++) {
      const kind = rng.weighted([[6, 'op'], [1, 'tx'], [3, 'deliver'], [0.4, 'sync']])
      let action = null
      if (kind === 'op' || kind === 'tx') {
        const p = rng.int(0, this.peers.length - 1)
        if (kind === 'op') {
          action = { a: 'op', p, ...this.genOp(rng, this.peers[p]) }
        } else {
          // Ops of one transaction are generated against the state before it, then each is
          // re-validated at execution (an invalid one is skipped on every peer alike).
          const ops = []
          const origin = rng.chance(0.5) ? null : rng.pick(['tx', 'origin-ü', 'agent'])
          this.peers[p].doc.transact(() => {
            for (let n = rng.int(2, 4); n > 0; n--) {
              const op = this.genOp(rng, this.peers[p])
              ops.push(op)
              this.execOp(this.peers[p].doc, op)
            }
          }, origin)
          // Replay the transaction on the twin the same way, then collect.
          if (this.peers[p].twin && this.peers[p].twinOk) this.runTwin(this.peers[p], () => this.peers[p].twin.transact(() => ops.forEach((op) => this.execOp(this.peers[p].twin, op)), origin))
          action = { a: 'tx', p, origin, ops, id: this.actions.length }
          this.actions.push(action)
          this.collect(this.peers[p], action.id, true)
          continue
        }
      } else if (kind === 'deliver') {
        action = this.genDeliver(rng)
      } else {
        const x = rng.int(0, this.peers.length - 1)
        const y = rng.int(0, this.peers.length - 1)
        if (x !== y) action = { a: 'sync', x, y }
      }
      if (!action) continue
      action.id = this.actions.length
      this.actions.push(action)
      this.exec(action)
    }
  }

  // ---- execution ----------------------------------------------------------------------------------

  /** Runs one op on a doc; returns false when it does not apply to the current state (replays). */
  execOp (doc, { path: target, op, args }) {
    const t = resolve(doc, target)
    if (!t) return false
    const fill = (sub, kind, f) => {
      if (!f) return
      if (kind === 'text') sub.insert(0, f.text)
      else if (kind === 'map') sub.set(f.key, f.value)
      else sub.insert(0, f.values)
    }
    if (t.kind === 'text') {
      if (!['ins', 'insAttr', 'embed', 'del', 'fmt'].includes(op)) return false
      const units = deltaUnits(t.toDelta())
      const [i, n] = args
      if (i > units.length || !boundaryOk(units, i)) return false
      if (op === 'ins') t.insert(i, args[1])
      else if (op === 'insAttr') t.insert(i, args[1], args[2])
      else if (op === 'embed') t.insertEmbed(i, args[1])
      else {
        if (i + n > units.length || !boundaryOk(units, i + n) || n <= 0) return false
        if (op === 'del') t.delete(i, n)
        else t.format(i, n, args[2])
      }
      return true
    }
    if (t.kind === 'map') {
      if (op === 'set') t.set(args[0], args[1])
      else if (op === 'setType') fill(t.setType(args[0], args[1]), args[1], args[2])
      else if (op === 'mdel') t.delete(args[0])
      else return false
      return true
    }
    const len = t.length()
    if (op === 'ains' && args[0] <= len) t.insert(args[0], args[1])
    else if (op === 'ainsType' && args[0] <= len) fill(t.insertType(args[0], args[1]), args[1], args[2])
    else if (op === 'adel' && args[0] + args[1] <= len && args[1] > 0) t.delete(args[0], args[1])
    else return false
    return true
  }

  /** Runs fn on a twin; a twin that throws has diverged from its codesync peer (a finding, see stats). */
  runTwin (p, fn) {
    try {
      fn()
    } catch (e) {
      p.twinOk = false
      this.stats.twinsDiverged++
    }
  }

  applyTo (p, update) {
    p.doc.applyUpdate(update, REMOTE)
    if (p.twin && p.twinOk) this.runTwin(p, () => p.twin.applyUpdate(update, REMOTE))
  }

  diffFor (from, sv) {
    const u = from.doc.encodeStateAsUpdate(sv)
    if (from.twin && from.twinOk) {
      const tu = from.twin.encodeStateAsUpdate(sv)
      this.stats.diffs++
      if (bytesEqual(u, tu)) this.stats.diffsEqual++
      else {
        byteDiffExample(`seed ${this.seed} diff from peer ${from.idx}`, u, tu)
        if (ASSERT_BYTES) check(false, 'bytes', () => `state-vector diff from peer ${from.idx}: codesync ${hex(u)}, yjs ${hex(tu)}`)
      }
    }
    return u
  }

  syncPair (x, y, tag) {
    const px = this.peers[x]; const py = this.peers[y]
    const svx = px.doc.stateVector()
    const svy = py.doc.stateVector()
    const toX = this.diffFor(py, svx)
    const toY = this.diffFor(px, svy)
    this.applyTo(px, toX)
    this.collect(px, `${tag}x`, false)
    this.applyTo(py, toY)
    this.collect(py, `${tag}y`, false)
  }

  exec (action) {
    if (action.a === 'op') {
      const p = this.peers[action.p]
      const ok = this.execOp(p.doc, action)
      if (ok && p.twin && p.twinOk) this.runTwin(p, () => this.execOp(p.twin, action))
      this.collect(p, action.id, true)
    } else if (action.a === 'tx') {
      const p = this.peers[action.p]
      p.doc.transact(() => action.ops.forEach((op) => this.execOp(p.doc, op)), action.origin)
      if (p.twin && p.twinOk) this.runTwin(p, () => p.twin.transact(() => action.ops.forEach((op) => this.execOp(p.twin, op)), action.origin))
      this.collect(p, action.id, true)
    } else if (action.a === 'deliver') {
      const p = this.peers[action.to]
      const ups = action.ids.filter((id) => this.messages.has(id)).map((id) => this.messages.get(id).update)
      action.ids.forEach((id) => this.messages.has(id) && p.delivered.add(id))
      if (!ups.length) return
      if (action.merge && ups.length > 1) {
        const merged = p.factory.mergeUpdates(ups)
        if (p.impl === 'codesync') {
          this.stats.merges++
          if (bytesEqual(merged, this.yFactory.mergeUpdates(ups))) this.stats.mergesEqual++
        }
        this.applyTo(p, merged)
      } else {
        for (const u of ups) this.applyTo(p, u)
      }
      this.collect(p, action.id, false)
      this.stats.delivers++
      if (p.doc.hasPending()) this.stats.pendingAfterDeliver++
    } else if (action.a === 'sync') {
      this.syncPair(action.x, action.y, action.id)
    }
  }

  // ---- the end: full sync and the checks ----------------------------------------------------------

  finish () {
    // Two rounds: updates a peer emits while receiving (yjs cleans up redundant formatting in a
    // transaction of its own) reach the peers that synced with it earlier in the first round.
    const n = this.peers.length
    for (let round = 0; round < 2; round++) {
      for (let x = 0; x < n; x++) {
        for (let y = x + 1; y < n; y++) this.syncPair(x, y, `f${round}.${x}.${y}.`)
      }
    }
    // Drain events emitted by the sync into the shadows.
    const ref = this.peers[0]
    const label = (p) => `peer ${p.idx} (${p.impl}, client ${p.clientID}, gc ${p.gc})`
    for (const p of this.peers) {
      check(!p.doc.hasPending(), 'pending', `${label(p)} still has pending structs after a full sync`)
    }
    const refContent = canon(docContent(ref.doc))
    const refJson = canon(ref.doc.toJSON())
    const refSv = svCanon(ref.doc.stateVector())
    const refSvBytes = ref.doc.stateVector()
    for (const p of this.peers) {
      const sv = p.doc.stateVector()
      check(svCanon(sv) === refSv, 'state-vector', () => `${label(p)} state vector ${svCanon(sv)} != ${label(ref)} ${refSv}`)
      if (p !== ref) {
        this.stats.svBytes++
        if (bytesEqual(sv, refSvBytes)) this.stats.svBytesEqual++
      }
      const c = canon(docContent(p.doc))
      check(c === refContent, 'content', () => `${label(p)} content\n    ${c}\n  != ${label(ref)}\n    ${refContent}`)
      const j = canon(p.doc.toJSON())
      check(j === refJson, 'doc-json', () => `${label(p)} doc JSON\n    ${j}\n  != ${label(ref)}\n    ${refJson}`)
    }
    // Cross-loading: every peer's full state loads in a fresh doc of the other implementation.
    for (const p of this.peers) {
      const full = p.doc.encodeStateAsUpdate()
      const otherFactory = p.impl === 'yjs' ? this.csFactory : this.yFactory
      for (const [name, factory] of [['other', otherFactory], ['same', p.factory]]) {
        const fresh = factory.newDoc({ clientID: 999999, gc: p.gc })
        try {
          for (const [kind, rn] of ROOTS) fresh.root(kind, rn)
          fresh.applyUpdate(full, REMOTE)
          const c = canon(docContent(fresh))
          check(c === refContent, 'cross-load', () => `${label(p)} full state loaded into a fresh ${fresh.impl} doc (${name}) gives\n    ${c}\n  expected\n    ${refContent}`)
          check(svCanon(fresh.stateVector()) === refSv, 'cross-load', () => `${label(p)} full state loaded into fresh ${fresh.impl}: state vector ${svCanon(fresh.stateVector())} != ${refSv}`)
          check(!fresh.hasPending(), 'cross-load', `${label(p)} full state loaded into fresh ${fresh.impl} leaves pending structs`)
        } finally {
          fresh.destroy()
        }
      }
      if (p.twin && p.twinOk) {
        const c = canon(docContent(p.twin))
        check(c === refContent, 'twin', () => `yjs twin of ${label(p)} (same history) ends with\n    ${c}\n  but the peers agree on\n    ${refContent}`)
        this.stats.fullStateTwins++
        const tfull = p.twin.encodeStateAsUpdate()
        if (bytesEqual(full, tfull)) this.stats.fullStateEqual++
        else {
          byteDiffExample(`seed ${this.seed} full state of peer ${p.idx}`, full, tfull)
          if (ASSERT_BYTES) check(false, 'bytes', () => `full state of peer ${p.idx}: codesync ${hex(full)}, yjs ${hex(tfull)}`)
        }
      }
    }
    // Last, so the checks above run even while events are wrong: the deltas observed on root text
    // "t" replay to its final content.
    for (const p of this.peers) {
      const t = p.doc.root('text', 't')
      for (const ev of t.takeEvents()) applyDeltaToShadow(p.shadow, ev.delta)
      const fromEvents = canon(normDelta(shadowToDelta(p.shadow)))
      const actual = canon(normDelta(t.toDelta()))
      check(fromEvents === actual, 'events', () => `${label(p)} text events replay to\n    ${fromEvents}\n  but toDelta is\n    ${actual}`)
    }
  }
}

function runScenario (seed, csPeers, yPeers, replay = null) {
  const sc = new Scenario(seed, csPeers, yPeers)
  const rng = makeRng(seed)
  const config = replay ? replay.config : Scenario.genConfig(rng)
  try {
    sc.setup(config)
    sc.peers.forEach((p, i) => { p.idx = i })
    if (replay) {
      for (const a of replay.actions) {
        sc.actions.push(a)
        sc.exec(a)
      }
    } else {
      sc.generate(rng)
    }
    sc.finish()
    return { ok: true, sc, config }
  } catch (e) {
    const kind = e instanceof CheckFailure ? e.kind : e instanceof DriverExited ? 'crash' : 'exception'
    return { ok: false, sc, config, kind, error: e }
  } finally {
    sc.destroy()
  }
}

// Greedy delta-debugging over the action log: drop chunks while the same kind of failure persists.
function shrink (seed, first, csPeers, yPeers) {
  let actions = first.sc.actions.slice()
  let config = first.config
  let budget = SHRINK_BUDGET
  const fails = (acts, cfg) => {
    if (budget-- <= 0) return false
    if (!csPeers.alive) csPeers.restart()
    const r = runScenario(seed, csPeers, yPeers, { config: cfg, actions: acts })
    if (!csPeers.alive) csPeers.restart()
    return !r.ok && r.kind === first.kind
  }
  for (let chunk = Math.max(1, actions.length >> 1); chunk >= 1 && budget > 0; chunk >>= 1) {
    for (let i = 0; i < actions.length && budget > 0;) {
      const cand = actions.slice(0, i).concat(actions.slice(i + chunk))
      if (fails(cand, config)) actions = cand
      else i += chunk
    }
  }
  // Fewer ops inside transactions.
  for (const a of actions) {
    if (a.a !== 'tx') continue
    for (let i = 0; i < a.ops.length && budget > 0;) {
      const saved = a.ops
      a.ops = saved.slice(0, i).concat(saved.slice(i + 1))
      if (!fails(actions, config)) { a.ops = saved; i++ }
    }
  }
  // Peers nothing refers to can be dropped only by renumbering; keep them (cheap to read).
  const final = runScenario(seed, csPeers, yPeers, { config, actions })
  return { config, actions, result: final }
}

function describeActions (config, actions) {
  const lines = []
  config.peers.forEach((p, i) => lines.push(`  peer ${i}: ${p.impl} client=${p.clientID} gc=${p.gc}`))
  for (const a of actions) {
    const op = (o) => `${o.op}@${JSON.stringify(o.path)} ${JSON.stringify(o.args)}`
    if (a.a === 'op') lines.push(`  #${a.id} peer ${a.p}: ${op(a)}`)
    else if (a.a === 'tx') lines.push(`  #${a.id} peer ${a.p}: transaction origin=${JSON.stringify(a.origin)} { ${a.ops.map(op).join('; ')} }`)
    else if (a.a === 'deliver') lines.push(`  #${a.id} deliver to peer ${a.to}${a.merge ? ' (merged)' : ''}: ${a.ids.join(' ')}`)
    else if (a.a === 'sync') lines.push(`  #${a.id} sync peers ${a.x} <-> ${a.y}`)
  }
  lines.push('  then: full pairwise sync and checks')
  return lines.join('\n')
}

// ---- main ------------------------------------------------------------------------------------------

function main () {
  const yPeers = new YjsPeers()
  const csPeers = FAKE ? new YjsPeers() : new CodesyncPeers(PEER)
  if (FAKE_BUG) {
    const newDoc = csPeers.newDoc.bind(csPeers)
    csPeers.newDoc = (o) => {
      const d = newDoc(o)
      const root = d.root.bind(d)
      d.root = (kind, name) => {
        const t = root(kind, name)
        if (kind === 'map' && !t.bugged) { const set = t.set.bind(t); t.set = (k, v) => set(k, v === true ? false : v); t.bugged = true }
        return t
      }
      return d
    }
  }
  if (!FAKE) {
    const v = csPeers.version()
    console.log(`codesync ${v.version} (${v.number}) vs yjs ${JSON.parse(fs.readFileSync(new URL('./node_modules/yjs/package.json', import.meta.url))).version}`)
  } else {
    console.log('fake mode: yjs in place of codesync (validates the harness)')
  }
  const total = { localUpdates: 0, localUpdatesEqual: 0, fullStateTwins: 0, fullStateEqual: 0, diffs: 0, diffsEqual: 0, merges: 0, mergesEqual: 0, svBytes: 0, svBytesEqual: 0, twinsDiverged: 0, delivers: 0, pendingAfterDeliver: 0, twinPendingDiffs: 0 }
  const failures = []
  const failKinds = new Map()
  let passed = 0
  const t0 = Date.now()

  const handleFailure = (seed, r) => {
    failKinds.set(r.kind, (failKinds.get(r.kind) || 0) + 1)
    failures.push(seed)
    if (failures.length > MAX_REPORTED) return
    console.log(`\nFAIL seed=${seed} [${r.kind}] ${r.error.message}`)
    if (r.kind === 'exception' && VERBOSE) console.log(r.error.stack)
    if (!csPeers.alive) csPeers.restart()
    const s = shrink(seed, r, csPeers, yPeers)
    if (!csPeers.alive) csPeers.restart()
    const file = path.join(os.tmpdir(), `codesync-interop-seed-${seed}.json`)
    fs.writeFileSync(file, JSON.stringify({ seed, config: s.config, actions: s.actions }, null, 1))
    console.log(`  minimal reproduction (${s.actions.length} of ${r.sc.actions.length} actions; replay: node differential.mjs --peer <driver> --replay ${file}):`)
    console.log(describeActions(s.config, s.actions))
    if (!s.result.ok) console.log(`  shrunk failure: [${s.result.kind}] ${s.result.error.message.split('\n').slice(0, 6).join('\n  ')}`)
  }

  if (REPLAY) {
    const log = JSON.parse(fs.readFileSync(REPLAY, 'utf8'))
    const r = runScenario(log.seed, csPeers, yPeers, log)
    console.log(describeActions(log.config, log.actions))
    if (r.ok) console.log('replay passed')
    else console.log(`replay FAILED [${r.kind}] ${r.error.stack}`)
    csPeers.close()
    console.log(`replay: ${r.ok ? 1 : 0} passed, ${r.ok ? 0 : 1} failed`)
    process.exit(r.ok ? 0 : 1)
  }

  const seeds = ONE_SEED !== null ? [Number(ONE_SEED)] : Array.from({ length: SEEDS }, (_, i) => START + i)
  for (const seed of seeds) {
    if (!csPeers.alive) csPeers.restart()
    const r = runScenario(seed, csPeers, yPeers)
    for (const k of Object.keys(total)) total[k] += r.sc.stats[k]
    if (r.ok) {
      passed++
      if (ONE_SEED !== null) console.log(describeActions(r.config, r.sc.actions))
    } else {
      handleFailure(seed, r)
      if (FAIL_FAST) break
    }
    if (VERBOSE && (seed - START) % 100 === 99) console.log(`.. ${seed - START + 1} scenarios, ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  }
  csPeers.close()

  const pct = (a, b) => (b ? `${(100 * a / b).toFixed(1)}% (${a}/${b})` : 'n/a')
  console.log(`\n${seeds.length} scenarios in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  console.log('byte equality with yjs for the same history (codesync peer vs its yjs twin):')
  console.log(`  local update bytes        ${pct(total.localUpdatesEqual, total.localUpdates)}`)
  console.log(`  full state bytes          ${pct(total.fullStateEqual, total.fullStateTwins)}`)
  console.log(`  state-vector diff bytes   ${pct(total.diffsEqual, total.diffs)}`)
  console.log(`  merged update bytes       ${pct(total.mergesEqual, total.merges)} (vs Y.mergeUpdates of the same inputs)`)
  console.log(`  state vector bytes        ${pct(total.svBytesEqual, total.svBytes)} (any two peers after sync)`)
  console.log(`  twins that threw          ${total.twinsDiverged}`)
  console.log(`deliveries leaving pending structs: ${pct(total.pendingAfterDeliver, total.delivers)}`)
  console.log(`twins retired: content differed while yjs held pending structs: ${total.twinPendingDiffs}`)
  if (skippedChecks.size) console.log(`SKIPPED failing checks (--skip-checks): ${[...skippedChecks].map(([k, v]) => `${k}=${v}`).join(' ')}`)
  if (failures.length) {
    console.log(`failures by kind: ${[...failKinds].map(([k, v]) => `${k}=${v}`).join(' ')}`)
    console.log(`failing seeds (first 50): ${failures.slice(0, 50).join(' ')}`)
  }
  // In fake mode both sides are yjs, so byte equality must be total: that validates the twin logic.
  // Against codesync, --assert-bytes makes each difference a failing (and shrinkable) check.
  let extraFailed = 0
  if (FAKE) {
    for (const [a, b, what] of [[total.localUpdatesEqual, total.localUpdates, 'local update'], [total.fullStateEqual, total.fullStateTwins, 'full state'], [total.diffsEqual, total.diffs, 'diff'], [total.mergesEqual, total.merges, 'merge']]) {
      if (a !== b) { console.log(`FAIL: ${what} bytes differ from yjs (${a}/${b})`); extraFailed++ }
    }
  }
  console.log(`differential: ${passed} passed, ${failures.length + extraFailed} failed`)
  process.exit(failures.length + extraFailed ? 1 : 0)
}

main()
