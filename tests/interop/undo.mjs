// Differential test of the undo manager: a seeded script of local edits by an "editor" (tracked
// origins null and "editor", plus an untracked "other"), remote edits from a second peer applied in
// between (origin "remote"), undo / redo / stopCapturing / clear and clock ticks runs in yjs 13.6
// (Y.UndoManager over a text and a map, captureTimeout driven by a fake clock) and in codesync
// (through codesync_undo_peer). After every step both must agree on the text and map of both
// peers, on whether undo/redo changed something, and on the stack depths; cursors (relative
// positions) taken in the editor's text must resolve alike, following re-created content; and at
// the end the editor's encoded state must be byte-identical to yjs's (same ids for re-created content).
//
//   node undo.mjs --peer <codesync_undo_peer> [--seeds N] [--start S] [--seed S --verbose]
import { clock } from './fake_clock.mjs'
import * as Y from 'yjs'
import { DriverProcess } from './peer.mjs'
import { makeRng } from './rng.mjs'

const argv = process.argv.slice(2)
const opt = (name, dflt) => {
  const i = argv.indexOf(name)
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt
}
const PEER = opt('--peer', process.env.INTEROP_PEER)
const ONE = opt('--seed', null)
const SEEDS = Number(opt('--seeds', process.env.UNDO_SEEDS || 400))
const START = Number(opt('--start', 1))
const VERBOSE = argv.includes('--verbose')
if (!PEER) {
  console.error('usage: node undo.mjs --peer <codesync_undo_peer>')
  process.exit(2)
}

const hex = (s) => s.length === 0 ? '-' : Buffer.from(s, 'utf8').toString('hex')
const unhexStr = (h) => h === '-' ? '' : Buffer.from(h, 'hex').toString('utf8')
const originTok = (o) => o === null ? '~' : hex(o)
const canon = (v) => {
  if (Array.isArray(v)) return '[' + v.map(canon).join(',') + ']'
  if (v && typeof v === 'object') return '{' + Object.keys(v).sort().map(k => JSON.stringify(k) + ':' + canon(v[k])).join(',') + '}'
  return JSON.stringify(v)
}
const ALPHABET = ['a', 'b', 'c', 'x', 'y', ' ', 'é', '😀']

/** A random script: only the choices; indices are resolved against the yjs text at run time. */
function makeScript (rng) {
  const steps = []
  const n = rng.int(10, 60)
  for (let i = 0; i < n; i++) {
    const kind = rng.pick([
      'e-ins', 'e-ins', 'e-ins', 'e-del', 'e-del', 'e-mset', 'e-mdel', 'e-mtext', 'e-ntext', 'e-ntext',
      'r-ins', 'r-del', 'r-mset', 'r-ntext',
      'sync-re', 'sync-re', 'sync-er', 'sync-er', 'sync-re-null', 'pos',
      'tick', 'tick', 'undo', 'undo', 'undo', 'redo', 'redo', 'stop', i % 17 === 16 ? 'clear' : 'stop'
    ])
    const origin = rng.pick([null, 'editor', 'editor', 'other'])
    const str = Array.from({ length: rng.int(1, 4) }, () => rng.pick(ALPHABET)).join('')
    steps.push({ kind, origin, str, a: rng.int(0, 1 << 30), b: rng.int(1, 4), key: rng.pick(['p', 'q', 'r']), val: rng.int(0, 99), dt: rng.pick([0, 100, 300, 499, 500, 800]) })
  }
  return { timeout: rng.pick([0, 500, 500, 500, 1e9]), gc: rng.chance(0.7), steps }
}

/** UTF-16 index of code point `cp` in s. */
const u16At = (s, cp) => Array.from(s).slice(0, cp).join('').length

