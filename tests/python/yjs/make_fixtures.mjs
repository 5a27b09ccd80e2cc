// Writes the yjs-made fixtures that tests/python/test_interop_yjs.py loads:
// for each case, NAME.bin (yjs's encodeStateAsUpdate) and NAME.json (the root
// types' kinds, yjs's own reading of the content, and text deltas).
//
//   node tests/python/yjs/make_fixtures.mjs      (rewrites the files beside it)
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Y } from './yjs.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))

const cases = {
  // Text with non-BMP characters, edited in several transactions.
  text_unicode (doc) {
    const t = doc.getText('t')
    t.insert(0, 'héllo wörld')
    t.insert(5, ' 😀 ')
    t.delete(0, 1)
    t.insert(0, 'H')
    t.insert(t.length, ' 你好 𝄞')
    return { t: 'text' }
  },
  // Formatting and an embed.
  text_formatted (doc) {
    const t = doc.getText('rich')
    t.insert(0, 'bold italic plain')
    t.format(0, 4, { bold: true })
    t.format(5, 6, { italic: true, color: '#f00' })
    t.insertEmbed(11, { image: 'cat.png' })
    t.format(0, 2, { bold: null })
    return { rich: 'text' }
  },
  // Maps and arrays of JSON values with nested shared types.
  nested (doc) {
    const m = doc.getMap('m')
    m.set('number', 42)
    m.set('float', 1.5)
    m.set('string', 'ünïcode')
    m.set('null', null)
    m.set('bool', true)
    m.set('object', { a: [1, 2, { b: 'c' }] })
    const inner = new Y.Map()
    m.set('inner', inner)
    inner.set('k', 'v')
    const text = new Y.Text()
    inner.set('text', text)
    text.insert(0, 'nested text')
    const a = doc.getArray('a')
    a.insert(0, [1, 'two', { three: 3 }])
    const sub = new Y.Array()
    a.push([sub])
    sub.push(['x', 'y'])
    a.delete(1, 1)
    m.delete('bool')
    return { m: 'map', a: 'array' }
  },
  // Two yjs clients editing concurrently, merged.
  concurrent (doc) {
    const other = new Y.Doc()
    other.clientID = 7
    doc.getText('t').insert(0, 'shared ')
    Y.applyUpdate(other, Y.encodeStateAsUpdate(doc))
    doc.getText('t').insert(7, 'from one')
    other.getText('t').insert(0, 'from two: ')
    other.getArray('log').push(['two'])
    doc.getArray('log').push(['one'])
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(other))
    return { t: 'text', log: 'array' }
  }
}

for (const [name, make] of Object.entries(cases)) {
  const doc = new Y.Doc()
  doc.clientID = 1
  const roots = make(doc)
  const json = {}
  const deltas = {}
  for (const [root, kind] of Object.entries(roots)) {
    const type = kind === 'text' ? doc.getText(root) : kind === 'map' ? doc.getMap(root) : doc.getArray(root)
    json[root] = type.toJSON()
    if (kind === 'text') deltas[root] = type.toDelta()
  }
  fs.writeFileSync(path.join(here, `${name}.bin`), Y.encodeStateAsUpdate(doc))
  fs.writeFileSync(path.join(here, `${name}.json`), JSON.stringify({ roots, json, deltas }, null, 2) + '\n')
}
