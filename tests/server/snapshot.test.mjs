// Compaction writes the HIST-1 container (snapshots.format = 2); loading reads
// it and the old format 1 (a bare Yjs v1 update), and a damaged or misplaced
// snapshot row makes the room refuse to load instead of serving an empty doc.
// The rows are read and rewritten with the sqlite3 CLI while the server is stopped.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { withServer, client, rawSocket, waitFor, Y, SERVER } from './helpers.mjs'

const sql = (db, query) => execFileSync('sqlite3', [db, query], { encoding: 'utf8' }).trim()
const snapshotRow = (db, room) => {
  const out = sql(db, `SELECT format, hex(data) FROM snapshots WHERE room = '${room}'`)
  if (!out) return null
  const [format, hex] = out.split('|')
  return { format: Number(format), data: Buffer.from(hex, 'hex') }
}
const setSnapshot = (db, room, format, data) =>
  sql(db, `INSERT INTO snapshots(room, format, covers_seq, data, updated_ms) VALUES('${room}', ${format}, 0, X'${data.toString('hex')}', 0)` +
    ` ON CONFLICT(room) DO UPDATE SET format = excluded.format, data = excluded.data`)

async function fillAndCompact (server, room, text) {
  const a = client(server, room)
  await a.synced()
  for (const ch of text) a.text.insert(a.text.length, ch)
  await waitFor(async () => (await server.metrics()).codesync_compactions_total >= 1, 'a compaction ran')
  a.close()
}

test('compaction writes a container naming the room; it loads after a restart', async () => {
  await withServer({ args: ['--compact-after', '5'] }, async (server) => {
    const made = await fetch(`${server.url}/rooms`, { method: 'POST', body: JSON.stringify({ id: 'doc-7', name: 'Design notes', language: 'markdown' }) })
    assert.equal(made.status, 201)
    await fillAndCompact(server, 'doc-7', 'hello container')
    const row = snapshotRow(server.db, 'doc-7')
    assert.equal(row.format, 2)
    assert.equal(row.data.subarray(4, 8).toString('latin1'), 'CSYC')  // the FlatBuffers file identifier
    const raw = row.data.toString('latin1')
    for (const s of ['doc-7', 'room_name', 'Design notes', 'language', 'markdown', 'compacted_at']) {
      assert.ok(raw.includes(s), `container holds ${s}`)
    }
    assert.match(raw, /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/)
    await server.kill9()
    await server.start()
    const b = client(server, 'doc-7')
    await b.synced()
    assert.equal(b.text.toString(), 'hello container')
    b.close()
  })
})

test('a format 1 snapshot (Yjs v1 update) written by an older server still loads, with the log after it', async () => {
  await withServer({}, async (server) => {
    await server.stop('SIGTERM')  // the tables exist now
    const doc = new Y.Doc()
    doc.getText('monaco').insert(0, 'old snapshot')
    const snap = Buffer.from(Y.encodeStateAsUpdate(doc))
    const sv = Y.encodeStateVector(doc)
    doc.getText('monaco').insert(0, '+log ')
    const logRow = Buffer.from(Y.encodeStateAsUpdate(doc, sv))
    sql(server.db, `INSERT INTO snapshots(room, format, covers_seq, data, updated_ms) VALUES('legacy', 1, 3, X'${snap.toString('hex')}', 0)`)
    sql(server.db, `INSERT INTO updates(room, seq, data) VALUES('legacy', 4, X'${logRow.toString('hex')}')`)
    await server.start()
    const b = client(server, 'legacy')
    await b.synced()
    assert.equal(b.text.toString(), '+log old snapshot')
    b.close()
  })
})

