// Writes the y-protocols-made fixtures that tests/python/test_awareness.py and
// test_sync.py load: NAME.bin (bytes y-protocols produced) and NAME.json (what
// y-protocols says they hold).
//
//   node tests/python/yprotocols/make_fixtures.mjs      (rewrites the files beside it)
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Y, awarenessProtocol, syncProtocol, syncFrame, awarenessFrame } from './yprotocols.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const write = (name, bytes, json) => {
  fs.writeFileSync(path.join(here, `${name}.bin`), bytes)
  fs.writeFileSync(path.join(here, `${name}.json`), JSON.stringify(json, null, 2) + '\n')
}

function awarenessOf (clientID) {
  const doc = new Y.Doc()
  doc.clientID = clientID
  return new awarenessProtocol.Awareness(doc)
}

function statesOf (aw) {
  const states = {}
  for (const [client, state] of aw.getStates()) states[client] = state
  const clocks = {}
  for (const [client, meta] of aw.meta) clocks[client] = meta.clock
  return { states, clocks }
}

const awarenesses = []

// Two clients' states, one of them remote, with non-ASCII text.
{
  const a = awarenessOf(1)
  const b = awarenessOf(2)
  awarenesses.push(a, b)
  a.setLocalState({ user: { name: 'Ann', color: '#f00' }, cursor: { anchor: 3, head: 5 } })
  a.setLocalStateField('cursor', { anchor: 4, head: 4 })
  b.setLocalState({ user: { name: 'Zoë 😀' }, list: [1, 2.5, null, true] })
  awarenessProtocol.applyAwarenessUpdate(a, awarenessProtocol.encodeAwarenessUpdate(b, [2]), 'remote')
  write('awareness_states', awarenessProtocol.encodeAwarenessUpdate(a, [1, 2]), statesOf(a))

  // Client 1 goes away: its state becomes null with a newer clock.
  a.setLocalState(null)
  write('awareness_removal', awarenessProtocol.encodeAwarenessUpdate(a, [1]), statesOf(a))
}

// A sync session as y-websocket's client starts it, against a document with content.
{
  const doc = new Y.Doc()
  doc.clientID = 5
  doc.getText('t').insert(0, 'hello from y-protocols')
  doc.getMap('m').set('k', 'v')
  const empty = new Y.Doc()
  const updates = []
  doc.on('update', (u) => updates.push(u))
  doc.getText('t').insert(5, ',')
  write('sync_step1', syncFrame((enc) => syncProtocol.writeSyncStep1(enc, doc)), {
    stateVector: Array.from(Y.encodeStateVector(doc))
  })
  write('sync_step2', syncFrame((enc) => syncProtocol.writeSyncStep2(enc, doc, Y.encodeStateVector(empty))), {
    t: doc.getText('t').toString(),
    m: doc.getMap('m').toJSON()
  })
  write('sync_update', syncFrame((enc) => syncProtocol.writeUpdate(enc, updates[0])), {})
  const aw = awarenessOf(5)
  awarenesses.push(aw)
  aw.setLocalState({ name: 'provider' })
  write('sync_awareness', awarenessFrame(awarenessProtocol.encodeAwarenessUpdate(aw, [5])), statesOf(aw))
}

for (const aw of awarenesses) aw.destroy()
