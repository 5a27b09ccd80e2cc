// Bad input and limits: each offending connection is closed with a code and a
// reason; the room, its other clients and what is stored carry on unharmed.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import crypto from 'node:crypto'
import { withServer, client, rawSocket, rawTcp, waitFor, sleep, updateMessage, Y } from './helpers.mjs'

const LIMITS = ['--max-frame-bytes', '4096', '--max-message-bytes', '8192']

// A masked client frame, built by hand.
function frame (opcode, payload, { mask = true, fin = true } = {}) {
  const head = [(fin ? 0x80 : 0) | opcode]
  const m = mask ? 0x80 : 0
  if (payload.length < 126) head.push(m | payload.length)
  else head.push(m | 126, payload.length >> 8, payload.length & 255)
  const key = crypto.randomBytes(4)
  const body = Buffer.from(payload)
  if (mask) for (let i = 0; i < body.length; i++) body[i] ^= key[i & 3]
  return Buffer.concat([Buffer.from(head), mask ? key : Buffer.alloc(0), body])
}
const handshake = (path) => `GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`
// The close code of the first close frame in a server's byte stream after the 101.
function closeCodeIn (bytes) {
  const at = bytes.indexOf('\r\n\r\n') + 4
  assert.ok(bytes.subarray(0, at).toString().startsWith('HTTP/1.1 101'), bytes.toString())
  for (let i = at; i + 1 < bytes.length;) {
    const op = bytes[i] & 15
    const len = bytes[i + 1] & 127
    const hdr = len === 126 ? 4 : 2
    const n = len === 126 ? bytes.readUInt16BE(i + 2) : len
    if (op === 8) return bytes.readUInt16BE(i + hdr)
    i += hdr + n
  }
  return undefined
}

test('garbage, oversized and malformed input is refused without harm to others', async () => {
  await withServer({ args: LIMITS }, async (server) => {
    const a = client(server, 'shared')
    const b = client(server, 'shared')
    let drops = 0
    for (const x of [a, b]) x.provider.on('connection-close', () => drops++)
    await a.synced()
    await b.synced()
    a.text.insert(0, 'before;')
    await waitFor(() => b.text.toString() === 'before;', 'b has the first edit')
    let editing = true
    const editor = (async () => {
      for (let i = 0; editing; i++) {
        ;(i % 2 ? a : b).text.insert(0, `${i % 2 ? 'a' : 'b'}${i};`)
        await sleep(10)
      }
    })()

    const expectClose = async (send, code, what) => {
      const ws = await rawSocket(server, '/shared')
      send(ws)
      const closed = await ws.closed
      assert.equal(closed.code, code, `${what}: ${closed.reason}`)
      assert.ok(closed.code === 1009 || closed.reason.length > 0, `${what} has a reason`)
      return closed
    }
    await expectClose((ws) => ws.send(Buffer.from([7, 1, 2, 3])), 1007, 'unknown message type')
    await expectClose((ws) => ws.send(crypto.randomBytes(64).fill(9, 0, 1)), 1007, 'random bytes')
    await expectClose((ws) => ws.send(updateMessage([5, 255, 255, 255, 255, 255, 255, 255, 255, 255, 1])), 1007,
      'malformed update')
    await expectClose((ws) => ws.send(Buffer.from([0, 1, 3, 1, 2])), 1007, 'truncated sync step 2')
    await expectClose((ws) => ws.send('text please'), 1003, 'text message')
    await expectClose((ws) => ws.send(Buffer.alloc(5000, 1)), 1009, 'frame over --max-frame-bytes')
    await expectClose((ws) => {
      ws.send(Buffer.alloc(3000, 1), { fin: false })
      ws.send(Buffer.alloc(3000, 1), { fin: false })
      ws.send(Buffer.alloc(3000, 1), { fin: true })
    }, 1009, 'message over --max-message-bytes')
    // Frame-level violations, from a raw TCP client.
    let bytes = await rawTcp(server, Buffer.concat([Buffer.from(handshake('/shared')), frame(2, [0, 0, 1, 0], { mask: false })]))
    assert.equal(closeCodeIn(bytes), 1002, 'unmasked client frame')
    bytes = await rawTcp(server, Buffer.concat([Buffer.from(handshake('/shared')), Buffer.from([0xF2, 0x80, 1, 2, 3, 4])]))
    assert.equal(closeCodeIn(bytes), 1002, 'reserved bits')
    bytes = await rawTcp(server, Buffer.concat([Buffer.from(handshake('/shared')), frame(0, [1, 2])]))
    assert.equal(closeCodeIn(bytes), 1002, 'continuation without a message')
    bytes = await rawTcp(server, Buffer.from('NOT HTTP AT ALL\r\n\r\n'))
    assert.match(bytes.toString(), /^HTTP\/1\.1 400 /)
    bytes = await rawTcp(server, Buffer.from(`GET /shared HTTP/1.1\r\nX: ${'y'.repeat(20000)}\r\n\r\n`))
    assert.match(bytes.toString(), /^HTTP\/1\.1 431 /)
    bytes = await rawTcp(server, Buffer.from('GET /shared HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'))
    assert.match(bytes.toString(), /^HTTP\/1\.1 4\d\d /, 'upgrade without a key')

    editing = false
    await editor
    await waitFor(() => a.text.toString() === b.text.toString(), 'a and b still converge')
    assert.equal(drops, 0, 'a and b were never disconnected')
    const text = a.text.toString()
    assert.ok(text.endsWith('before;'))
    const m = await server.metrics()
    assert.ok(m['codesync_errors_total{kind="malformed"}'] >= 4)
    assert.ok(m['codesync_errors_total{kind="too_big"}'] >= 2)
    assert.ok(m['codesync_errors_total{kind="protocol"}'] >= 4)
    // Nothing stored was lost or damaged.
    await server.kill9()
    await server.start()
    const c = client(server, 'shared')
    await c.synced()
    assert.equal(c.text.toString(), text)
    for (const x of [a, b, c]) x.close()
  })
})

