// The Node peers (yjs, ywasm, loro-crdt, @automerge/automerge) on the benchmark
// workloads of bench/README.md; prints one JSON line, like the native peers.
//
//   node --expose-gc peer.mjs <yjs|ywasm|loro-crdt|automerge> <trace.json.gz> <workload> <reps>
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { performance } from 'node:perf_hooks'

// The wasm peers keep their documents in WebAssembly linear memory, which
// process.memoryUsage() does not show: every instance's memory is recorded
// here so the memory figure can add its growth (a high-water mark: linear
// memory never shrinks).
const wasmMemories = []
WebAssembly.Instance = new Proxy(WebAssembly.Instance, {
  construct (target, args) {
    const instance = Reflect.construct(target, args)
    for (const e of Object.values(instance.exports)) if (e instanceof WebAssembly.Memory) wasmMemories.push(e)
    return instance
  },
})

const [peerName, tracePath, workload, repsArg] = process.argv.slice(2)
const reps = Math.max(1, Number(repsArg) || 3)

const out = (obj) => { process.stdout.write(JSON.stringify({ peer: peerName, ...obj }) + '\n') }
const fail = (trace, msg) => {
  out({ trace, workload, ok: false, error: msg })
  process.exit(msg.startsWith('n/a') ? 0 : 1)
}
if (!peerName || !tracePath || !workload) {
  console.error('usage: node --expose-gc peer.mjs <peer> <trace.json.gz> <workload> <reps>')
  process.exit(2)
}

const raw = JSON.parse(zlib.gunzipSync(fs.readFileSync(tracePath)))
const trace = {
  name: path.basename(tracePath).replace(/\.json\.gz$/, ''),
  concurrent: raw.kind === 'concurrent',
  numAgents: raw.numAgents || 1,
  txns: raw.txns.map((t) => ({ patches: t.patches, agent: t.agent || 0, parents: t.parents || [] })),
  end: raw.endContent,
}
// Positions count code points; with no astral characters in any trace they
// are UTF-16 offsets too, JavaScript's unit. Checked, not assumed.
if (/[\uD800-\uDFFF]/.test(trace.end) || trace.txns.some((t) => t.patches.some((p) => /[\uD800-\uDFFF]/.test(p[2])))) {
  fail(trace.name, 'trace holds astral characters; positions would need converting')
}

// Before txn i, the txns its agent's document lacks (trace order). Every
// agent's txns are totally ordered, so a version is a count per agent.
function concurrentPlan (t) {
  const n = t.numAgents
  const byAgent = Array.from({ length: n }, () => [])
  const seen = Array.from({ length: n }, () => new Array(n).fill(0))
  const version = []
  return t.txns.map((txn, i) => {
    const need = new Array(n).fill(0)
    for (const p of txn.parents) for (let a = 0; a < n; a++) need[a] = Math.max(need[a], version[p][a])
    const missing = []
    for (let a = 0; a < n; a++) {
      for (let k = seen[txn.agent][a]; k < need[a]; k++) missing.push(byAgent[a][k])
      seen[txn.agent][a] = Math.max(seen[txn.agent][a], need[a])
    }
    missing.sort((x, y) => x - y)
    need[txn.agent] = byAgent[txn.agent].length + 1
    seen[txn.agent][txn.agent] = need[txn.agent]
    version.push(need)
    byAgent[txn.agent].push(i)
    return missing
  })
}

