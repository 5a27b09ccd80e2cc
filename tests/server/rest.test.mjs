// The REST API end to end (rooms, health, metrics) and the static file server.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { withServer, client, rawSocket, rawTcp, waitFor, sleep, tempDir, SERVER } from './helpers.mjs'

const json = async (res) => ({ status: res.status, body: res.status === 204 ? null : await res.json() })

test('rooms: create, list with paging, read with text, delete', async () => {
  await withServer({}, async (server) => {
    const post = (body) => fetch(`${server.url}/rooms`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) })
    let r = await json(await post({ name: 'My notes', language: 'markdown' }))
    assert.equal(r.status, 201)
    assert.match(r.body.id, /^[0-9a-f]{16}$/)
    assert.equal(r.body.name, 'My notes')
    assert.equal(r.body.language, 'markdown')
    const created = r.body.id
    r = await json(await post({ id: 'fixed', name: 'Fixed' }))
    assert.equal(r.status, 201)
    assert.equal(r.body.language, 'plaintext', 'default language')
    assert.equal((await post({ id: 'fixed', name: 'Again' })).status, 409)
    for (const bad of ['not json', '[]', '{}', { name: '' }, { name: 5 }, { name: 'x', language: 3 }, { name: 'x'.repeat(201) }]) {
      const res = await json(await post(bad))
      assert.equal(res.status, 400, JSON.stringify(bad))
      assert.ok(res.body.error.length > 0)
    }

    // A room made by a WebSocket client shows up too, with its text.
    const a = client(server, 'fixed')
    await a.synced()
    a.text.insert(0, 'fn main() {}')
    for (let i = 0; i < 5; i++) await post({ id: `page-${i}`, name: `P${i}` })
    await waitFor(async () => (await json(await fetch(`${server.url}/rooms/fixed`))).body.text === 'fn main() {}', 'text via REST')
    r = await json(await fetch(`${server.url}/rooms/fixed`))
    assert.equal(r.body.name, 'Fixed')
    assert.equal(r.body.connections, 1)
    assert.deepEqual(r.body.doc, { monaco: 'fn main() {}' })

    // Paging: 7 rooms, 3 at a time, in id order, nothing twice.
    const seen = []
    let cursor = null
    let pages = 0
    do {
      const q = `limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`
      r = await json(await fetch(`${server.url}/rooms?${q}`))
      assert.equal(r.status, 200)
      assert.ok(r.body.rooms.length <= 3)
      seen.push(...r.body.rooms.map((x) => x.id))
      cursor = r.body.next_cursor
      pages++
    } while (cursor)
    assert.equal(pages, 3)
    assert.deepEqual(seen, [...seen].sort())
    assert.deepEqual(new Set(seen), new Set([created, 'fixed', 'page-0', 'page-1', 'page-2', 'page-3', 'page-4']))
    assert.equal((await fetch(`${server.url}/rooms?limit=0`)).status, 400)
    assert.equal((await fetch(`${server.url}/rooms?limit=x`)).status, 400)

    // Delete: the room's clients are closed, the data is gone.
    const closed = new Promise((resolve) => a.provider.once('connection-close', (ev) => resolve(ev.code)))
    a.provider.shouldConnect = false
    assert.equal((await fetch(`${server.url}/rooms/fixed`, { method: 'DELETE' })).status, 204)
    assert.equal(await closed, 4404)
    assert.equal((await fetch(`${server.url}/rooms/fixed`)).status, 404)
    assert.equal((await fetch(`${server.url}/rooms/fixed`, { method: 'DELETE' })).status, 404)
    assert.equal((await fetch(`${server.url}/rooms/nope`)).status, 404)
    assert.equal((await fetch(`${server.url}/rooms/${created}`, { method: 'PUT' })).status, 405)
    a.close()
    // A WebSocket may not bring it back for --deleted-block-ms; creating it by REST may.
    await assert.rejects(rawSocket(server, '/fixed'), (e) => e.status === 410)
    assert.equal((await post({ id: 'fixed', name: 'Fixed again' })).status, 201)
    const b = client(server, 'fixed')
    await b.synced()
    assert.equal(b.text.toString(), '', 'a deleted room starts empty')
    b.close()
  })
})

test('DELETE closes with 4404 "room deleted"; reconnecting providers are refused (410) for --deleted-block-ms', async () => {
  await withServer({ args: ['--deleted-block-ms', '1500'] }, async (server) => {
    // One provider follows the README's advice (stop on 4404), one just reconnects, and a raw socket sees the reason.
    const polite = client(server, 'gone')
    const stubborn = client(server, 'gone')
    await polite.synced()
    await stubborn.synced()
    polite.text.insert(0, 'old content')
    await waitFor(() => stubborn.text.toString() === 'old content', 'relayed')
    polite.provider.on('connection-close', (ev) => { if (ev?.code === 4404) polite.provider.disconnect() })
    const ws = await rawSocket(server, '/gone')
    assert.equal((await fetch(`${server.url}/rooms/gone`, { method: 'DELETE' })).status, 204)
    assert.deepEqual(await ws.closed, { code: 4404, reason: 'room deleted' })
    await waitFor(async () => (await server.metrics())['codesync_errors_total{kind="deleted_room"}'] >= 1, 'a reconnect was refused')
    assert.equal((await fetch(`${server.url}/rooms/gone`)).status, 404, 'still deleted while blocked')
    assert.equal(polite.provider.wsconnected, false)
    // After the block the stubborn provider reconnects and, holding the old doc, recreates the room with it.
    await waitFor(() => stubborn.provider.wsconnected, 'reconnected after the block', 10000)
    await waitFor(async () => (await fetch(`${server.url}/rooms/gone`)).status === 200, 'room recreated')
    const info = await (await fetch(`${server.url}/rooms/gone`)).json()
    assert.equal(info.text, 'old content')
    assert.equal(polite.provider.wsconnected, false, 'the polite provider stayed away')
    for (const x of [polite, stubborn]) x.close()
  })
})

