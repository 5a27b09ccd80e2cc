'use strict';
// Loads the compiled addon: build/Release/codesync.node as `npm install`
// builds it, or the file named by CODESYNC_NODE_ADDON (the test suite points
// it at the addon its CMake build made).
const path = require('path');

const file = process.env.CODESYNC_NODE_ADDON || path.join(__dirname, '..', 'build', 'Release', 'codesync.node');
module.exports = require(file);
