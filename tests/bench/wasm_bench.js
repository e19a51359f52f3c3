/*
** wasm_bench.js — the WebAssembly side of the benchmark (wasm.sh).
**
**   node tests/bench/wasm_bench.js build/wasm LABEL
**
** wasm_bench.c's workload in build/wasm/imgsearch.js: 10,000 rows of
** float32[64] inserted in one transaction, 1000 KNN queries (k = 10) and
** 100 exact ones, each statement prepared once (wasm/api.js); prints the
** same markdown row, then how long the module took to load.
*/
'use strict';
const path = require('path');
const dir = path.resolve(process.argv[2] || 'build/wasm');
const label = process.argv[3] || 'wasm';
const vectors = require(path.join(dir, 'vectors.js'));
const DIMS = 64, ROWS = 10000, QUERIES = 1000, EXACT_QUERIES = 100, K = 10;

const loadStart = performance.now();
require(path.join(dir, 'imgsearch.js'))().then(function (imgsearch) {
  const loadMs = performance.now() - loadStart;
  const data = vectors.randomVectors(1, ROWS, DIMS);
  const queries = vectors.randomVectors(2, QUERIES, DIMS);
  const db = new imgsearch.Database();
  db.exec('CREATE VIRTUAL TABLE items USING annoy(v float32[64])');
  const insert = db.prepare('INSERT INTO items(rowid, v) VALUES (?, ?)');
  let start = performance.now();
  db.exec('BEGIN');
  for (let i = 0; i < ROWS; i++) insert.run([i + 1, data.subarray(i * DIMS, (i + 1) * DIMS)]);
  db.exec('COMMIT');
  const insertMs = performance.now() - start;
  let rows = 0, sum = 0;
  function runQueries(sql, count) {
    const search = db.prepare(sql);
    const begin = performance.now();
    for (let q = 0; q < count; q++) {
      for (const r of search.all([queries.subarray(q * DIMS, (q + 1) * DIMS), K])) {
        rows++;
        sum += r.rowid;
      }
    }
    const ms = performance.now() - begin;
    search.finalize();
    return ms;
  }
  const knnMs = runQueries('SELECT rowid FROM items WHERE v MATCH ? AND k = ?', QUERIES);
  const exactMs = runQueries('SELECT rowid FROM items WHERE v MATCH ? AND k = ? AND search_k = -1', EXACT_QUERIES);
  insert.finalize();
  db.close();
  console.log('| ' + label + ' | ' + imgsearch.sqliteVersion() + ' | ' + insertMs.toFixed(0) + ' | ' +
              knnMs.toFixed(0) + ' | ' + (knnMs / QUERIES).toFixed(3) + ' | ' +
              (exactMs / EXACT_QUERIES).toFixed(2) + ' | ' + rows + ' / ' + sum + ' |');
  console.error('module load: ' + loadMs.toFixed(0) + ' ms');
});
