// Browser test of the web editor page (examples/web-editor) in Debian's headless Chromium.
//
// Builds the page (examples/web-editor/build.sh, a no-op when dist/ is fresh), starts a server that
// serves dist/ and speaks y-websocket on the same port, and drives two pages in separate browser
// contexts (so nothing syncs behind the server's back) on one room.
//
// The server: $CODESYNC_SERVER (codesync-server: --port P --static DIR --db FILE) when set, else
// standin-server.cjs beside this file (y-websocket's own server utils). The browser: $CHROMIUM or
// /usr/bin/chromium; playwright-core never downloads one. Screenshots go to a temp dir, printed at
// the end ($CODESYNC_WEB_SHOTS to choose it).
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { WebSocket } from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'

const here = dirname(fileURLToPath(import.meta.url))
const webEditor = resolve(here, '../../examples/web-editor')
const dist = join(webEditor, 'dist')
const WAIT = 20_000

const tmp = mkdtempSync(join(tmpdir(), 'codesync-web-'))
const shots = process.env.CODESYNC_WEB_SHOTS || join(tmp, 'shots')
// What both pages hold after the concurrent typing below.
const converged = 'B first: hello from A and A again'
const room = `web-test-${process.pid}-${Date.now().toString(36)}`

let server
let serverLog = ''
let baseUrl
let browser
const consoleErrors = []
let pageA
let pageB

function freePort () {
  return new Promise((resolvePort, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolvePort(port))
    })
  })
}

