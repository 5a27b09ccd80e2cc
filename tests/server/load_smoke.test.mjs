// bench/load's generator against codesync-server, small: every client syncs,
// every edit reaches every other client of its room, nothing fails. Counts
// only; no timing is asserted (speed is bench/load/run.sh's business).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { withServer } from './helpers.mjs'

const LOAD = process.env.CODESYNC_LOAD

function load (args) {
  const r = spawnSync(LOAD, args, { encoding: 'utf8', timeout: 60000 })
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l))
  return { status: r.status, lines, stderr: r.stderr }
}

test('20 clients in 4 rooms, two rates: every edit delivered to the 4 others of its room', { skip: !LOAD }, async () => {
  await withServer({ args: ['--text-name', 'content'] }, async (server) => {
    const r = load(['--url', `${server.wsUrl}/smoke-`, '--clients', '20', '--rooms', '4', '--writers-per-room', '2',
      '--rate', '40,80', '--duration', '1', '--warmup', '0.3', '--drain', '10', '--server-pid', String(server.proc.pid)])
    assert.equal(r.status, 0, r.stderr)
    assert.equal(r.lines.length, 2, r.stderr)
    for (const [i, line] of r.lines.entries()) {
      assert.equal(line.rate, [40, 80][i])
      assert.equal(line.synced, 20)
      assert.equal(line.writers, 8)
      assert.ok(line.edits >= 20, `${line.edits} edits`)
      assert.equal(line.skipped, 0)
      assert.equal(line.expected, line.edits * 4)
      assert.equal(line.delivered, line.expected)
      assert.equal(line.late, 0)
      assert.notEqual(line.p99_ms, null)
      assert.deepEqual(line.errors, { connect_failed: 0, connect_timed_out: 0, closed_during_run: 0, protocol: 0 })
      assert.ok(line.server_rss_kb > 0 && line.server_hwm_kb >= line.server_rss_kb)
    }
    // The rooms hold what was typed, one character per edit (warm-up edits too).
    let typed = 0
    for (let i = 0; i < 4; ++i) {
      const room = await (await fetch(`${server.url}/rooms/smoke-r${i}`)).json()
      assert.ok(room.text.length > 0, JSON.stringify(room))
      typed += room.text.length
    }
    assert.ok(typed >= r.lines[0].edits + r.lines[1].edits, `${typed} characters`)
  })
})

test('a target that is not loopback is refused before any connection', { skip: !LOAD }, () => {
  for (const url of ['ws://10.0.0.1:1234/', 'ws://example.com:1234/', 'wss://127.0.0.1:1234/']) {
    const r = load(['--url', url, '--clients', '1', '--rooms', '1', '--writers-per-room', '1'])
    assert.equal(r.status, 2, url)
    assert.equal(r.lines.length, 0)
    assert.match(r.stderr, /loopback|only ws:\/\//, url)
  }
})

test('bad options exit 2 with the reason', { skip: !LOAD }, () => {
  for (const [args, why] of [[['--clients', '0'], /--clients/], [['--rooms', '5', '--clients', '2'], /--rooms/],
    [['--rate', 'fast'], /--rate/], [['--bind', '10.1.1.1'], /--bind/], [['--nope', '1'], /unknown option/]]) {
    const r = load(args)
    assert.equal(r.status, 2, args.join(' '))
    assert.match(r.stderr, why)
  }
})
