// A yjs peer for tests/python/test_interop_yjs.py. Reads one JSON request on
// stdin: { update: base64, roots: {name: "text"|"map"|"array"}, edits: [...] }.
// Applies the update to a fresh yjs document (clientID 99), reports yjs's
// reading of it, makes the edits, and answers on stdout with
// { before: {root: json}, deltas: {root: delta}, after: {root: json},
//   update: base64 of the whole state, stateVector: base64 }.
// Edits: {root, op: "insert"|"delete", index, text|length} on texts,
//        {root, op: "set", key, value} on maps, {root, op: "push", values} on arrays.
import { Y } from './yjs.mjs'

let input = ''
for await (const chunk of process.stdin) input += chunk
const req = JSON.parse(input)

const doc = new Y.Doc()
doc.clientID = 99
Y.applyUpdate(doc, Buffer.from(req.update, 'base64'))
const get = (name) => {
  const kind = req.roots[name]
  return kind === 'text' ? doc.getText(name) : kind === 'map' ? doc.getMap(name) : doc.getArray(name)
}
const read = () => Object.fromEntries(Object.keys(req.roots).map((n) => [n, get(n).toJSON()]))

const before = read()
const deltas = {}
for (const [name, kind] of Object.entries(req.roots)) if (kind === 'text') deltas[name] = get(name).toDelta()
doc.transact(() => {
  for (const e of req.edits || []) {
    const type = get(e.root)
    if (e.op === 'insert') type.insert(e.index, e.text)
    else if (e.op === 'delete') type.delete(e.index, e.length)
    else if (e.op === 'set') type.set(e.key, e.value)
    else if (e.op === 'push') type.push(e.values)
    else throw new Error(`unknown edit ${e.op}`)
  }
})
process.stdout.write(JSON.stringify({
  before,
  deltas,
  after: read(),
  update: Buffer.from(Y.encodeStateAsUpdate(doc)).toString('base64'),
  stateVector: Buffer.from(Y.encodeStateVector(doc)).toString('base64')
}))
