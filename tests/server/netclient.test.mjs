// examples/net's WebSocket client role (through ws_client_probe) against the
// real `ws` server from npm, and against codesync-server.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import path from 'node:path'
import http from 'node:http'
import { WebSocketServer } from 'ws'
import { withServer } from './helpers.mjs'

const PROBE = process.env.CODESYNC_WS_PROBE ||
  path.resolve(import.meta.dirname, '../../build/tests/server/ws_client_probe')

const probe = (args) => new Promise((resolve) => {
  execFile(PROBE, args, { timeout: 20000 }, (err, stdout, stderr) =>
    resolve({ code: err ? err.code : 0, lines: stdout.trim().split('\n'), stderr }))
})

function wsServer (onConnection) {
  const server = http.createServer((_req, res) => { res.writeHead(401, { 'content-length': 4 }); res.end('nope') })
  const wss = new WebSocketServer({ noServer: true })
  server.on('upgrade', (req, socket, head) => {
    if (req.url.startsWith('/refuse')) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 9\r\nConnection: close\r\n\r\nbad token')
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, req))
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: server.address().port,
    close: () => { wss.close(); server.close() }
  })))
}

test('client role against ws: handshake, masked frames, 16- and 64-bit lengths, ping, close code', async () => {
  const seen = []
  let pongs = 0
  const srv = await wsServer((ws, req) => {
    seen.push(req.url)
    ws.on('pong', () => pongs++)
    let n = 0
    ws.on('message', (data, isBinary) => {
      assert.ok(isBinary)
      seen.push(data.length)
      ws.send(data)  // echo
      if (++n === 3) {
        ws.ping()
        setTimeout(() => ws.close(4001, 'bye'), 100)
      }
    })
  })
  try {
    const r = await probe(['127.0.0.1', String(srv.port), '/room?token=abc', '000102', 'big:300', 'big:70000'])
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(r.lines, [
      'open',
      'message 3 000102',
      `message 300 ${'61'.repeat(32)}`,
      `message 70000 ${'61'.repeat(32)}`,
      'close 4001 bye'
    ])
    // ws refuses unmasked client frames, so these arriving proves the masking.
    assert.deepEqual(seen, ['/room?token=abc', 3, 300, 70000])
    assert.equal(pongs, 1, 'the client answered the ping')
  } finally {
    srv.close()
  }
})

test('client role: refused handshake and client-initiated close', async () => {
  let closeCode = null
  const srv = await wsServer((ws) => {
    ws.on('close', (code, reason) => { closeCode = [code, reason.toString()] })
    ws.send(Buffer.from([9, 9]))
  })
  try {
    let r = await probe(['127.0.0.1', String(srv.port), '/refuse'])
    assert.equal(r.code, 0)
    assert.equal(r.lines.length, 1)
    assert.match(r.lines[0], /^close 1006 handshake: server answered 401 Unauthorized: bad token$/)
    r = await probe(['127.0.0.1', String(srv.port), '/ok', '--close-after', '1'])
    assert.deepEqual(r.lines, ['open', 'message 2 0909', 'close 1000 done'])
    for (let i = 0; i < 50 && closeCode === null; i++) await new Promise((resolve) => setTimeout(resolve, 20))
    assert.deepEqual(closeCode, [1000, 'done'])
    r = await probe(['127.0.0.1', '1', '/'])
    assert.match(r.lines[0], /^close 1006 connect: /)
  } finally {
    srv.close()
  }
})

test('client role against codesync-server: gets SyncStep1, server answers its SyncStep1 with SyncStep2', async () => {
  await withServer({}, async (server) => {
    // [0 sync][0 step1][varUint8Array(empty state vector = [0])]
    let r = await probe(['127.0.0.1', String(server.port), '/probe-room', '00000100', '--close-after', '2'])
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(r.lines, [
      'open',
      'message 4 00000100', // the server's SyncStep1 of an empty room
      'message 5 0001020000', // SyncStep2 with the empty update [0, 0]
      'close 1000' // the server's echo of our close: same code, no reason
    ])
    // A truncated SyncStep1: the server closes with 1007 and a reason.
    r = await probe(['127.0.0.1', String(server.port), '/probe-room', '000001'])
    assert.equal(r.lines[0], 'open')
    assert.match(r.lines.at(-1), /^close 1007 malformed/)
  })
})
