// The yjs, y-protocols and lib0 these scripts use: the ones installed for the
// Node binding's tests (tests/node/node_modules, by scripts/setup.sh).
import { createRequire } from 'node:module'

const require = createRequire(new URL('../../node/package.json', import.meta.url))
export const Y = require('yjs')
export const awarenessProtocol = require('y-protocols/awareness')
export const syncProtocol = require('y-protocols/sync')
export const encoding = require('lib0/encoding')
export const decoding = require('lib0/decoding')

// y-websocket's envelope: [0 sync][sync message] and [1 awareness][update].
export function syncFrame (write) {
  const enc = encoding.createEncoder()
  encoding.writeVarUint(enc, 0)
  write(enc)
  return encoding.toUint8Array(enc)
}

export function awarenessFrame (update) {
  const enc = encoding.createEncoder()
  encoding.writeVarUint(enc, 1)
  encoding.writeVarUint8Array(enc, update)
  return encoding.toUint8Array(enc)
}
