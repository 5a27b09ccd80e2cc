// The TypeScript declarations (bindings/node/index.d.ts) type-check a program
// that uses the whole API, and reject a misuse.
import test from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { repo } from './codesync.mjs'

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')

function check (file) {
  return spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--target', 'es2020', '--module', 'commonjs',
    '--lib', 'es2020', file], { encoding: 'utf8' })
}

test('a program using the API type-checks', () => {
  const out = check(path.join(repo, 'tests', 'node', 'types', 'usage.ts'))
  assert.equal(out.status, 0, out.stdout + out.stderr)
})

test('a misuse is a type error', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codesync-types-'))
  const file = path.join(dir, 'misuse.ts')
  const pkg = path.join(repo, 'bindings', 'node').split(path.sep).join('/')
  fs.writeFileSync(file, `import * as Y from '${pkg}';\nnew Y.Doc().getText('t').insert('0', 'x');\n`)
  const out = check(file)
  fs.rmSync(dir, { recursive: true })
  assert.notEqual(out.status, 0)
  assert.match(out.stdout, /Argument of type 'string' is not assignable to parameter of type 'number'/)
})

test('an awareness misuse is a type error', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codesync-types-'))
  const file = path.join(dir, 'misuse.ts')
  const pkg = path.join(repo, 'bindings', 'node').split(path.sep).join('/')
  fs.writeFileSync(file, `import * as Y from '${pkg}';\nY.removeAwarenessStates(new Y.Awareness(new Y.Doc()), 'all');\n`)
  const out = check(file)
  fs.rmSync(dir, { recursive: true })
  assert.notEqual(out.status, 0)
  assert.match(out.stdout, /Argument of type 'string' is not assignable to parameter of type 'number\[\]'/)
})
