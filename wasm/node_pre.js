/*
** node_pre.js — prepended to build/wasm/imgsearch.js (--pre-js).
**
** Under Node.js, read imgsearch.wasm from beside imgsearch.js.  The loader
** of emscripten 3.1.6 (Debian 12's) fetch()es the .wasm whenever fetch
** exists, and Node 18 has a fetch that does not take file paths; a module
** given its bytes as wasmBinary is never fetched.  Browsers are unaffected.
*/
if (typeof process == 'object' && typeof process.versions == 'object' &&
    typeof process.versions.node == 'string' && !Module['wasmBinary'] &&
    !Module['locateFile']) {
  Module['wasmBinary'] = require('fs').readFileSync(
    require('path').join(__dirname, 'imgsearch.wasm'));
}
