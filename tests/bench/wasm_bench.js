/*
** wasm_bench.js — the WebAssembly side of the benchmark (wasm.sh).
**
**   node tests/bench/wasm_bench.js build/wasm LABEL
**
** wasm_bench.c's workload in build/wasm/imgsearch.js: 10,000 rows of
** float32[64] inserted in one transaction, 1000 KNN queries (k = 10) and
** 100 exact ones, each statement prepared once (wasm/api.js), the fastest
** of 5 rounds as there; prints the same markdown row, then (on stderr)
** how long the module took to load and the first round's times.
*/
'use strict';
const path = require('path');
const dir = path.resolve(process.argv[2] || 'build/wasm');
const label = process.argv[3] || 'wasm';
const vectors = require(path.join(dir, 'vectors.js'));
const DIMS = 64, ROWS = 10000, QUERIES = 1000, EXACT_QUERIES = 100, K = 10, ROUNDS = 5;

const loadStart = performance.now();
require(path.join(dir, 'imgsearch.js'))().then(function (imgsearch) {
  const loadMs = performance.now() - loadStart;
  const data = vectors.randomVectors(1, ROWS, DIMS);
  const queries = vectors.randomVectors(2, QUERIES, DIMS);
  let rows = 0, sum = 0;

  // One round: a new database in memory; returns the three times.
  function round() {
    const db = new imgsearch.Database();
    db.exec('CREATE VIRTUAL TABLE items USING annoy(v float32[64])');
    const insert = db.prepare('INSERT INTO items(rowid, v) VALUES (?, ?)');
    const start = performance.now();
    db.exec('BEGIN');
    for (let i = 0; i < ROWS; i++) insert.run([i + 1, data.subarray(i * DIMS, (i + 1) * DIMS)]);
    db.exec('COMMIT');
    const insertMs = performance.now() - start;
    insert.finalize();
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
    rows = sum = 0;
    const knnMs = runQueries('SELECT rowid FROM items WHERE v MATCH ? AND k = ?', QUERIES);
    const exactMs = runQueries('SELECT rowid FROM items WHERE v MATCH ? AND k = ? AND search_k = -1', EXACT_QUERIES);
    db.close();
    return [insertMs, knnMs, exactMs];
  }

  const best = [Infinity, Infinity, Infinity];
  let first = null;
  for (let r = 0; r < ROUNDS; r++) {
    const ms = round();
    first = first || ms;
    ms.forEach((t, i) => { best[i] = Math.min(best[i], t); });
  }
  console.log('| ' + label + ' | ' + imgsearch.sqliteVersion() + ' | ' + best[0].toFixed(0) + ' | ' +
              best[1].toFixed(0) + ' | ' + (best[1] / QUERIES).toFixed(3) + ' | ' +
              (best[2] / EXACT_QUERIES).toFixed(2) + ' | ' + rows + ' / ' + sum + ' |');
  // the first round, before the engine has optimised the hot code
  console.error('module load ' + loadMs.toFixed(0) + ' ms; the first round: insert ' + first[0].toFixed(0) +
                ' ms, 1000 KNN ' + first[1].toFixed(0) + ' ms');
});