function runSeed (driver, seed) {
  const rng = makeRng(seed)
  const script = makeScript(rng)
  clock.now = 1_000_000
  const E = new Y.Doc({ gc: script.gc })
  E.clientID = 1
  const R = new Y.Doc({ gc: script.gc })
  R.clientID = 2
  const um = new Y.UndoManager([E.getText('t'), E.getMap('m')], {
    captureTimeout: script.timeout, trackedOrigins: new Set([null, 'editor'])
  })
  const docs = [E, R]
  driver.call('reset')
  driver.call('new', 0, 1, script.gc ? 1 : 0, 0)
  driver.call('new', 1, 2, script.gc ? 1 : 0, 0)
  driver.call('um', 0, script.timeout)
  driver.call('time', 0, clock.now)
  const log = []
  const positions = []
  const fail = (msg) => {
    const err = new Error(`seed ${seed} (timeout ${script.timeout}, gc ${script.gc}): ${msg}\n  steps:\n    ${log.join('\n    ')}`)
    err.seedFailure = true
    throw err
  }
  for (const st of script.steps) {
    const side = st.kind[0] === 'e' ? 0 : 1
    const doc = docs[side]
    const text = doc.getText('t')
    const s = text.toString()
    const cps = Array.from(s).length
    let entry = st.kind
    let yChanged = null
    let cChanged = null
    switch (st.kind) {
      case 'e-ins': case 'r-ins': {
        const cp = st.a % (cps + 1)
        const i = u16At(s, cp)
        const origin = side === 0 ? st.origin : null
        entry += ` ${JSON.stringify(origin)} @${i} ${JSON.stringify(st.str)}`
        doc.transact(() => text.insert(i, st.str), origin)
        driver.call('insert', side, 't', originTok(origin), i, hex(st.str))
        break
      }
      case 'e-del': case 'r-del': {
        if (cps === 0) { entry += ' (empty)'; break }
        const cp = st.a % cps
        const cpLen = Math.min(st.b, cps - cp)
        const i = u16At(s, cp)
        const len = u16At(s, cp + cpLen) - i
        const origin = side === 0 ? st.origin : null
        entry += ` ${JSON.stringify(origin)} @${i} -${len}`
        doc.transact(() => text.delete(i, len), origin)
        driver.call('delete', side, 't', originTok(origin), i, len)
        break
      }
      case 'e-mset': case 'r-mset': {
        const origin = side === 0 ? st.origin : null
        entry += ` ${JSON.stringify(origin)} ${st.key}=${st.val}`
        doc.transact(() => doc.getMap('m').set(st.key, st.val), origin)
        driver.call('mset', side, originTok(origin), hex(st.key), hex(String(st.val)))
        break
      }
      case 'e-mtext': {
        entry += ` ${JSON.stringify(st.origin)} ${st.key}=Text(${JSON.stringify(st.str)})`
        doc.transact(() => doc.getMap('m').set(st.key, new Y.Text(st.str)), st.origin)
        driver.call('mtext', 0, originTok(st.origin), hex(st.key), hex(st.str))
        break
      }
      case 'e-ntext': case 'r-ntext': {
        const nested = doc.getMap('m').get(st.key)
        if (!(nested instanceof Y.Text)) { entry += ` ${st.key} (no text)`; break }
        const ns = nested.toString()
        const i = u16At(ns, st.a % (Array.from(ns).length + 1))
        const origin = side === 0 ? st.origin : null
        entry += ` ${JSON.stringify(origin)} ${st.key}@${i} ${JSON.stringify(st.str)}`
        doc.transact(() => nested.insert(i, st.str), origin)
        driver.call('ninsert', side, originTok(origin), hex(st.key), i, hex(st.str))
        break
      }
      case 'e-mdel': {
        entry += ` ${JSON.stringify(st.origin)} ${st.key}`
        doc.transact(() => doc.getMap('m').delete(st.key), st.origin)
        driver.call('mdel', 0, originTok(st.origin), hex(st.key))
        break
      }
      case 'sync-re': case 'sync-er': {
        const [from, to] = st.kind === 'sync-re' ? [1, 0] : [0, 1]
        Y.applyUpdate(docs[to], Y.encodeStateAsUpdate(docs[from], Y.encodeStateVector(docs[to])), 'remote')
        driver.call('sync', from, to)
        break
      }
      case 'sync-re-null': {
        // A remote update applied without an origin: the null origin is tracked, so (as in yjs) the
        // undo manager records it like a local change.
        const update = Y.encodeStateAsUpdate(R, Y.encodeStateVector(E))
        Y.applyUpdate(E, update)
        driver.call('apply', 0, update.length ? Buffer.from(update).toString('hex') : '-', '~')
        break
      }
      case 'pos': {
        // A cursor in E's text; positions follow content that undo re-creates (followRedone).
        const es = E.getText('t').toString()
        const i = u16At(es, st.a % (Array.from(es).length + 1))
        const assoc = st.b % 2 ? -1 : 0
        const bin = Y.encodeRelativePosition(Y.createRelativePositionFromTypeIndex(E.getText('t'), i, assoc))
        const [cBin] = driver.call('relpos', 0, 't', i, assoc)
        entry += ` @${i}/${assoc}`
        if (cBin !== Buffer.from(bin).toString('hex')) { log.push(entry); fail(`position bytes: codesync ${cBin}, yjs ${Buffer.from(bin).toString('hex')}`) }
        positions.push(bin)
        break
      }
      case 'tick':
        clock.now += st.dt
        entry += ` +${st.dt}`
        driver.call('time', 0, clock.now)
        break
      case 'undo': case 'redo': {
        yChanged = (st.kind === 'undo' ? um.undo() : um.redo()) != null ? 1 : 0
        const t = driver.call(st.kind, 0)
        cChanged = Number(t[0])
        entry += ` -> ${yChanged}`
        stats[st.kind] += yChanged
        if (Number(t[1]) !== um.undoStack.length || Number(t[2]) !== um.redoStack.length) {
          log.push(entry)
          fail(`stack depths: codesync ${t[1]}/${t[2]}, yjs ${um.undoStack.length}/${um.redoStack.length}`)
        }
        break
      }
      case 'stop':
        um.stopCapturing()
        driver.call('stop', 0)
        break
      case 'clear':
        um.clear()
        driver.call('clear', 0)
        break
    }
    log.push(entry)
    if (yChanged !== cChanged) fail(`${st.kind} changed: codesync ${cChanged}, yjs ${yChanged}`)
    for (const bin of positions) {
      const abs = Y.createAbsolutePositionFromRelativePosition(Y.decodeRelativePosition(bin), E)
      const want = abs === null ? [2, 0] : (abs.type._item !== null && abs.type._item.deleted) ? [1, 0] : [0, abs.index]
      const got = driver.call('resolve', 0, Buffer.from(bin).toString('hex')).map(Number)
      if (got[0] !== want[0] || got[1] !== want[1]) fail(`position ${Buffer.from(bin).toString('hex')} resolves to ${got} in codesync, ${want} in yjs`)
    }
    for (const side of [0, 1]) {
      const yt = docs[side].getText('t').toString()
      const ct = unhexStr(driver.call('text', side, 't')[0])
      if (yt !== ct) fail(`text of ${side ? 'R' : 'E'}: codesync ${JSON.stringify(ct)}, yjs ${JSON.stringify(yt)}`)
      const ym = canon(docs[side].getMap('m').toJSON())
      const cm = canon(JSON.parse(unhexStr(driver.call('map', side)[0])))
      if (ym !== cm) fail(`map of ${side ? 'R' : 'E'}: codesync ${cm}, yjs ${ym}`)
    }
  }
  // Finally both peers converge, in both implementations alike.
  Y.applyUpdate(E, Y.encodeStateAsUpdate(R, Y.encodeStateVector(E)), 'remote')
  Y.applyUpdate(R, Y.encodeStateAsUpdate(E, Y.encodeStateVector(R)), 'remote')
  driver.call('sync', 1, 0)
  driver.call('sync', 0, 1)
  const final = unhexStr(driver.call('text', 1, 't')[0])
  if (final !== R.getText('t').toString()) fail(`final text: codesync ${JSON.stringify(final)}, yjs ${JSON.stringify(R.getText('t').toString())}`)
  // Same history, same structs: undo re-creates content under the same ids as yjs.
  const cBytes = driver.call('encode', 0)[0]
  const yBytes = Buffer.from(Y.encodeStateAsUpdate(E)).toString('hex')
  if (cBytes !== yBytes) fail(`E's encoded state differs from yjs's:\n  codesync ${cBytes}\n  yjs      ${yBytes}`)
  um.destroy()
  if (VERBOSE) console.log(`seed ${seed}:\n  ${log.join('\n  ')}\n  final ${JSON.stringify(final)}`)
  return log.length
}

const driver = new DriverProcess(PEER)
const seeds = ONE !== null ? [Number(ONE)] : Array.from({ length: SEEDS }, (_, i) => START + i)
let failed = 0
let steps = 0
const stats = { undo: 0, redo: 0 }
const t0 = process.hrtime.bigint()
for (const seed of seeds) {
  try {
    steps += runSeed(driver, seed)
  } catch (e) {
    failed++
    console.error(e.seedFailure ? e.message : `seed ${seed}: ${e.stack}`)
    if (failed >= 5) break
    if (driver.dead) break
  }
}
driver.call('quit')
const ms = Number((process.hrtime.bigint() - t0) / 1000000n)
console.log(`undo: ${seeds.length} seeds, ${steps} steps (${stats.undo} undos and ${stats.redo} redos that changed the document), ${failed} failed (${ms} ms)`)
process.exit(failed ? 1 : 0)
