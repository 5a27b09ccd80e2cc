// Relative positions against yjs 13.6: for seeded documents (a root text and a text nested in a map,
// in every offset unit, with and without gc), positions made by yjs and by codesync at the same
// places must be byte-identical (binary and JSON); after concurrent edits by two yjs peers (which may
// also delete or replace the nested text), yjs-made positions (binary and JSON) resolve in codesync
// to the index yjs computes, converted to the document's unit, with "type deleted" / "not found"
// where yjs reports a deleted type / null; codesync-made JSON resolves in yjs likewise.
//
//   node positions.mjs --peer <codesync_undo_peer> [--seeds N] [--seed S]
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
const SEEDS = Number(opt('--seeds', process.env.POSITIONS_SEEDS || 300))
if (!PEER) {
  console.error('usage: node positions.mjs --peer <codesync_undo_peer>')
  process.exit(2)
}

const hex = (u8) => u8.length === 0 ? '-' : Buffer.from(u8).toString('hex')
const unhex = (h) => h === '-' ? new Uint8Array() : new Uint8Array(Buffer.from(h, 'hex'))
const strHex = (s) => hex(Buffer.from(s, 'utf8'))
const ALPHABET = ['a', 'b', 'c', 'x', ' ', 'é', '😀', '中']
const UNITS = ['utf16', 'utf8', 'codepoints']
const u16At = (s, cp) => Array.from(s).slice(0, cp).join('').length
const toUnit = (s, u16, unit) => {
  const prefix = s.slice(0, u16)
  return unit === 0 ? u16 : unit === 1 ? Buffer.byteLength(prefix, 'utf8') : Array.from(prefix).length
}

function randomEdit (rng, doc) {
  const useNested = rng.chance(0.4) && doc.getMap('m').get('k') instanceof Y.Text
  const text = useNested ? doc.getMap('m').get('k') : doc.getText('t')
  const s = text.toString()
  const cps = Array.from(s).length
  if (cps > 0 && rng.chance(0.4)) {
    const cp = rng.int(0, cps - 1)
    const n = rng.int(1, Math.min(3, cps - cp))
    const i = u16At(s, cp)
    text.delete(i, u16At(s, cp + n) - i)
  } else {
    const str = Array.from({ length: rng.int(1, 5) }, () => rng.pick(ALPHABET)).join('')
    text.insert(u16At(s, rng.int(0, cps)), str)
  }
}

const sync = (a, b) => {
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)))
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)))
}

/** yjs's resolution of a position in doc, as [state, index in unit]. */
function yResolve (doc, rpos, unit) {
  const abs = Y.createAbsolutePositionFromRelativePosition(rpos, doc)
  if (abs === null) return [2, 0]
  if (abs.type._item !== null && abs.type._item.deleted) return [1, 0]
  return [0, toUnit(abs.type.toString(), abs.index, unit)]
}

const stats = { positions: 0, found: 0, deleted: 0, missing: 0 }

function runSeed (driver, seed) {
  const rng = makeRng(seed)
  const unit = rng.int(0, 2)
  const gc = rng.chance(0.6)
  const A = new Y.Doc({ gc })
  A.clientID = 1
  const B = new Y.Doc({ gc })
  B.clientID = 2
  B.getText('t') // define the root as a text (an undefined root reads as a plain AbstractType)
  const fail = (msg) => { throw new Error(`seed ${seed} (${UNITS[unit]}, gc ${gc}): ${msg}`) }
  A.getMap('m').set('k', new Y.Text())
  for (let i = rng.int(1, 8); i > 0; i--) randomEdit(rng, A)
  sync(A, B)
  driver.call('reset')
  driver.call('new', 0, 100, gc ? 1 : 0, unit)
  driver.call('apply', 0, hex(Y.encodeStateAsUpdate(A)), '~')

  const positions = []
  for (let i = rng.int(1, 10); i > 0; i--) {
    const which = rng.chance(0.35) ? 'n' : 't'
    const type = which === 'n' ? A.getMap('m').get('k') : A.getText('t')
    const s = type.toString()
    const u16 = u16At(s, rng.int(0, Array.from(s).length))
    const assoc = rng.pick([0, 0, -1, -1, 1, 2, -3])
    const rpos = Y.createRelativePositionFromTypeIndex(type, u16, assoc)
    const bin = Y.encodeRelativePosition(rpos)
    const json = JSON.stringify(Y.relativePositionToJSON(rpos))
    const [cBin, cBinJson, cJson] = driver.call('relpos', 0, which, toUnit(s, u16, unit), assoc)
    if (cBin !== hex(bin)) fail(`position bytes at ${which}:${u16} assoc ${assoc}: codesync ${cBin}, yjs ${hex(bin)}`)
    const cJsonStr = Buffer.from(unhex(cJson)).toString('utf8')
    if (cJsonStr !== json) fail(`position JSON at ${which}:${u16} assoc ${assoc}: codesync ${cJsonStr}, yjs ${json}`)
    const binJson = JSON.stringify(Y.relativePositionToJSON(Y.decodeRelativePosition(bin)))
    const cBinJsonStr = Buffer.from(unhex(cBinJson)).toString('utf8')
    if (cBinJsonStr !== binJson) fail(`JSON of decoded bytes at ${which}:${u16}: codesync ${cBinJsonStr}, yjs ${binJson}`)
    positions.push({ bin, json, cJsonStr, where: `${which}:${u16}/${assoc}` })
  }

  // Concurrent edits by both peers, then both states meet.
  for (let i = rng.int(1, 12); i > 0; i--) randomEdit(rng, rng.chance(0.5) ? A : B)
  if (rng.chance(0.15)) B.getMap('m').delete('k')
  else if (rng.chance(0.1)) A.getMap('m').set('k', new Y.Text('fresh'))
  for (let i = rng.int(0, 6); i > 0; i--) randomEdit(rng, rng.chance(0.5) ? A : B)
  sync(A, B)
  driver.call('apply', 0, hex(Y.encodeStateAsUpdate(A)), '~')

  for (const p of positions) {
    const want = yResolve(A, Y.decodeRelativePosition(p.bin), unit)
    const fromBin = driver.call('resolve', 0, hex(p.bin)).map(Number)
    const fromJson = driver.call('resolve_json', 0, strHex(p.json)).map(Number)
    for (const [name, got] of [['binary', fromBin], ['JSON', fromJson]]) {
      if (got[0] !== want[0] || (want[0] === 0 && got[1] !== want[1])) {
        fail(`${name} position ${p.where} resolves to state ${got[0]} index ${got[1]} in codesync, yjs: state ${want[0]} index ${want[1]}`)
      }
    }
    const back = yResolve(B, Y.createRelativePositionFromJSON(JSON.parse(p.cJsonStr)), unit)
    if (back[0] !== want[0] || back[1] !== want[1]) fail(`codesync JSON ${p.cJsonStr} resolves in yjs to ${back}, expected ${want}`)
    stats.positions++
    stats[['found', 'deleted', 'missing'][want[0]]]++
  }
}

const driver = new DriverProcess(PEER)
const seeds = ONE !== null ? [Number(ONE)] : Array.from({ length: SEEDS }, (_, i) => i + 1)
let failed = 0
for (const seed of seeds) {
  try {
    runSeed(driver, seed)
  } catch (e) {
    failed++
    console.error(e.message)
    if (failed >= 5 || driver.dead) break
  }
}
driver.call('quit')
console.log(`positions: ${seeds.length} seeds, ${stats.positions} positions (${stats.found} found, ${stats.deleted} in deleted types, ${stats.missing} not found), ${failed} failed`)
process.exit(failed ? 1 : 0)
