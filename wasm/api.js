/*
** api.js — the JavaScript API of build/wasm/imgsearch.js (--post-js).
**
** A small wrapper over SQLite's C API as the module exports it (the list
** is in the Makefile); SQLite in the module already has the annoy table and
** the vec_* functions on every connection (wasm/imgsearch_wasm.c).
**
**   const imgsearch = await createImgsearch();          // <script src="imgsearch.js">
**   const imgsearch = await require('./imgsearch.js')(); // Node.js
**   const db = new imgsearch.Database();                 // a database in memory
**   db.exec('CREATE VIRTUAL TABLE items USING annoy(v float32[8])');
**   db.query('INSERT INTO items(rowid, v) VALUES (?, ?)', [1, new Float32Array(8)]);
**   db.query('SELECT rowid, distance FROM items WHERE v MATCH ? AND k = 3', [q]);
**     // -> [{rowid: 1, distance: 0.5}, ...]
**   const insert = db.prepare(sql); insert.run(params); insert.all(params); insert.finalize();
**   db.close();
**
** exec() runs a script of statements and returns nothing; query() runs one
** statement and returns its rows as objects keyed by column name.
** Parameters are positional (an array): null, booleans, numbers (integers
** as SQLite INTEGER, others as REAL), BigInt, strings, and typed arrays,
** DataView or ArrayBuffer as a BLOB of their bytes (a Float32Array is a
** float32 vector).  Results: INTEGER and REAL are numbers (an INTEGER
** beyond 2^53 a BigInt), TEXT a string, BLOB a Uint8Array (a copy), NULL
** null.  A failure throws an Error with SQLite's message (the extension's
** own, such as a wrong dimension) and its result code in .code.
*/
(function () {
  var SQLITE_ROW = 100, SQLITE_DONE = 101;
  var SQLITE_INTEGER = 1, SQLITE_FLOAT = 2, SQLITE_TEXT = 3, SQLITE_BLOB = 4;
  var SQLITE_OPEN_READWRITE = 0x2, SQLITE_OPEN_CREATE = 0x4;
  var SQLITE_TRANSIENT = -1;   // SQLite copies what it is given at once

  function sqliteError(dbPtr, rc) {
    var error = new Error(UTF8ToString(_sqlite3_errmsg(dbPtr)));
    error.code = rc;
    return error;
  }

  // A NUL-terminated copy of a JavaScript string in the module's heap;
  // the caller frees it.
  function heapString(text) {
    var size = lengthBytesUTF8(text) + 1;
    var p = _malloc(size);
    if (!p) throw new Error('imgsearch: out of memory');
    stringToUTF8(text, p, size);
    return p;
  }

  function bytesOf(value) {
    if (value instanceof ArrayBuffer) return new Uint8Array(value);
    if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    return null;
  }

  function Statement(db, stmtPtr) {
    this.db = db;
    this.ptr = stmtPtr;
  }

  // Binds params (an array) to the statement, from a reset start.
  Statement.prototype.bind = function (params) {
    var stmt = this.ptr, rc = 0;
    _sqlite3_reset(stmt);
    _sqlite3_clear_bindings(stmt);
    params = params || [];
    if (params.length !== _sqlite3_bind_parameter_count(stmt)) {
      throw new Error('imgsearch: the statement has ' + _sqlite3_bind_parameter_count(stmt) +
                      ' parameters, ' + params.length + ' given');
    }
    for (var i = 0; i < params.length; i++) {
      var value = params[i], index = i + 1, bytes;
      if (value === null || value === undefined) {
        rc = _sqlite3_bind_null(stmt, index);
      } else if (typeof value === 'boolean') {
        rc = _sqlite3_bind_int64(stmt, index, BigInt(value ? 1 : 0));
      } else if (typeof value === 'number') {
        rc = Number.isSafeInteger(value) ? _sqlite3_bind_int64(stmt, index, BigInt(value))
                                         : _sqlite3_bind_double(stmt, index, value);
      } else if (typeof value === 'bigint') {
        rc = _sqlite3_bind_int64(stmt, index, value);
      } else if (typeof value === 'string') {
        var text = heapString(value);
        rc = _sqlite3_bind_text(stmt, index, text, -1, SQLITE_TRANSIENT);
        _free(text);
      } else if ((bytes = bytesOf(value)) !== null) {
        if (bytes.length === 0) {
          rc = _sqlite3_bind_zeroblob(stmt, index, 0);
        } else {
          var blob = _malloc(bytes.length);
          if (!blob) throw new Error('imgsearch: out of memory');
          HEAPU8.set(bytes, blob);
          rc = _sqlite3_bind_blob(stmt, index, blob, bytes.length, SQLITE_TRANSIENT);
          _free(blob);
        }
      } else {
        throw new TypeError('imgsearch: parameter ' + index + ' is a ' + typeof value +
                            '; give null, a number, a string or a typed array');
      }
      if (rc !== 0) throw sqliteError(this.db.ptr, rc);
    }
  };

  Statement.prototype.row = function () {
    var stmt = this.ptr, row = {};
    var n = _sqlite3_column_count(stmt);
    for (var i = 0; i < n; i++) {
      var name = UTF8ToString(_sqlite3_column_name(stmt, i)), value = null;
      switch (_sqlite3_column_type(stmt, i)) {
        case SQLITE_INTEGER:
          value = _sqlite3_column_int64(stmt, i);
          if (value >= Number.MIN_SAFE_INTEGER && value <= Number.MAX_SAFE_INTEGER) value = Number(value);
          break;
        case SQLITE_FLOAT:
          value = _sqlite3_column_double(stmt, i);
          break;
        case SQLITE_TEXT:
          value = UTF8ToString(_sqlite3_column_text(stmt, i));
          break;
        case SQLITE_BLOB:
          var p = _sqlite3_column_blob(stmt, i);
          value = HEAPU8.slice(p, p + _sqlite3_column_bytes(stmt, i));
          break;
      }
      row[name] = value;
    }
    return row;
  };

  // Runs the statement with params; returns every row.
  Statement.prototype.all = function (params) {
    var rows = [], rc;
    this.bind(params);
    while ((rc = _sqlite3_step(this.ptr)) === SQLITE_ROW) rows.push(this.row());
    if (rc !== SQLITE_DONE) throw sqliteError(this.db.ptr, rc);
    _sqlite3_reset(this.ptr);
    return rows;
  };

  // Runs the statement with params, for its effect.
  Statement.prototype.run = function (params) {
    var rc;
    this.bind(params);
    while ((rc = _sqlite3_step(this.ptr)) === SQLITE_ROW) {}
    if (rc !== SQLITE_DONE) throw sqliteError(this.db.ptr, rc);
    _sqlite3_reset(this.ptr);
  };

  Statement.prototype.finalize = function () {
    _sqlite3_finalize(this.ptr);
    this.ptr = 0;
  };

  function Database(filename) {
    var name = heapString(filename || ':memory:');
    var out = _malloc(4);
    var rc = _sqlite3_open_v2(name, out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 0);
    this.ptr = HEAP32[out >> 2];
    _free(out);
    _free(name);
    if (rc !== 0) {
      var error = this.ptr ? sqliteError(this.ptr, rc) : new Error('imgsearch: out of memory');
      _sqlite3_close_v2(this.ptr);
      this.ptr = 0;
      throw error;
    }
  }

  // Compiles the statements of sql one after another, handing each to
  // use(stmtPtr), which owns it from then on; stops at the end of the text or when
  // use returns false.
  function eachStatement(db, sql, use) {
    var text = heapString(sql), out = _malloc(8);
    try {
      var next = text;
      while (HEAPU8[next] !== 0) {
        var rc = _sqlite3_prepare_v2(db.ptr, next, -1, out, out + 4);
        if (rc !== 0) throw sqliteError(db.ptr, rc);
        var stmt = HEAP32[out >> 2];
        next = HEAP32[(out + 4) >> 2];
        if (stmt === 0) continue;            // whitespace or a comment
        if (use(stmt) === false) break;
      }
    } finally {
      _free(out);
      _free(text);
    }
  }

  // Runs every statement of a script; no results, no parameters.
  Database.prototype.exec = function (sql) {
    var db = this;
    eachStatement(this, sql, function (stmt) {
      var rc;
      while ((rc = _sqlite3_step(stmt)) === SQLITE_ROW) {}
      _sqlite3_finalize(stmt);
      if (rc !== SQLITE_DONE) throw sqliteError(db.ptr, rc);
    });
  };

  // Compiles one statement (the first of sql) for run()/all() many times.
  Database.prototype.prepare = function (sql) {
    var stmt = 0;
    eachStatement(this, sql, function (s) { stmt = s; return false; });
    if (stmt === 0) throw new Error('imgsearch: no SQL statement in "' + sql + '"');
    return new Statement(this, stmt);
  };

  // Runs one statement with params; returns its rows.
  Database.prototype.query = function (sql, params) {
    var statement = this.prepare(sql);
    try {
      return statement.all(params);
    } finally {
      statement.finalize();
    }
  };

  Database.prototype.close = function () {
    _sqlite3_close_v2(this.ptr);
    this.ptr = 0;
  };

  Module['Database'] = Database;
  Module['sqliteVersion'] = function () { return UTF8ToString(_sqlite3_libversion()); };
})();
