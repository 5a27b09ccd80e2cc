// Tokens: HMAC-signed, per room or prefix, read-only or read-write, with an
// expiry. Bad tokens get HTTP 401; a read-only client's writes are refused
// and never stored.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import crypto from 'node:crypto'
import { withServer, client, rawSocket, waitFor, sleep, SERVER, updateMessage, Y } from './helpers.mjs'

const SECRET = 'test-secret-0123456789'
const mint = (...args) => execFileSync(SERVER, ['token', '--secret', SECRET, ...args], { encoding: 'utf8' }).trim()

// The documented format, built here independently of the server's code.
function handMade ({ room, prefix, mode, exp }, secret = SECRET) {
  const payload = JSON.stringify(prefix !== undefined ? { prefix, mode, exp } : { room, mode, exp })
  const head = Buffer.from(payload).toString('base64url')
  const sig = crypto.createHmac('sha256', secret).update(head).digest('base64url')
  return `${head}.${sig}`
}

const status = async (server, path) => {
  try {
    const ws = await rawSocket(server, path)
    ws.terminate()
    return 101
  } catch (e) {
    return e.status
  }
}

test('the token command mints the documented format', () => {
  const t = mint('--room', 'notes', '--read-only', '--ttl', '60')
  const [head, sig] = t.split('.')
  const payload = JSON.parse(Buffer.from(head, 'base64url').toString())
  assert.equal(payload.room, 'notes')
  assert.equal(payload.mode, 'r')
  const now = Math.floor(Date.now() / 1000)
  assert.ok(payload.exp > now + 50 && payload.exp <= now + 61)
  assert.equal(sig, crypto.createHmac('sha256', SECRET).update(head).digest('base64url'))
  const p = JSON.parse(Buffer.from(mint('--room', 'team-', '--prefix').split('.')[0], 'base64url').toString())
  assert.deepEqual([p.prefix, p.mode], ['team-', 'rw'])
  // Bad arguments: exit 2 with a message.
  assert.throws(() => execFileSync(SERVER, ['token', '--room', 'x'], { stdio: 'pipe', env: {} }), (e) => e.status === 2)
  assert.throws(() => execFileSync(SERVER, ['token', '--secret', 's', '--room', 'x', '--ttl', 'soon'], { stdio: 'pipe' }),
    (e) => e.status === 2 && /ttl/.test(e.stderr.toString()))
})

test('bad tokens get HTTP 401; good ones connect', async () => {
  await withServer({ args: ['--auth-secret', SECRET] }, async (server) => {
    const exp = Math.floor(Date.now() / 1000) + 3600
    assert.equal(await status(server, '/r1'), 401, 'no token')
    assert.equal(await status(server, '/r1?token=garbage'), 401, 'not a token')
    assert.equal(await status(server, `/r1?token=${handMade({ room: 'r1', mode: 'rw', exp }, 'other-secret')}`), 401, 'wrong secret')
    assert.equal(await status(server, `/r1?token=${handMade({ room: 'r2', mode: 'rw', exp })}`), 401, 'other room')
    assert.equal(await status(server, `/r1?token=${handMade({ room: 'r1', mode: 'rw', exp: exp - 7200 })}`), 401, 'expired')
    assert.equal(await status(server, `/r1?token=${handMade({ room: 'r1', mode: 'admin', exp })}`), 401, 'bad mode')
    const good = handMade({ room: 'r1', mode: 'rw', exp })
    const [head, sig] = good.split('.')
    const flipped = head + '.' + (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1)
    assert.equal(await status(server, `/r1?token=${flipped}`), 401, 'tampered signature')
    assert.equal(await status(server, `/r1?token=${good}`), 101, 'hand-made token')
    assert.equal(await status(server, `/r1?token=${mint('--room', 'r1')}`), 101, 'minted token')
    assert.equal(await status(server, `/team-a?token=${mint('--room', 'team-', '--prefix')}`), 101, 'prefix token')
    assert.equal(await status(server, `/other?token=${mint('--room', 'team-', '--prefix')}`), 401, 'outside the prefix')
    const m = await server.metrics()
    assert.ok(m['codesync_errors_total{kind="auth"}'] >= 8)
  })
})

test('a read-only token cannot write; its edits are never stored', async () => {
  await withServer({ args: ['--auth-secret', SECRET] }, async (server) => {
    const rw = client(server, 'doc', { params: { token: mint('--room', 'doc') } })
    const ro = client(server, 'doc', { params: { token: mint('--room', 'doc', '--read-only') } })
    await rw.synced()
    await ro.synced()
    rw.text.insert(0, 'by the writer')
    await waitFor(() => ro.text.toString() === 'by the writer', 'reader sees the writer')
    // The reader's local edit is refused by the server and never relayed.
    ro.text.insert(0, 'by the reader: ')
    ro.awareness.setLocalStateField('user', { name: 'reader' })
    // Presence is allowed for readers, so this arriving proves the reader's frames got through.
    await waitFor(() => rw.awareness.getStates().get(ro.doc.clientID)?.user?.name === 'reader', 'reader presence')
    await waitFor(async () => (await server.metrics())['codesync_errors_total{kind="read_only_write"}'] >= 1, 'write refused')
    await sleep(100)
    assert.equal(rw.text.toString(), 'by the writer')
    // A raw read-only socket sending an update gets permission denied (y-websocket auth message).
    const ws = await rawSocket(server, `/doc?token=${mint('--room', 'doc', '--read-only')}`)
    const other = new Y.Doc()
    other.getText('monaco').insert(0, 'sneaky ')
    ws.send(updateMessage(Y.encodeStateAsUpdate(other)))
    await waitFor(() => ws.messages.some((m) => m[0] === 2 && m[1] === 0), 'permission denied')
    ws.terminate()
    // Not stored either: after a restart only the writer's text is there.
    await server.kill9()
    await server.start()
    const check = client(server, 'doc', { params: { token: mint('--room', 'doc', '--read-only') } })
    await check.synced()
    assert.equal(check.text.toString(), 'by the writer')
    for (const x of [rw, ro, check]) x.close()
  })
})

test('REST under a secret: 401 without a token, 403 when it does not cover the request', async () => {
  await withServer({ args: ['--auth-secret', SECRET] }, async (server) => {
    const admin = mint('--room', '', '--prefix')
    const reader = mint('--room', 'x', '--read-only')
    const post = (token) => fetch(`${server.url}/rooms`, {
      method: 'POST',
      headers: token ? { authorization: `Bearer ${token}` } : {},
      body: JSON.stringify({ id: 'x', name: 'X' })
    })
    assert.equal((await post(null)).status, 401)
    assert.equal((await post('nope.nope')).status, 401)
    assert.equal((await post(reader)).status, 403)
    assert.equal((await post(admin)).status, 201)
    assert.equal((await fetch(`${server.url}/rooms`)).status, 401)
    assert.equal((await fetch(`${server.url}/rooms?token=${reader}`)).status, 403)
    assert.equal((await fetch(`${server.url}/rooms?token=${admin}`)).status, 200)
    assert.equal((await fetch(`${server.url}/rooms/x?token=${reader}`)).status, 200)
    assert.equal((await fetch(`${server.url}/rooms/x?token=${reader}`, { method: 'DELETE' })).status, 403)
    assert.equal((await fetch(`${server.url}/rooms/x?token=${admin}`, { method: 'DELETE' })).status, 204)
    assert.equal((await fetch(`${server.url}/health`)).status, 200, 'health stays open')
  })
})