async function waitForHttp (url, deadlineMs) {
  const until = Date.now() + deadlineMs
  let last
  while (Date.now() < until) {
    if (server.exitCode !== null) break
    try {
      const res = await fetch(url)
      if (res.ok) return
      last = `HTTP ${res.status}`
    } catch (e) {
      last = e.message
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`server did not serve ${url} (${last}; exit ${server.exitCode})\n${serverLog}`)
}

// Console errors and warnings, uncaught exceptions and failed loads all count against the page.
const BAD_CONSOLE = new Set(['error', 'warning', 'assert'])
function watch (page, label) {
  page.on('console', (msg) => {
    if (BAD_CONSOLE.has(msg.type())) consoleErrors.push(`${label} console ${msg.type()}: ${msg.text()}`)
  })
  page.on('pageerror', (err) => consoleErrors.push(`${label} pageerror: ${err.message}`))
  page.on('requestfailed', (req) => consoleErrors.push(`${label} request failed: ${req.url()} ${req.failure()?.errorText}`))
  page.on('worker', (worker) => {
    worker.on('console', (msg) => {
      if (BAD_CONSOLE.has(msg.type())) consoleErrors.push(`${label} worker ${worker.url()} ${msg.type()}: ${msg.text()}`)
    })
  })
  page.on('response', (res) => {
    if (res.status() >= 400) consoleErrors.push(`${label} HTTP ${res.status()}: ${res.url()}`)
  })
  return page
}

async function openEditor (label, name, query = `?room=${room}`) {
  const context = await browser.newContext({ viewport: { width: 1200, height: 720 } })
  const page = watch(await context.newPage(), label)
  await page.goto(`${baseUrl}/${query}`)
  await page.waitForSelector('#status[data-status="connected"]', { timeout: WAIT })
  await page.waitForSelector('.monaco-editor .view-lines', { timeout: WAIT })
  if (name) {
    await page.fill('#name', name)
  }
  return page
}

const editorText = (page) => page.evaluate(() => window.codesyncEditor.model.getValue())
const docText = (page) => page.evaluate(() => window.codesyncEditor.ytext.toString())

// What Monaco draws, which is what a person sees (it renders spaces as U+00A0).
const renderedText = (page) => page.evaluate(() =>
  [...document.querySelectorAll('.monaco-editor .view-line')].map((l) => l.textContent).join('\n').replace(/\u00a0/g, ' '))

async function waitForText (page, expected) {
  await page.waitForFunction((want) => window.codesyncEditor.model.getValue() === want, expected, { timeout: WAIT })
    .catch(async (e) => {
      throw new Error(`${e.message}\n  wanted ${JSON.stringify(expected)}\n  page has ${JSON.stringify(await editorText(page))}`)
    })
}

describe('web editor page', () => {
  before(async () => {
    const build = spawnSync('bash', [join(webEditor, 'build.sh')], { encoding: 'utf8' })
    assert.equal(build.status, 0, `examples/web-editor/build.sh failed:\n${build.stdout}${build.stderr}`)

    const port = await freePort()
    const cmd = process.env.CODESYNC_SERVER
      ? [process.env.CODESYNC_SERVER, '--port', String(port), '--static', dist, '--db', join(tmp, 'rooms.db')]
      : [process.execPath, join(here, 'standin-server.cjs'), '--port', String(port), '--static', dist]
    server = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] })
    server.stdout.on('data', (d) => { serverLog += d })
    server.stderr.on('data', (d) => { serverLog += d })
    baseUrl = `http://127.0.0.1:${port}`
    await waitForHttp(`${baseUrl}/`, 15_000)

    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      headless: true,
      // Chromium's sandbox refuses to run as root.
      args: process.getuid?.() === 0 ? ['--no-sandbox'] : []
    })
    pageA = await openEditor('A', 'Alice')
    pageB = await openEditor('B', 'Bob')
  })

  after(async () => {
    await browser?.close()
    if (server && server.exitCode !== null) {
      console.log(`# the server exited early (${server.exitCode ?? server.signalCode}):\n${serverLog.replace(/^/gm, '#   ')}`)
    } else if (server) {
      const exited = new Promise((r) => server.once('exit', r))
      server.kill('SIGTERM')
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))])
      if (server.exitCode === null) server.kill('SIGKILL')
    }
    // Screenshots stay for a look; the rest of the temp dir (the server's database files) goes.
    for (const name of readdirSync(tmp)) {
      if (join(tmp, name) !== shots) rmSync(join(tmp, name), { recursive: true, force: true })
    }
    if (existsSync(shots)) console.log(`# screenshots in ${shots}`)
  })

  it('shows what A types in B', async () => {
    await pageA.click('.monaco-editor .view-lines')
    await pageA.keyboard.type('hello from A')
    await waitForText(pageA, 'hello from A')
    await waitForText(pageB, 'hello from A')
    assert.equal(await docText(pageB), 'hello from A')
    assert.match(await renderedText(pageB), /hello from A/)
  })

  it('converges when both type at once', async () => {
    // A types at the end, B at the start: neither run of characters may be split or lost.
    await pageA.click('.monaco-editor .view-lines')
    await pageA.keyboard.press('Control+End')
    await pageB.click('.monaco-editor .view-lines')
    await pageB.keyboard.press('Control+Home')
    await Promise.all([
      pageA.keyboard.type(' and A again', { delay: 20 }),
      pageB.keyboard.type('B first: ', { delay: 20 })
    ])
    const expected = converged
    await waitForText(pageA, expected)
    await waitForText(pageB, expected)
    assert.equal(await docText(pageA), expected)
    assert.equal(await docText(pageB), expected)
    assert.equal(await renderedText(pageA), expected)
    assert.equal(await renderedText(pageB), expected)
  })

  it('sends new lines as "\\n"', async () => {
    await pageA.keyboard.press('Control+End')
    await pageA.keyboard.press('Enter')
    await pageA.keyboard.type('second line')
    await waitForText(pageB, `${converged}\nsecond line`)
    assert.equal(await docText(pageB), `${converged}\nsecond line`)
    assert.equal(await pageB.evaluate(() => window.codesyncEditor.model.getLineCount()), 2)
  })

  it("shows A's cursor with A's name in B", async () => {
    const aId = await pageA.evaluate(() => window.codesyncEditor.doc.clientID)
    await pageA.keyboard.press('Control+End') // a fresh selection event, after the rename to Alice
    // A locator, not an element handle: y-monaco redraws remote cursors on every awareness
    // change, so a handle taken once may already be detached when it is asked.
    const head = pageB.locator(`.yRemoteSelectionHead-${aId}`).first()
    await head.waitFor({ state: 'visible', timeout: WAIT })
    assert.ok(await head.isVisible(), "A's cursor is drawn in B")
    const label = await pageB.waitForFunction((id) => {
      const el = document.querySelector(`.yRemoteSelectionHead-${id}`)
      const content = el && getComputedStyle(el, '::after').content
      return content === '"Alice"' && content
    }, aId, { timeout: WAIT })
    assert.equal(await label.jsonValue(), '"Alice"')
    const bId = await pageB.evaluate(() => window.codesyncEditor.doc.clientID)
    assert.equal(await pageB.$(`.yRemoteSelectionHead-${bId}`), null, 'B does not draw its own cursor as remote')
  })

  it('lists both people in both pages', async () => {
    for (const [page, self] of [[pageA, 'Alice'], [pageB, 'Bob']]) {
      await page.waitForFunction(() => {
        const names = [...document.querySelectorAll('#users li')].map((li) => li.firstChild.textContent)
        return names.includes('Alice') && names.includes('Bob')
      }, null, { timeout: WAIT })
      const names = await page.$$eval('#users li', (lis) => lis.map((li) => li.firstChild.textContent))
      assert.deepEqual([...names].sort(), ['Alice', 'Bob'])
      assert.equal(await page.$eval('#users li.self', (li) => li.firstChild.textContent), self)
    }
  })

  it('shares its text with a plain y-websocket client', async () => {
    // A Node client with no user in its awareness: what the agent or a script would be.
    const doc = new Y.Doc()
    const provider = new WebsocketProvider(`ws://127.0.0.1:${new URL(baseUrl).port}`, room, doc, { WebSocketPolyfill: WebSocket })
    try {
      await new Promise((resolveSync, reject) => {
        const timer = setTimeout(() => reject(new Error('the Node client did not sync')), WAIT)
        provider.once('sync', () => { clearTimeout(timer); resolveSync() })
      })
      const text = doc.getText('monaco')
      assert.equal(text.toString(), `${converged}\nsecond line`)
      await pageA.waitForFunction(() => document.querySelectorAll('#users li').length === 3, null, { timeout: WAIT })
      assert.deepEqual((await pageA.$$eval('#users li', (lis) => lis.map((li) => li.firstChild.textContent))).sort(), ['Alice', 'Anonymous', 'Bob'])
      text.insert(converged.length, ' (seen by Node)')
      await waitForText(pageB, `${converged} (seen by Node)\nsecond line`)
      text.delete(converged.length, ' (seen by Node)'.length)
      await waitForText(pageA, `${converged}\nsecond line`)
    } finally {
      provider.destroy()
      doc.destroy()
    }
    await pageA.waitForFunction(() => document.querySelectorAll('#users li').length === 2, null, { timeout: WAIT })
  })

  it('agrees on the language through the document', async () => {
    await pageA.selectOption('#language', 'python')
    await pageB.waitForFunction(() => window.codesyncEditor.model.getLanguageId() === 'python', null, { timeout: WAIT })
    assert.equal(await pageB.$eval('#language', (s) => s.value), 'python')
    assert.equal(await pageA.evaluate(() => window.codesyncEditor.model.getLanguageId()), 'python')
    await pageB.selectOption('#language', 'typescript') // also starts Monaco's TypeScript worker
    await pageA.waitForFunction(() => window.codesyncEditor.model.getLanguageId() === 'typescript', null, { timeout: WAIT })
  })

  it("runs Monaco's workers", async () => {
    // The text is not valid TypeScript: only the TypeScript worker can tell, by setting markers.
    await pageB.waitForFunction(() => {
      const { monaco, model } = window.codesyncEditor
      return monaco.editor.getModelMarkers({ resource: model.uri }).length > 0
    }, null, { timeout: 30_000 })
    for (const page of [pageA, pageB]) {
      const urls = page.workers().map((w) => new URL(w.url()).pathname)
      assert.ok(urls.includes('/workers/editor.worker.js'), urls.join(', '))
      assert.ok(urls.includes('/workers/ts.worker.js'), urls.join(', '))
    }
  })

  it('looks right (screenshots)', async () => {
    await pageB.screenshot({ path: join(shots, 'bob.png') })
    await pageA.screenshot({ path: join(shots, 'alice.png') })
  })

  it('drops a person who leaves from the list', async () => {
    await pageB.goto('about:blank')
    await pageA.waitForFunction(() =>
      [...document.querySelectorAll('#users li')].map((li) => li.firstChild.textContent).join() === 'Alice', null, { timeout: WAIT })
    assert.equal(await pageA.$eval('#user-count', (el) => el.textContent), '(1)')
  })

  it('remembers who you are across a reload', async () => {
    const color = await pageA.$eval('#color', (el) => el.value)
    await pageA.reload()
    await pageA.waitForSelector('#status[data-status="connected"]', { timeout: WAIT })
    assert.equal(await pageA.$eval('#name', (el) => el.value), 'Alice')
    assert.equal(await pageA.$eval('#color', (el) => el.value), color)
    assert.equal(await pageA.$eval('#users li.self', (li) => li.firstChild.textContent), 'Alice')
    await waitForText(pageA, `${converged}\nsecond line`) // the room kept the text
  })

  it('passes ?token= to the WebSocket and keeps it when switching rooms', async () => {
    // A page of its own: a server that checks tokens may refuse this one, which is not an error here.
    const context = await browser.newContext()
    const page = await context.newPage()
    const port = new URL(baseUrl).port
    let socket = page.waitForEvent('websocket', { timeout: WAIT })
    await page.goto(`${baseUrl}/?room=${room}&token=t0k3n`)
    assert.equal((await socket).url(), `ws://127.0.0.1:${port}/${room}?token=t0k3n`)
    await page.fill('#room', 'other-room')
    socket = page.waitForEvent('websocket', { timeout: WAIT })
    await Promise.all([page.waitForURL(/room=other-room/, { timeout: WAIT }), page.press('#room', 'Enter')])
    const url = new URL(page.url())
    assert.equal(url.searchParams.get('room'), 'other-room')
    assert.equal(url.searchParams.get('token'), 't0k3n')
    assert.equal((await socket).url(), `ws://127.0.0.1:${port}/other-room?token=t0k3n`)
    assert.equal(await page.evaluate(() => window.codesyncEditor.room), 'other-room')
    await context.close()
  })

  it('reads the room from #room and falls back on a bad name', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    await page.goto(`${baseUrl}/#hash-room`)
    assert.equal(await page.evaluate(() => window.codesyncEditor.room), 'hash-room')
    await page.goto(`${baseUrl}/?room=${encodeURIComponent('../etc/passwd')}`)
    assert.equal(await page.evaluate(() => window.codesyncEditor.room), 'demo')
    await context.close()
  })

  it('build.sh does nothing when dist/ is up to date', () => {
    const stamp = join(dist, '.built')
    const before = statSync(stamp).mtimeMs
    const again = spawnSync('bash', [join(webEditor, 'build.sh')], { encoding: 'utf8' })
    assert.equal(again.status, 0, again.stderr)
    assert.equal(again.stdout + again.stderr, '')
    assert.equal(statSync(stamp).mtimeMs, before)
  })

  it('logged no console errors or warnings', () => {
    assert.deepEqual(consoleErrors, [])
  })
})
