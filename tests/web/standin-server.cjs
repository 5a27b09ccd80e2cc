#!/usr/bin/env node
// A stand-in for codesync-server when it is not built: serves a static folder over HTTP and runs
// y-websocket's own reference server logic (bin/utils setupWSConnection) on the same port, rooms by
// URL path. Same flags as the real server for what the browser test needs:
//   node standin-server.cjs --port 1234 --static examples/web-editor/dist [--host 127.0.0.1] [--db ignored]
// Nothing is stored: a room lives while the process does. Tokens are accepted and ignored.
'use strict'

const http = require('node:http')
const fs = require('node:fs')
const path = require('node:path')
const { WebSocketServer } = require('ws')

delete process.env.YPERSISTENCE // keep bin/utils from loading y-leveldb
const { setupWSConnection } = require('y-websocket/bin/utils')

function parseArgs (argv) {
  const opts = { host: '127.0.0.1', port: 1234, static: null }
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]
    const value = argv[i + 1]
    if (!['--host', '--port', '--static', '--db'].includes(flag) || value === undefined) {
      throw new Error(`unknown or incomplete option ${JSON.stringify(flag)}`)
    }
    i++
    if (flag === '--port') {
      opts.port = Number(value)
      if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new Error(`bad --port ${value}`)
    } else if (flag === '--host') {
      opts.host = value
    } else if (flag === '--static') {
      opts.static = path.resolve(value)
    }
  }
  return opts
}

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.ttf': 'font/ttf',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8'
}

function serveStatic (root, req, res) {
  if (root === null || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(root === null ? 404 : 405).end()
    return
  }
  let rel
  try {
    rel = decodeURIComponent(new URL(req.url, 'http://x').pathname)
  } catch {
    res.writeHead(400).end()
    return
  }
  if (rel.endsWith('/')) rel += 'index.html'
  const file = path.join(root, rel)
  if (file !== root && !file.startsWith(root + path.sep)) {
    res.writeHead(404).end()
    return
  }
  fs.stat(file, (err, st) => {
    if (err || !st.isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
      return
    }
    res.writeHead(200, {
      'content-type': MIME[path.extname(file)] ?? 'application/octet-stream',
      'content-length': st.size,
      'cache-control': 'no-cache'
    })
    if (req.method === 'HEAD') res.end()
    else fs.createReadStream(file).pipe(res)
  })
}

function main () {
  let opts
  try {
    opts = parseArgs(process.argv.slice(2))
  } catch (e) {
    console.error(`standin-server: ${e.message}`)
    process.exit(2)
  }
  const server = http.createServer((req, res) => serveStatic(opts.static, req, res))
  const wss = new WebSocketServer({ noServer: true })
  wss.on('connection', (conn, req) => setupWSConnection(conn, req, { gc: true }))
  server.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
  })
  server.listen(opts.port, opts.host, () => {
    const { port } = server.address()
    console.log(`standin-server: http://${opts.host}:${port}/ (static ${opts.static ?? 'none'})`)
  })
  const stop = () => {
    wss.clients.forEach((c) => c.terminate())
    server.close(() => process.exit(0))
    setTimeout(() => process.exit(0), 1000).unref()
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

main()
