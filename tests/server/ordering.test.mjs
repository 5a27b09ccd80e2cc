// The writer thread's contract: an update reaches other clients only after
// the transaction that stores it has committed. --commit-delay-ms holds every
// commit back, so a broadcast that did not wait for it would arrive while the
// row is still missing from the database (read here by a separate SQLite
// connection, as a crash-and-restart would).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { withServer, client, waitFor } from './helpers.mjs'

const COUNT_ROWS = `
import sqlite3, sys
db = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True)
print(db.execute('SELECT COUNT(*) FROM updates WHERE room = ?', (sys.argv[2],)).fetchone()[0])
`
const storedRows = (server, room) => Number(execFileSync('python3', ['-c', COUNT_ROWS, server.db, room]).toString().trim())

test('a relayed update is already committed when it arrives', async () => {
  const delayMs = 300
  await withServer({ args: ['--commit-delay-ms', String(delayMs)] }, async (server) => {
    const a = client(server, 'ordered')
    const b = client(server, 'ordered')
    try {
      await a.synced()
      await b.synced()
      const base = storedRows(server, 'ordered')
      const seen = []  // at each update b receives: [edits b has, rows stored]
      b.doc.on('update', () => { seen.push([b.text.length, storedRows(server, 'ordered')]) })
      for (let i = 1; i <= 4; i++) {
        const sent = Date.now()
        a.text.insert(a.text.length, 'x')
        await waitFor(() => b.text.length === i, `edit ${i} relayed`)
        for (const [edits, rows] of seen) {
          assert.ok(rows - base >= edits, `b saw ${edits} edit(s) while ${rows - base} row(s) were committed`)
        }
        // The hook was in effect: the relay waited for the delayed commit.
        assert.ok(Date.now() - sent >= delayMs - 50, `edit ${i} arrived after ${Date.now() - sent} ms`)
      }
      assert.ok(seen.length >= 4)
      // The loop's busy-time histogram counts iterations.
      const m = await server.metrics()
      assert.ok(m.codesync_loop_busy_seconds_count > 0)
      assert.equal(m['codesync_loop_busy_seconds_bucket{le="+Inf"}'], m.codesync_loop_busy_seconds_count)
    } finally {
      for (const x of [a, b]) x.close()
    }
  })
})
