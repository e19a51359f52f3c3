/*
** test_wasm.js — the WebAssembly build under Node.js (run by tests/wasm/run.sh).
**
**   node tests/wasm/test_wasm.js build/wasm
**
** Loads build/wasm/imgsearch.js, creates annoy(v float32[8]) in a database
** in memory, inserts seeded random rows and checks the KNN results against
** an exact scan in JavaScript (wasm/vectors.js), then the extension's
** errors.  Numbered cases; prints "ok - wasm N.M ..." or "not ok - ...".
*/
'use strict';
const fs = require('fs');
const path = require('path');

const dir = path.resolve(process.argv[2] || 'build/wasm');
const createImgsearch = require(path.join(dir, 'imgsearch.js'));
const vectors = require(path.join(dir, 'vectors.js'));

const DIMS = 8, ROWS = 2000, QUERIES = 50, K = 10;
let failures = 0;

function check(name, body) {
  try {
    body();
    console.log('ok - wasm ' + name);
  } catch (error) {
    failures++;
    console.log('not ok - wasm ' + name);
    for (const line of String(error.stack || error).split('\n')) console.log('#   ' + line);
  }
}

function assertEqual(got, expected, what) {
  const g = JSON.stringify(got), e = JSON.stringify(expected);
  if (g !== e) throw new Error((what || 'value') + ': got ' + g + ', expected ' + e);
}

function errorOf(work) {
  try {
    work();
  } catch (error) {
    return error.message;
  }
  return null;
}

// The version macros of ext/imgsearch.h and SQLite's sqlite3.h in build/wasm/sqlite/.
function headerString(file, macro) {
  const m = fs.readFileSync(file, 'utf8').match(new RegExp('#define ' + macro + ' +"([^"]*)"'));
  return m ? m[1] : null;
}