test('a corrupt snapshot row: the room refuses to load, says why, and the row is left as it was', async () => {
  await withServer({ args: ['--compact-after', '5'] }, async (server) => {
    await fillAndCompact(server, 'fragile', 'precious text')
    await fillAndCompact(server, 'sound', 'other room')
    await server.stop('SIGTERM')
    const row = snapshotRow(server.db, 'fragile')
    assert.equal(row.format, 2)
    const bad = Buffer.from(row.data)
    bad[bad.length >> 1] ^= 0x5a
    setSnapshot(server.db, 'fragile', 2, bad)
    await server.start()

    await assert.rejects(rawSocket(server, '/fragile'), (e) => e.status === 500)
    const rest = await fetch(`${server.url}/rooms/fragile`)
    assert.equal(rest.status, 500)
    assert.match((await rest.json()).error, /snapshot \(format 2\) is corrupt/)
    assert.match(server.log, /room fragile refused: stored snapshot \(format 2\) is corrupt/)
    assert.ok((await server.metrics())['codesync_errors_total{kind="corrupt_snapshot"}'] >= 2)
    // Other rooms are served as usual.
    const s = client(server, 'sound')
    await s.synced()
    assert.equal(s.text.toString(), 'other room')
    s.close()
    // Nothing was written over the damaged row (no empty doc was compacted into it).
    await server.stop('SIGTERM')
    assert.deepEqual(snapshotRow(server.db, 'fragile').data, bad)
  })
})

test('a container of another room in this room\'s row is refused', async () => {
  await withServer({ args: ['--compact-after', '5'] }, async (server) => {
    await fillAndCompact(server, 'source', 'not yours')
    await server.stop('SIGTERM')
    setSnapshot(server.db, 'target', 2, snapshotRow(server.db, 'source').data)
    sql(server.db, "INSERT INTO rooms(id, name, created_ms) VALUES('target', 'target', 0)")
    await server.start()
    const rest = await fetch(`${server.url}/rooms/target`)
    assert.equal(rest.status, 500)
    assert.match((await rest.json()).error, /belongs to another room \(guid "source"\)/)
  })
})

test('export writes the state (Yjs update or container); import merges an update or container into a room', async () => {
  await withServer({}, async (server) => {
    const a = client(server, 'exp')
    await a.synced()
    a.text.insert(0, 'exported text')
    a.doc.getMap('m').set('k', 42)
    await waitFor(async () => (await server.metrics()).codesync_updates_total >= 2, 'stored')
    a.close()
    await server.stop('SIGTERM')
    const run = (args, input) => spawnSync(SERVER, [...args, '--db', server.db], { input })

    let r = run(['export', 'exp'])
    assert.equal(r.status, 0, r.stderr.toString())
    const doc = new Y.Doc()
    Y.applyUpdate(doc, r.stdout)  // the real yjs reads it
    assert.equal(doc.getText('monaco').toString(), 'exported text')
    assert.equal(doc.getMap('m').get('k'), 42)
    r = run(['export', 'exp', '--container'])
    assert.equal(r.status, 0)
    const container = r.stdout
    assert.equal(container.subarray(4, 8).toString('latin1'), 'CSYC')
    r = run(['export', 'nope'])
    assert.equal(r.status, 1)
    assert.match(r.stderr.toString(), /no such room: nope/)

    const made = new Y.Doc()
    made.getText('monaco').insert(0, 'made by yjs')
    assert.equal(run(['import', 'fresh'], Buffer.from(Y.encodeStateAsUpdate(made))).status, 0)
    assert.equal(run(['import', 'copy'], container).status, 0)
    // Importing into a room that has content merges with it.
    const more = new Y.Doc()
    Y.applyUpdate(more, Y.encodeStateAsUpdate(doc))
    more.getText('monaco').insert(0, '+')
    assert.equal(run(['import', 'exp'], Buffer.from(Y.encodeStateAsUpdate(more, Y.encodeStateVector(doc)))).status, 0)
    r = run(['import', 'fresh'], Buffer.from('definitely not an update'))
    assert.equal(r.status, 1)
    assert.match(r.stderr.toString(), /neither a container nor a Yjs update v1/)
    assert.equal(run(['import', 'fresh'], Buffer.alloc(0)).status, 1)
    const badContainer = Buffer.from(container)
    badContainer[badContainer.length - 3] ^= 1
    assert.equal(run(['import', 'fresh'], badContainer).status, 1)

    await server.start()
    for (const [room, text] of [['fresh', 'made by yjs'], ['copy', 'exported text'], ['exp', '+exported text']]) {
      const c = client(server, room)
      await c.synced()
      assert.equal(c.text.toString(), text, room)
      c.close()
    }
  })
})
