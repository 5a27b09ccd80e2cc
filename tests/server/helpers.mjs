// Shared by the server tests: start codesync-server on a free port with a
// temporary database, make real y-websocket providers, wait for conditions.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import net from 'node:net'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'

export const SERVER = process.env.CODESYNC_SERVER ||
  path.resolve(import.meta.dirname, '../../build/examples/server/codesync-server')

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// Polls cond() every 20 ms; fails with `what` after timeoutMs.
export async function waitFor (cond, what, timeoutMs = 10000) {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    if (await cond()) return
    await sleep(20)
  }
  throw new Error(`timed out waiting for: ${what}`)
}

export function tempDir () {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'codesync-server-test-'))
}

// A running server. start() again after kill() or stop() reuses the port and the database.
export class ServerProcess {
  constructor ({ args = [], env = {}, dir = tempDir() } = {}) {
    this.args = args
    this.env = env
    this.dir = dir
    this.db = path.join(dir, 'data', 'codesync.db')
    this.port = 0
    this.log = ''
  }

  async start () {
    const argv = ['--port', String(this.port), '--db', this.db, ...this.args]
    this.proc = spawn(SERVER, argv, { env: { ...process.env, ...this.env }, stdio: ['ignore', 'ignore', 'pipe'] })
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })))
    const port = await new Promise((resolve, reject) => {
      let buf = ''
      const onData = (d) => {
        buf += d
        this.log += d
        const m = /listening on http:\/\/[^:]+:(\d+)/.exec(buf)
        if (m) resolve(Number(m[1]))
      }
      this.proc.stderr.on('data', onData)
      this.proc.on('exit', (code) => reject(new Error(`server exited (${code}) before listening:\n${buf}`)))
    })
    this.proc.stderr.on('data', (d) => { this.log += d })
    this.port = port
    this.url = `http://127.0.0.1:${port}`
    this.wsUrl = `ws://127.0.0.1:${port}`
    return this
  }

  async kill9 () {
    this.proc.kill('SIGKILL')
    return this.exited
  }

  async stop (signal = 'SIGTERM') {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return this.exited
    this.proc.kill(signal)
    return this.exited
  }

  async metrics () {
    const text = await (await fetch(`${this.url}/metrics`)).text()
    const out = {}
    for (const line of text.split('\n')) {
      const m = /^([a-z_]+(?:\{[^}]*\})?) (\d+)$/.exec(line)
      if (m) out[m[1]] = Number(m[2])
    }
    return out
  }
}

export async function withServer (opts, fn) {
  const server = await new ServerProcess(opts).start()
  try {
    return await fn(server)
  } catch (e) {
    e.message += `\n--- server log ---\n${server.log}`
    throw e
  } finally {
    await server.stop('SIGKILL')
    fs.rmSync(server.dir, { recursive: true, force: true })
  }
}

// A real y-websocket client; close() destroys it.
export function client (server, room, { params = {}, doc = new Y.Doc() } = {}) {
  const provider = new WebsocketProvider(server.wsUrl, room, doc, {
    WebSocketPolyfill: WebSocket,
    disableBc: true,
    params,
    maxBackoffTime: 200
  })
  const text = doc.getText('monaco')
  return {
    doc,
    provider,
    text,
    awareness: provider.awareness,
    synced: () => waitFor(() => provider.synced, `${room} synced`),
    close: () => { provider.destroy(); doc.destroy() }
  }
}

// A bare WebSocket (ws) to a room; resolves once open or rejects with the HTTP status.
export function rawSocket (server, pathAndQuery) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${server.wsUrl}${pathAndQuery}`)
    ws.binaryType = 'nodebuffer'
    ws.messages = []
    ws.on('message', (m) => ws.messages.push(m))
    ws.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })))
    ws.on('open', () => resolve(ws))
    ws.on('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })))
    ws.on('error', reject)
  })
}

// Raw TCP: sends bytes, resolves with everything received until the server closes.
export function rawTcp (server, bytes, { timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(server.port, '127.0.0.1')
    const chunks = []
    const timer = setTimeout(() => { sock.destroy(); reject(new Error('raw TCP: no close from the server')) }, timeoutMs)
    sock.on('connect', () => sock.write(bytes))
    sock.on('data', (d) => chunks.push(d))
    sock.on('error', () => {})
    sock.on('close', () => { clearTimeout(timer); resolve(Buffer.concat(chunks)) })
  })
}

// Builds a y-websocket frame: [0 sync][2 update][varUint8Array(update)].
export function updateMessage (update) {
  const out = [0, 2]
  let n = update.length
  while (n > 127) { out.push((n & 127) | 128); n >>>= 7 }
  out.push(n)
  return Buffer.concat([Buffer.from(out), Buffer.from(update)])
}

export { Y }
