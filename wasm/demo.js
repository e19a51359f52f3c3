/*
** demo.js — the script of demo.html: the annoy table at work in the page.
**
** On load and on Run: a new database in memory with
**   CREATE VIRTUAL TABLE items USING annoy(v float32[dims])
** rows random vectors inserted in one transaction (vectors.js, seed 1),
** then queries KNN queries (k nearest) with the default search; each is
** checked against an exact scan in JavaScript, and #status says how many of
** the k nearest it found.  Timings come from performance.now().  The URL's
** query string can set the form's fields: demo.html?rows=10000&dims=64.
*/
(function () {
  var vectors = imgsearchVectors;
  var imgsearch = null, db = null;

  function $(id) { return document.getElementById(id); }

  // Fills table (an element) with rows (objects with the same keys).
  function showRows(table, rows) {
    table.textContent = '';
    if (rows.length === 0) return;
    var head = table.insertRow();
    Object.keys(rows[0]).forEach(function (key) {
      var th = document.createElement('th');
      th.textContent = key;
      head.appendChild(th);
    });
    rows.forEach(function (row) {
      var tr = table.insertRow();
      Object.keys(row).forEach(function (key) {
        var value = row[key];
        if (value instanceof Uint8Array) value = value.length + '-byte BLOB';
        else if (typeof value === 'number' && !Number.isInteger(value)) value = value.toFixed(6);
        tr.insertCell().textContent = value === null ? 'NULL' : String(value);
      });
    });
  }

  function run(settings) {
    var timings = [];
    function timed(what, work) {
      var start = performance.now();
      var result = work();
      var ms = performance.now() - start;
      timings.push({step: what, ms: ms.toFixed(1)});
      return {result: result, ms: ms};
    }
    if (db) db.close();
    db = new imgsearch.Database();
    var data = vectors.randomVectors(1, settings.rows, settings.dims);
    var queries = vectors.randomVectors(2, settings.queries, settings.dims);
    timed('CREATE VIRTUAL TABLE items USING annoy(v float32[' + settings.dims + '])', function () {
      db.exec('CREATE VIRTUAL TABLE items USING annoy(v float32[' + settings.dims + '])');
    });
    timed('INSERT ' + settings.rows + ' rows (one transaction)', function () {
      var insert = db.prepare('INSERT INTO items(rowid, v) VALUES (?, ?)');
      db.exec('BEGIN');
      for (var i = 0; i < settings.rows; i++) {
        insert.run([i + 1, data.subarray(i * settings.dims, (i + 1) * settings.dims)]);
      }
      db.exec('COMMIT');
      insert.finalize();
    });
    var search = db.prepare('SELECT rowid, distance FROM items WHERE v MATCH ? AND k = ?');
    var knn = timed(settings.queries + ' KNN queries, k = ' + settings.k, function () {
      var all = [];
      for (var q = 0; q < settings.queries; q++) {
        all.push(search.all([queries.subarray(q * settings.dims, (q + 1) * settings.dims), settings.k]));
      }
      return all;
    });
    search.finalize();
    var results = knn.result;
    var found = 0, wanted = 0;
    timed(settings.queries + ' exact scans in JavaScript', function () {
      results.forEach(function (rows, q) {
        var exact = vectors.exactNeighbours(data, settings.dims,
                                            queries.subarray(q * settings.dims, (q + 1) * settings.dims), settings.k);
        var ids = new Set(exact.map(function (r) { return r.rowid; }));
        rows.forEach(function (r) { if (ids.has(r.rowid)) found++; });
        wanted += exact.length;
      });
    });
    var perQuery = knn.ms / settings.queries;
    showRows($('timings'), timings);
    showRows($('neighbours'), results[0]);
    $('status').textContent = 'done: ' + settings.rows + ' rows of ' + settings.dims +
      ' dimensions; ' + perQuery.toFixed(3) + ' ms a query; recall ' + found + ' of ' + wanted +
      ' nearest (SQLite ' + imgsearch.sqliteVersion() + ')';
  }

  function settings() {
    return {rows: +$('rows').value, dims: +$('dims').value, k: +$('k').value, queries: +$('queries').value};
  }

  function guarded(work) {
    try {
      work();
    } catch (error) {
      $('status').textContent = 'error: ' + error.message;
    }
  }

  // demo.html?rows=10000&dims=64 sets the form's fields (the benchmark does).
  new URLSearchParams(location.search).forEach(function (value, key) {
    if ($(key) && $(key).type === 'number') $(key).value = value;
  });
  var loadStart = performance.now();
  createImgsearch().then(function (module) {
    imgsearch = module;
    $('loaded').textContent = 'imgsearch.js and imgsearch.wasm loaded in ' + (performance.now() - loadStart).toFixed(0) + ' ms';
    guarded(function () { run(settings()); });
  }, function (error) {
    $('status').textContent = 'error: imgsearch.wasm did not load: ' + error;
  });
  $('settings').addEventListener('submit', function (event) {
    event.preventDefault();
    if (imgsearch) guarded(function () { run(settings()); });
  });
  $('run-sql').addEventListener('click', function () {
    if (db) guarded(function () { showRows($('sql-result'), db.query($('sql').value)); });
  });
})();