// Each peer: newDoc(client), edit(doc, txn, first) one transaction,
// observe(doc, sink) per-transaction updates, apply(doc, update),
// text(doc), encode(doc), decode(bytes) -> doc, free(doc).
async function loadPeer (name) {
  if (name === 'yjs') {
    const Y = await import('yjs')
    return {
      newDoc (client) { const d = new Y.Doc(); d.clientID = client; return d },
      edit (d, txn) {
        const text = d.getText('text')
        d.transact(() => {
          for (const [pos, del, ins] of txn.patches) {
            if (del) text.delete(pos, del)
            if (ins) text.insert(pos, ins)
          }
        })
        return d
      },
      observe (d, sink) { d.on('update', (u) => sink.push(u)) },
      apply (d, u) { Y.applyUpdate(d, u); return d },
      text (d) { return d.getText('text').toString() },
      encode (d) { return Y.encodeStateAsUpdate(d) },
      decode (bytes) { const d = new Y.Doc(); Y.applyUpdate(d, bytes); return d },
      free (d) { d.destroy() },
    }
  }
  if (name === 'ywasm') {
    const Y = (await import('ywasm')).default
    return {
      newDoc (client) { return new Y.YDoc({ clientID: client }) },
      edit (d, txn) {
        const text = d.getText('text')
        const tx = d.beginTransaction()
        for (const [pos, del, ins] of txn.patches) {
          if (del) text.delete(pos, del, tx)
          if (ins) text.insert(pos, ins, undefined, tx)
        }
        tx.free() // commits
        return d
      },
      observe (d, sink) { d._sub = d.onUpdate((u) => sink.push(u)) },
      apply (d, u) { Y.applyUpdate(d, u, undefined); return d },
      text (d) { return d.getText('text').toString(undefined) },
      encode (d) { return Y.encodeStateAsUpdate(d, undefined) },
      decode (bytes) { const d = new Y.YDoc({}); Y.applyUpdate(d, bytes, undefined); return d },
      free (d) { if (d._sub) d._sub.free(); d.free() },
    }
  }
  if (name === 'loro-crdt') {
    const { LoroDoc } = await import('loro-crdt')
    return {
      newDoc (client) { const d = new LoroDoc(); d.setPeerId(client); return d },
      edit (d, txn) {
        const text = d.getText('text')
        for (const [pos, del, ins] of txn.patches) {
          if (del) text.delete(pos, del)
          if (ins) text.insert(pos, ins)
        }
        d.commit()
        return d
      },
      observe (d, sink) { d._sub = d.subscribeLocalUpdates((u) => sink.push(u)) },
      apply (d, u) { d.import(u); return d },
      text (d) { return d.getText('text').toString() },
      encode (d) { return d.export({ mode: 'snapshot' }) },
      decode (bytes) { const d = new LoroDoc(); d.import(bytes); return d },
      free (d) { if (d._sub) d._sub(); d.free() },
    }
  }
  if (name === 'automerge') {
    // Automerge's own low-level API (the wasm document behind getBackend): the
    // documented A.change / A.applyChanges path rebuilds the materialized JS
    // string on every change and takes minutes on 26k edits (bench/README.md).
    const A = await import('@automerge/automerge')
    const actor = (client) => client.toString(16).padStart(8, '0')
    // Every document starts from the same change that creates the text, made
    // once by a fixed actor, so concurrent agents share one text object.
    const base = A.getBackend(A.init({ actor: 'ffffffff' }))
    const textId = base.putObject('_root', 'text', '')
    base.commit()
    const baseChange = base.getLastLocalChange()
    return {
      newDoc (client) {
        const h = A.getBackend(A.init({ actor: actor(client) }))
        h.applyChanges([baseChange])
        return h
      },
      edit (h, txn) {
        for (const [pos, del, ins] of txn.patches) h.splice(textId, pos, del, ins)
        h.commit()
        return h
      },
      observe () {},
      lastUpdate (h) { return h.getLastLocalChange() },
      apply (h, u) { h.applyChanges([u]); return h },
      text (h) { return h.text(textId) },
      encode (h) { return h.save() },
      decode (bytes) { return { doc: A.load(bytes) } }, // the public API: load, then read .text
      decodedText (d) { return d.doc.text },
      free (h) { if (h.doc) A.free(h.doc); else h.free() },
    }
  }
  throw new Error(`unknown peer ${name}`)
}

let peer
try {
  peer = await loadPeer(peerName)
} catch (e) {
  fail(trace.name, `cannot load ${peerName}: ${e.message}`)
}

function localReplay () {
  let d = peer.newDoc(1)
  for (const txn of trace.txns) d = peer.edit(d, txn)
  return d
}

// The update per txn of a local replay (or one document per agent for a concurrent trace).
function recordUpdates () {
  const plan = trace.concurrent ? concurrentPlan(trace) : null
  const agents = trace.concurrent ? trace.numAgents : 1
  const docs = []
  const sinks = []
  for (let a = 0; a < agents; a++) {
    docs.push(peer.newDoc(a + 1))
    sinks.push([])
    peer.observe(docs[a], sinks[a])
  }
  const updates = []
  trace.txns.forEach((txn, i) => {
    const a = trace.concurrent ? txn.agent : 0
    if (plan) for (const j of plan[i]) if (updates[j]) docs[a] = peer.apply(docs[a], updates[j])
    sinks[a].length = 0
    docs[a] = peer.edit(docs[a], txn)
    const u = peer.lastUpdate ? (txn.patches.length ? peer.lastUpdate(docs[a]) : null) : sinks[a].pop()
    if (sinks[a].length) fail(trace.name, 'a txn emitted several updates')
    updates.push(u || null)
  })
  for (const d of docs) peer.free(d)
  return updates
}