createImgsearch().then(function (imgsearch) {
  const data = vectors.randomVectors(1, ROWS, DIMS);
  const queries = vectors.randomVectors(2, QUERIES, DIMS);
  const row = (i) => data.subarray(i * DIMS, (i + 1) * DIMS);
  const query = (q) => queries.subarray(q * DIMS, (q + 1) * DIMS);
  let db = null;

  // 1.x the module
  check('1.1 SQLite is the pinned amalgamation, the extension has this tree\'s version', function () {
    db = new imgsearch.Database();
    assertEqual(imgsearch.sqliteVersion(), headerString(path.join(dir, 'sqlite/sqlite3.h'), 'SQLITE_VERSION'));
    const root = path.join(__dirname, '../..');
    assertEqual(db.query('SELECT vec_version() AS v'),
                [{v: 'v' + headerString(path.join(root, 'ext/imgsearch.h'), 'IMGSEARCH_VERSION')}]);
  });
  check('1.2 values cross both ways: INTEGER, REAL, TEXT, NULL, BLOB', function () {
    const got = db.query('SELECT ? AS i, ? AS r, ? AS t, ? AS n, ? AS b, hex(?) AS h',
                         [9007199254740991, 0.5, 'héllo', null, new Float32Array([1, 2]), new Float32Array([1, 2])]);
    if (!(got[0].b instanceof Uint8Array)) throw new Error('a BLOB came back as ' + typeof got[0].b);
    got[0].b = Array.from(got[0].b);
    assertEqual(got, [{i: 9007199254740991, r: 0.5, t: 'héllo', n: null,
                       b: [0, 0, 128, 63, 0, 0, 0, 64], h: '0000803F00000040'}]);
  });

  // 2.x the table
  check('2.1 CREATE annoy(v float32[8]) and ' + ROWS + ' INSERTs in one transaction', function () {
    db.exec('CREATE VIRTUAL TABLE items USING annoy(v float32[8])');
    const insert = db.prepare('INSERT INTO items(rowid, v) VALUES (?, ?)');
    db.exec('BEGIN');
    for (let i = 0; i < ROWS; i++) insert.run([i + 1, row(i)]);
    db.exec('COMMIT');
    insert.finalize();
    assertEqual(db.query('SELECT count(*) AS n FROM items'), [{n: ROWS}]);
    assertEqual(db.query("SELECT annoy_check('items') AS c"), [{c: 'ok'}]);
  });
  check('2.2 a stored vector comes back as the same float32 bytes', function () {
    const v = db.query('SELECT v FROM items WHERE rowid = 1234')[0].v;
    assertEqual(Array.from(new Float32Array(v.buffer)), Array.from(row(1233)));
  });

  // 3.x KNN against an exact scan in JavaScript
  check('3.1 search_k = -1 (exact): ' + QUERIES + ' queries give the exact scan\'s ' + K + ' nearest', function () {
    const search = db.prepare('SELECT rowid, distance FROM items WHERE v MATCH ? AND k = ? AND search_k = -1');
    for (let q = 0; q < QUERIES; q++) {
      const got = search.all([query(q), K]);
      const exact = vectors.exactNeighbours(data, DIMS, query(q), K);
      assertEqual(got.map((r) => r.rowid), exact.map((r) => r.rowid), 'query ' + q + ' rowids');
      got.forEach(function (r, i) {
        if (Math.abs(r.distance - exact[i].distance) > 1e-5) {
          throw new Error('query ' + q + ' rowid ' + r.rowid + ': distance ' + r.distance + ', exact ' + exact[i].distance);
        }
      });
    }
    search.finalize();
  });
  check('3.2 the default search: ' + K + ' rows nearest first, true distances, recall@' + K + ' >= 0.95', function () {
    const search = db.prepare('SELECT rowid, distance FROM items WHERE v MATCH ? AND k = ?');
    let found = 0;
    for (let q = 0; q < QUERIES; q++) {
      const got = search.all([query(q), K]);
      const exact = vectors.exactNeighbours(data, DIMS, query(q), ROWS);
      const distanceOf = new Map(exact.map((r) => [r.rowid, r.distance]));
      assertEqual(got.length, K, 'query ' + q + ' rows');
      got.forEach(function (r, i) {
        if (Math.abs(r.distance - distanceOf.get(r.rowid)) > 1e-5) throw new Error('query ' + q + ': wrong distance for ' + r.rowid);
        if (i > 0 && r.distance < got[i - 1].distance) throw new Error('query ' + q + ': not nearest first');
        if (exact.slice(0, K).some((e) => e.rowid === r.rowid)) found++;
      });
    }
    search.finalize();
    if (found < 0.95 * QUERIES * K) throw new Error('recall ' + found + ' of ' + QUERIES * K);
  });
  check('3.3 a JSON query is the same query as its float32 BLOB', function () {
    const json = '[' + Array.from(query(0)).join(', ') + ']';
    assertEqual(db.query('SELECT rowid, distance FROM items WHERE v MATCH ? AND k = 5', [json]),
                db.query('SELECT rowid, distance FROM items WHERE v MATCH ? AND k = 5', [query(0)]));
  });
  check('3.4 DELETE and UPDATE: the searches follow', function () {
    const nearest = vectors.exactNeighbours(data, DIMS, query(0), 1)[0].rowid;
    db.query('DELETE FROM items WHERE rowid = ?', [nearest]);
    const after = db.query('SELECT rowid FROM items WHERE v MATCH ? AND k = 10 AND search_k = -1', [query(0)]);
    if (after.some((r) => r.rowid === nearest)) throw new Error('deleted rowid ' + nearest + ' still found');
    db.query('UPDATE items SET v = ? WHERE rowid = 7', [query(0)]);
    assertEqual(db.query('SELECT rowid, distance FROM items WHERE v MATCH ? AND k = 1', [query(0)]),
                [{rowid: 7, distance: 0}]);
    assertEqual(db.query("SELECT count(*) AS n, annoy_check('items') AS c FROM items"), [{n: ROWS - 1, c: 'ok'}]);
  });

  check('3.5 a metadata column filters inside the search, an auxiliary one comes back', function () {
    db.exec('CREATE VIRTUAL TABLE tagged USING annoy(v float32[8], grp INTEGER, +label TEXT)');
    const insert = db.prepare('INSERT INTO tagged(rowid, v, grp, label) VALUES (?, ?, ?, ?)');
    db.exec('BEGIN');
    for (let i = 0; i < ROWS; i++) insert.run([i + 1, row(i), (i + 1) % 10, 'row ' + (i + 1)]);
    db.exec('COMMIT');
    insert.finalize();
    const search = db.prepare('SELECT rowid, label FROM tagged WHERE v MATCH ? AND k = ? AND grp = ?');
    for (let q = 0; q < QUERIES; q++) {
      const got = search.all([query(q), K, q % 10]);
      const exact = vectors.exactNeighbours(data, DIMS, query(q), ROWS).filter((r) => r.rowid % 10 === q % 10);
      assertEqual(got.map((r) => r.rowid), exact.slice(0, K).map((r) => r.rowid), 'query ' + q + ' rowids');
      got.forEach(function (r) { assertEqual(r.label, 'row ' + r.rowid, 'label'); });
    }
    search.finalize();
    assertEqual(db.query("SELECT annoy_check('tagged') AS c"), [{c: 'ok'}]);
  });

  // 4.x errors: the extension's messages, and nothing changed
  check('4.1 a float32 BLOB of the wrong size is refused with the extension\'s message', function () {
    assertEqual(errorOf(() => db.query('INSERT INTO items(rowid, v) VALUES (5000, ?)', [new Float32Array(3)])),
                'annoy: the vector: wrong vector size: a float32[8] BLOB has 32 bytes, got 12');
  });
  check('4.2 JSON of the wrong dimension is refused, in an INSERT and in a query', function () {
    assertEqual(errorOf(() => db.query("INSERT INTO items(rowid, v) VALUES (5000, '[1, 2, 3]')")),
                'annoy: the vector: wrong dimension: expected 8 values, got 3');
    assertEqual(errorOf(() => db.query("SELECT rowid FROM items WHERE v MATCH '[1, 2]' AND k = 3")),
                'annoy: the query vector (MATCH): wrong dimension: expected 8 values, got 2');
  });
  check('4.3 after the errors the table is as it was, and SQLite\'s own errors come through', function () {
    assertEqual(db.query("SELECT count(*) AS n, annoy_check('items') AS c FROM items"), [{n: ROWS - 1, c: 'ok'}]);
    assertEqual(errorOf(() => db.query('SELECT * FROM no_such_table')), 'no such table: no_such_table');
    assertEqual(errorOf(() => db.query('SELECT ?', [])), 'imgsearch: the statement has 1 parameters, 0 given');
    db.close();
  });
  process.exitCode = failures ? 1 : 0;
}, function (error) {
  console.log('not ok - wasm 1.1 the module loads: ' + error);
  process.exitCode = 1;
});
