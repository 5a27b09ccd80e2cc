'use strict';
// `npm install` / `npm run build`: builds build/Release/codesync.node with
// node-gyp, then loads it once so a broken link fails here, not at first use.
//
// No Node headers are downloaded: node-gyp is pointed at the headers of the
// running Node (<prefix>/include/node, e.g. /usr/include/node on Debian), or
// at npm's `nodedir` setting when there is one.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const here = path.resolve(__dirname, '..');

function nodeGyp() {
  if (process.env.npm_config_node_gyp) return process.env.npm_config_node_gyp;
  try {
    return require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    // npm ships node-gyp; find it beside the npm that came with this Node.
    const bundled = path.resolve(process.execPath, '../../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js');
    if (fs.existsSync(bundled)) return bundled;
  }
  console.error('codesync: node-gyp not found (it comes with npm)');
  process.exit(1);
}

function nodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = path.resolve(process.execPath, '../..');
  if (fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) return prefix;
  return null; // node-gyp falls back to its own header cache
}

// The library's FlatBuffers schema (lib/persist/container.fbs) compiled by
// flatc, as lib/CMakeLists.txt does, into generated/ (node-gyp's rebuild
// empties build/, so it lives beside it).
function generateSchemas() {
  const out = path.join(here, 'generated', 'persist');
  fs.mkdirSync(out, { recursive: true });
  const fbs = path.resolve(here, '..', '..', 'lib', 'persist', 'container.fbs');
  const flatc = spawnSync('flatc', ['--cpp', '-o', out, fbs], { stdio: 'inherit' });
  if (flatc.error || flatc.status !== 0) {
    console.error('codesync: flatc failed (Debian package flatbuffers-compiler)');
    process.exit(1);
  }
}
generateSchemas();

const args = [nodeGyp(), 'rebuild', `--jobs=${Math.max(1, os.cpus().length)}`];
const dir = nodeDir();
if (dir) args.push(`--nodedir=${dir}`);
const build = spawnSync(process.execPath, args, { cwd: here, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status || 1);

const addon = path.join(here, 'build', 'Release', 'codesync.node');
const check = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(addon)})`], { stdio: 'inherit' });
if (check.status !== 0) {
  console.error(`codesync: ${addon} was built but does not load`);
  process.exit(1);
}