const wall = []
const cpu = []
function timed (f) {
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  const r = f()
  const t1 = performance.now()
  const c = process.cpuUsage(c0)
  wall.push(t1 - t0)
  cpu.push((c.user + c.system) / 1000)
  return r
}
// At least `reps` runs; short workloads run more (up to 30 runs or 300 ms in
// all) so a millisecond median is not one cold run's luck.
const moreRuns = () => wall.length < reps || (wall.length < 30 && wall.reduce((a, b) => a + b, 0) < 300)
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]
const check = (text, what) => { if (text !== trace.end) fail(trace.name, `${what}: final text differs from endContent`) }
const heap = () => {
  globalThis.gc?.()
  globalThis.gc?.()
  const m = process.memoryUsage()
  const wasm = wasmMemories.reduce((sum, mem) => sum + mem.buffer.byteLength, 0)
  return { js: m.heapUsed + m.external, wasm, rss: m.rss }
}

const extra = {}
try {
  if (workload === 'local' && !trace.concurrent) {
    // Memory: wasm linear memory grows on the first build only (it never
    // shrinks, and freed blocks are reused), so its growth is taken there; the
    // JS heap is taken on a build after the timed runs, once JIT code exists.
    const m0 = heap()
    const first = localReplay()
    const m1 = heap()
    check(peer.text(first), 'local')
    peer.free(first)
    while (moreRuns()) {
      const d = timed(localReplay)
      check(peer.text(d), 'local')
      peer.free(d)
    }
    const m2 = heap()
    const doc = localReplay()
    const m3 = heap()
    extra.doc_wasm_bytes = m1.wasm - m0.wasm
    extra.doc_js_bytes = m3.js - m2.js
    extra.doc_bytes = extra.doc_wasm_bytes + extra.doc_js_bytes
    extra.doc_rss_bytes = m1.rss - m0.rss
    extra.chars = [...trace.end].length
    check(peer.text(doc), 'local')
  } else if ((workload === 'remote' && !trace.concurrent) || (workload === 'concurrent' && trace.concurrent)) {
    const updates = recordUpdates().filter((u) => u)
    while (moreRuns()) {
      const d = timed(() => { let d = peer.newDoc(1000); for (const u of updates) d = peer.apply(d, u); return d })
      check(peer.text(d), workload)
      peer.free(d)
    }
    extra.bytes = updates.reduce((s, u) => s + u.length, 0)
    extra.updates = updates.length
  } else if (workload === 'encode' && !trace.concurrent) {
    const d = localReplay()
    let bytes
    while (moreRuns()) bytes = timed(() => peer.encode(d))
    extra.bytes = bytes.length
    // BENCH_DUMP_DIR: keep the encoded state (run.sh compares ours with yjs's).
    if (process.env.BENCH_DUMP_DIR) fs.writeFileSync(path.join(process.env.BENCH_DUMP_DIR, `${peerName}-${trace.name}.bin`), bytes)
  } else if (workload === 'decode' && !trace.concurrent) {
    const src = localReplay()
    const bytes = peer.encode(src)
    peer.free(src)
    while (moreRuns()) {
      const [d, text] = timed(() => { const d = peer.decode(bytes); return [d, (peer.decodedText || peer.text)(d)] })
      check(text, 'decode')
      peer.free(d)
    }
    extra.bytes = bytes.length
  } else {
    fail(trace.name, 'n/a: workload does not apply to this trace')
  }
} catch (e) {
  fail(trace.name, `${e.name}: ${e.message}`)
}
const round = (v) => v.map((x) => Number(x.toFixed(4)))
out({
  trace: trace.name,
  workload,
  ok: true,
  runs_ms: round(wall),
  cpu_runs_ms: round(cpu),
  median_ms: Number(median(wall).toFixed(4)),
  cpu_median_ms: Number(median(cpu).toFixed(4)),
  peak_rss: process.resourceUsage().maxRSS * 1024,
  ...extra,
})
