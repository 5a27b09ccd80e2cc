'use strict';
// Feeds binding.gyp from the CMake build description, so the two builds agree:
//   --sources  the library's C++ sources (lib/**/*.cc and capi/*.cc), relative to bindings/node
//   --libs     the linker flags for the Abseil components lib/ and capi/ link (via pkg-config)
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const here = path.resolve(__dirname, '..');
const root = path.resolve(here, '..', '..');

function ccFiles(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...ccFiles(p));
    else if (entry.name.endsWith('.cc')) out.push(p);
  }
  return out;
}

function abslModules() {
  const names = new Set();
  for (const file of ['lib/CMakeLists.txt', 'capi/CMakeLists.txt']) {
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    for (const m of text.matchAll(/absl::(\w+)/g)) names.add(`absl_${m[1]}`);
  }
  return [...names].sort();
}

const mode = process.argv[2];
if (mode === '--sources') {
  const files = [...ccFiles(path.join(root, 'lib')), ...ccFiles(path.join(root, 'capi'))].sort();
  console.log(files.map((f) => path.relative(here, f).split(path.sep).join('/')).join(' '));
} else if (mode === '--libs') {
  console.log(execFileSync('pkg-config', ['--libs', ...abslModules()], { encoding: 'utf8' }).trim());
} else {
  console.error('usage: node scripts/sources.js --sources | --libs');
  process.exit(2);
}
