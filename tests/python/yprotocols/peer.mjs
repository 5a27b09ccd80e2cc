// A y-protocols awareness peer for tests/python/test_awareness.py. Reads one
// JSON request on stdin: { update: base64, state: any }. Applies the update to
// a fresh y-protocols Awareness (clientID 77, origin "python"), reports what it
// then holds, sets its own local state to `state`, and answers on stdout with
// { states: {client: state}, clocks: {client: clock}, events: [...],
//   update: base64 of encodeAwarenessUpdate for every known client }.
import { Y, awarenessProtocol } from './yprotocols.mjs'

let input = ''
for await (const chunk of process.stdin) input += chunk
const req = JSON.parse(input)

const doc = new Y.Doc()
doc.clientID = 77
const aw = new awarenessProtocol.Awareness(doc)
const events = []
aw.on('change', (change, origin) => events.push({ ...change, origin }))
awarenessProtocol.applyAwarenessUpdate(aw, Buffer.from(req.update, 'base64'), 'python')
const states = {}
for (const [client, state] of aw.getStates()) states[client] = state
const clocks = {}
for (const [client, meta] of aw.meta) clocks[client] = meta.clock
aw.setLocalState(req.state)
const update = awarenessProtocol.encodeAwarenessUpdate(aw, [...aw.meta.keys()])
aw.destroy()
process.stdout.write(JSON.stringify({ states, clocks, events, update: Buffer.from(update).toString('base64') }))
