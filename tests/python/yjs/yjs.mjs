// The yjs these scripts use: the one installed for the Node binding's tests
// (tests/node/node_modules, by scripts/setup.sh).
import { createRequire } from 'node:module'

const require = createRequire(new URL('../../node/package.json', import.meta.url))
export const Y = require('yjs')
