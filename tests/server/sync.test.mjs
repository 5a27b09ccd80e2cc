// Real y-websocket providers (yjs, ws) against codesync-server: concurrent
// editing converges, a late joiner gets everything, awareness comes and goes.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { withServer, client, waitFor, sleep } from './helpers.mjs'

test('two providers edit one room concurrently and converge', async () => {
  await withServer({}, async (server) => {
    const a = client(server, 'pad')
    const b = client(server, 'pad')
    await a.synced()
    await b.synced()
    // Interleave edits on both sides without waiting, so they cross in flight.
    for (let i = 0; i < 60; i++) {
      const who = i % 2 ? a : b
      const len = who.text.length
      if (i % 7 === 6 && len > 3) {
        who.text.delete(i % len, 1)
      } else {
        who.text.insert((i * 13) % (len + 1), `${i % 2 ? 'a' : 'b'}${i};`)
      }
      if (i % 10 === 0) await sleep(5)
    }
    await waitFor(() => a.text.toString() === b.text.toString(), 'a and b agree')
    const text = a.text.toString()
    assert.ok(text.length > 100, `edits arrived: ${text}`)
    // A third client sees exactly the same state.
    const c = client(server, 'pad')
    await c.synced()
    await waitFor(() => c.text.toString() === text, 'c agrees')
    for (const x of [a, b, c]) x.close()
  })
})

test('a late joiner gets the full state, other rooms stay apart', async () => {
  await withServer({}, async (server) => {
    const a = client(server, 'late')
    await a.synced()
    a.text.insert(0, 'hello world')
    a.doc.getMap('meta').set('lang', 'js')
    const other = client(server, 'elsewhere')
    await other.synced()
    other.text.insert(0, 'other room')
    await sleep(200)
    const b = client(server, 'late')
    await b.synced()
    await waitFor(() => b.text.toString() === 'hello world', 'late joiner has the text')
    assert.equal(b.doc.getMap('meta').get('lang'), 'js')
    const c = client(server, 'elsewhere')
    await c.synced()
    await waitFor(() => c.text.toString() === 'other room', 'the other room has its own text')
    for (const x of [a, b, other, c]) x.close()
  })
})

test('awareness reaches the others and disappears on disconnect', async () => {
  await withServer({}, async (server) => {
    const a = client(server, 'cursors')
    const b = client(server, 'cursors')
    await a.synced()
    await b.synced()
    a.awareness.setLocalStateField('user', { name: 'ada', cursor: 3 })
    await waitFor(() => b.awareness.getStates().get(a.doc.clientID)?.user?.name === 'ada', 'b sees a')
    a.awareness.setLocalStateField('user', { name: 'ada', cursor: 7 })
    await waitFor(() => b.awareness.getStates().get(a.doc.clientID)?.user?.cursor === 7, 'b sees a move')
    // A joiner gets the existing states at once.
    const c = client(server, 'cursors')
    await c.synced()
    await waitFor(() => c.awareness.getStates().get(a.doc.clientID)?.user?.cursor === 7, 'c sees a')
    // a drops its socket without a goodbye: the server removes its state for the others.
    a.provider.ws.terminate()
    a.provider.shouldConnect = false
    await waitFor(() => !b.awareness.getStates().has(a.doc.clientID), 'a gone at b')
    await waitFor(() => !c.awareness.getStates().has(a.doc.clientID), 'a gone at c')
    for (const x of [a, b, c]) x.close()
  })
})