test('per-connection message rate: close 1008', async () => {
  await withServer({ args: ['--max-message-rate', '5'] }, async (server) => {
    const ws = await rawSocket(server, '/rate')
    for (let i = 0; i < 50; i++) ws.send(Buffer.from([3]))  // query awareness, 50 at once
    const closed = await ws.closed
    assert.equal(closed.code, 1008)
    assert.match(closed.reason, /rate/)
    // A well-behaved client in the same room is fine.
    const a = client(server, 'rate')
    await a.synced()
    a.close()
  })
})

test('connections per room and in all: HTTP 503 beyond the limit', async () => {
  await withServer({ args: ['--max-room-connections', '2', '--max-connections', '3'] }, async (server) => {
    const s1 = await rawSocket(server, '/full')
    const s2 = await rawSocket(server, '/full')
    await assert.rejects(rawSocket(server, '/full'), (e) => e.status === 503)
    const s3 = await rawSocket(server, '/another')
    await assert.rejects(rawSocket(server, '/third'), (e) => e.status === 503)
    s1.close()
    await s1.closed
    await waitFor(async () => (await server.metrics()).codesync_connections === 2, 'slot freed')
    const s4 = await rawSocket(server, '/full')
    for (const s of [s2, s3, s4]) s.terminate()
  })
})

test('document size limit: the update that would pass it is refused, nothing is stored', async () => {
  await withServer({ args: ['--max-doc-bytes', '2048'] }, async (server) => {
    const a = client(server, 'small')
    await a.synced()
    a.text.insert(0, 'kept')
    await waitFor(async () => (await server.metrics()).codesync_updates_total >= 1, 'stored')
    a.close()
    const ws = await rawSocket(server, '/small')
    const big = new Y.Doc()
    big.getText('monaco').insert(0, 'x'.repeat(3000))
    ws.send(updateMessage(Y.encodeStateAsUpdate(big)))
    const closed = await ws.closed
    assert.equal(closed.code, 1009)
    assert.match(closed.reason, /document size/)
    const info = await (await fetch(`${server.url}/rooms/small`)).json()
    assert.equal(info.text, 'kept')
  })
})

test('pings every --ping-interval-ms; a client that never answers is dropped, one that does stays', async () => {
  await withServer({ args: ['--ping-interval-ms', '200'] }, async (server) => {
    const ws = await rawSocket(server, '/pinged')  // ws answers pings by itself
    let pings = 0
    ws.on('ping', () => pings++)
    // A raw TCP client completes the handshake and then stays silent.
    const bytes = await rawTcp(server, Buffer.from(handshake('/pinged')), { timeoutMs: 5000 })
    const frames = bytes.subarray(bytes.indexOf('\r\n\r\n') + 4)
    assert.ok(frames.includes(Buffer.from([0x89, 0x00])), 'the silent client was pinged')
    await waitFor(() => pings >= 3, 'three pings')
    assert.equal(ws.readyState, ws.OPEN, 'the answering client is still connected')
    const m = await server.metrics()
    assert.ok(m['codesync_errors_total{kind="ping_timeout"}'] >= 1)
    ws.terminate()
  })
})

test('fragmented messages are reassembled and applied', async () => {
  await withServer({}, async (server) => {
    const ws = await rawSocket(server, '/frag')
    const doc = new Y.Doc()
    doc.getText('monaco').insert(0, 'sent in three fragments')
    const msg = updateMessage(Y.encodeStateAsUpdate(doc))
    const third = Math.ceil(msg.length / 3)
    ws.send(msg.subarray(0, third), { fin: false })
    ws.send(msg.subarray(third, 2 * third), { fin: false })
    ws.send(msg.subarray(2 * third), { fin: true })
    await waitFor(async () => (await (await fetch(`${server.url}/rooms/frag`)).json()).text === 'sent in three fragments',
      'the update arrived whole')
    ws.close()
  })
})