test('health and metrics', async () => {
  await withServer({}, async (server) => {
    const h = await json(await fetch(`${server.url}/health`))
    assert.equal(h.status, 200)
    assert.equal(h.body.status, 'ok')
    const a = client(server, 'm')
    await a.synced()
    a.text.insert(0, 'abc')
    await waitFor(async () => (await server.metrics()).codesync_updates_total === 1, 'one update stored')
    const res = await fetch(`${server.url}/metrics`)
    assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/)
    const text = await res.text()
    for (const name of ['codesync_rooms', 'codesync_rooms_loaded', 'codesync_connections', 'codesync_bytes_received_total',
      'codesync_bytes_sent_total', 'codesync_updates_total', 'codesync_errors_total']) {
      assert.match(text, new RegExp(`^# TYPE ${name} (gauge|counter)$`, 'm'), name)
    }
    const m = await server.metrics()
    assert.equal(m.codesync_connections, 1)
    assert.equal(m.codesync_rooms_loaded, 1)
    assert.equal(m.codesync_rooms, 1)
    assert.ok(m.codesync_bytes_received_total > 0 && m.codesync_bytes_sent_total > 0)
    a.close()
    await waitFor(async () => (await server.metrics()).codesync_connections === 0, 'connection gone')
  })
})

test('static files: index.html, content types, no traversal', async () => {
  const site = tempDir()
  fs.mkdirSync(path.join(site, 'assets'))
  fs.writeFileSync(path.join(site, 'index.html'), '<!doctype html><title>editor</title>')
  fs.writeFileSync(path.join(site, 'assets', 'app.js'), 'console.log(1)')
  fs.writeFileSync(path.join(site, '.secret'), 'hidden')
  fs.writeFileSync(path.join(path.dirname(site), 'outside.txt'), 'outside')
  try {
    await withServer({ args: ['--static', site] }, async (server) => {
      let res = await fetch(`${server.url}/`)
      assert.equal(res.status, 200)
      assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8')
      assert.equal(await res.text(), '<!doctype html><title>editor</title>')
      res = await fetch(`${server.url}/assets/app.js`)
      assert.equal(res.headers.get('content-type'), 'text/javascript; charset=utf-8')
      assert.equal(await res.text(), 'console.log(1)')
      assert.equal((await fetch(`${server.url}/missing.css`)).status, 404)
      assert.equal((await fetch(`${server.url}/.secret`)).status, 404)
      // fetch() normalises "..", so these go over raw TCP.
      for (const p of ['/../outside.txt', '/assets/../../outside.txt', '/%2e%2e/outside.txt', '/assets%2f..%2f..%2foutside.txt']) {
        const bytes = (await rawTcp(server, Buffer.from(`GET ${p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`))).toString()
        assert.match(bytes, /^HTTP\/1\.1 404 /, p)
        assert.ok(!bytes.includes('outside'), p)
      }
      // The REST API still answers beside the files.
      assert.equal((await fetch(`${server.url}/health`)).status, 200)
    })
  } finally {
    fs.rmSync(site, { recursive: true, force: true })
    fs.rmSync(path.join(path.dirname(site), 'outside.txt'), { force: true })
  }
})

test('options: --help, bad values exit 2, environment variables', async () => {
  const help = execFileSync(SERVER, ['--help'], { encoding: 'utf8' })
  for (const flag of ['--host', '--port', '--db', '--static', '--auth-secret', '--max-frame-bytes', '--max-message-rate']) {
    assert.ok(help.includes(flag), flag)
  }
  assert.match(help, /CODESYNC_PORT; default 1234/)
  for (const args of [['--port', 'http'], ['--port', '70000'], ['--bogus'], ['--sync', 'sometimes'], ['--host', 'localhost'], ['--static', '/no/such/dir'], ['--port'], ['--deleted-block-ms', '-1']]) {
    assert.throws(() => execFileSync(SERVER, args, { stdio: 'pipe' }), (e) => e.status === 2 && e.stderr.length > 0, args.join(' '))
  }
  assert.throws(() => execFileSync(SERVER, [], { stdio: 'pipe', env: { CODESYNC_PORT: 'x' } }),
    (e) => e.status === 2 && /CODESYNC_PORT/.test(e.stderr.toString()))
  // CODESYNC_AUTH_SECRET turns auth on, like --auth-secret.
  await withServer({ env: { CODESYNC_AUTH_SECRET: 'from-env' } }, async (server) => {
    assert.equal((await fetch(`${server.url}/rooms`)).status, 401)
    assert.ok(!/open dev mode/.test(server.log))
  })
  await withServer({}, async (server) => {
    assert.match(server.log, /open dev mode/)
  })
})
