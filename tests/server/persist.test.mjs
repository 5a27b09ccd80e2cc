// Durability: every edit a client has seen survives kill -9 and restart;
// SIGTERM closes sockets with 1001 after flushing; idle rooms are compacted,
// unloaded and load again.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { withServer, client, rawSocket, waitFor, sleep } from './helpers.mjs'

test('kill -9 and restart: every acknowledged edit is there', async () => {
  // A small compaction threshold, so the state is split between a snapshot and the log.
  await withServer({ args: ['--compact-after', '7'] }, async (server) => {
    const a = client(server, 'durable')
    const b = client(server, 'durable')
    await a.synced()
    await b.synced()
    for (let i = 0; i < 40; i++) {
      a.text.insert(a.text.length, `${i},`)
      if (i % 3 === 0) a.doc.getMap('m').set(`k${i}`, i)
      // Acknowledged: the server relayed it, so it was stored before that.
      await waitFor(() => b.text.toString() === a.text.toString(), `edit ${i} relayed`)
    }
    const acked = b.text.toString()
    await waitFor(async () => (await server.metrics()).codesync_compactions_total >= 1, 'a compaction ran')
    // More acknowledged edits after the last compaction, then the crash.
    a.text.insert(0, 'last:')
    await waitFor(() => b.text.toString() === a.text.toString(), 'final edit relayed')
    const final = b.text.toString()
    assert.ok(final.length > acked.length)
    const { signal } = await server.kill9()
    assert.equal(signal, 'SIGKILL')

    await server.start()
    const c = client(server, 'durable')
    await c.synced()
    assert.equal(c.text.toString(), final)
    assert.equal(c.doc.getMap('m').get('k39'), 39)
    // The old providers reconnect by themselves and carry on with the restarted server.
    await waitFor(() => a.provider.wsconnected && b.provider.wsconnected, 'a and b reconnected')
    a.text.insert(0, 'after:')
    await waitFor(() => c.text.toString().startsWith('after:last:'), 'post-restart edit reaches c')
    for (const x of [a, b, c]) x.close()
  })
})

test('SIGTERM closes connections with 1001 after flushing, and exits 0', async () => {
  await withServer({}, async (server) => {
    const a = client(server, 'graceful')
    await a.synced()
    const ws = await rawSocket(server, '/graceful')
    a.text.insert(0, 'written just before shutdown')
    const closed = new Promise((resolve) => a.provider.once('connection-close', (ev) => resolve(ev.code)))
    await sleep(50)
    const { code } = await server.stop('SIGTERM')
    assert.equal(code, 0)
    assert.equal(await closed, 1001)
    assert.equal((await ws.closed).code, 1001)
    a.provider.shouldConnect = false
    await server.start()
    const b = client(server, 'graceful')
    await b.synced()
    assert.equal(b.text.toString(), 'written just before shutdown')
    for (const x of [a, b]) x.close()
    ws.terminate()
  })
})

test('an empty room is compacted, unloaded, and loads again', async () => {
  await withServer({ args: ['--unload-after-ms', '0'] }, async (server) => {
    const a = client(server, 'idle')
    await a.synced()
    for (let i = 0; i < 10; i++) a.text.insert(0, `${i}`)
    await waitFor(async () => (await server.metrics()).codesync_updates_total >= 10, 'updates stored')
    let m = await server.metrics()
    assert.equal(m.codesync_rooms_loaded, 1)
    a.close()
    await waitFor(async () => (await server.metrics()).codesync_rooms_loaded === 0, 'room unloaded')
    await waitFor(async () => (await server.metrics()).codesync_compactions_total >= 1, 'compacted on unload')
    m = await server.metrics()
    assert.ok(m.codesync_rooms_unloaded_total >= 1)
    // Loads again from the snapshot, for REST and for a new client.
    const info = await (await fetch(`${server.url}/rooms/idle`)).json()
    assert.equal(info.text, '9876543210')
    const b = client(server, 'idle')
    await b.synced()
    assert.equal(b.text.toString(), '9876543210')
    b.close()
  })
})

test('rooms reload whole while compactions of them run', async () => {
  // Every update triggers a compaction and every disconnect an unload, so loads and
  // compactions of the same room overlap.
  await withServer({ args: ['--compact-after', '1', '--unload-after-ms', '0'] }, async (server) => {
    let expected = ''
    for (let i = 0; i < 15; i++) {
      const a = client(server, 'churn')
      await a.synced()
      assert.equal(a.text.toString(), expected, `round ${i}`)
      for (let k = 0; k < 3; k++) a.text.insert(0, `${i}.${k};`)
      expected = a.text.toString()
      await waitFor(async () => (await server.metrics()).codesync_updates_total >= 3 * (i + 1), `round ${i} stored`)
      a.close()
      if (i % 3 === 0) await sleep(600)  // sometimes let the unload happen first
    }
    assert.ok((await server.metrics()).codesync_compactions_total >= 5)
  })
})
