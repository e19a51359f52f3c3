/*
** fuzz_shadow.c — libFuzzer target: damaged shadow tables, then queries.
**
** Six template databases, each with one small annoy table (float32
** euclidean, float32 angular, uint8 manhattan, bit hamming, a deep one: 64
** points at 2^i on a line, whose trees are 33 and 34 levels deep, so that
** edits can make shared nodes deep enough to matter; and one with a
** metadata and an auxiliary column; some rows deleted so that _free is not
** empty), are built once and serialized;
** every input starts from a fresh copy of one (sqlite3_deserialize).  One
** table per database keeps the schema small: SQLite parses all of it again
** after each DROP TABLE of a shadow table.  The input picks the table
** (byte 0) and then is a list of 8-byte edits of its shadow tables:
**
**   byte 0  edit       see enum below
**   byte 1  shadow     _info, _rowids, _vectors, _free, _nodes, _metadata,
**                      _auxiliary
**   byte 2  row        which row (the Nth by key, wrapping)
**   byte 3  column     which column, or which byte of a BLOB
**   4..7    value      little-endian; an integer, a byte, a length
**
** After the edits the generation counter in _info is bumped (as
** tests/cases/07_corrupt.test does) so that a connection that has already
** read the table reloads it; EDIT_QUERY runs a query between edits to make
** that happen.  Then: KNN with and without k, exact, with a small
** search_k, with rowid filters; a scan; INSERT, DELETE, UPDATE (of the
** vector and of the rowid) inside a savepoint that is rolled back and
** again for real; annoy_check; 'rebuild'; KNN again; DROP TABLE.
**
** Any SQL error is an expected answer to damage.  A crash, a sanitizer
** report or a hang (libFuzzer -timeout) is a finding, and so is a broken
** promise: whenever annoy_check says 'ok', an exact KNN query must return
** each rowid of _rowids once and nothing else, and with a metadata
** filter the rows _metadata says match (check_exact_knn).
**
** Built and run by tests/fuzz/run.sh.
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_sql.h"

enum {
  EDIT_SET_INT,       /* column = value (as a signed 32-bit integer) */
  EDIT_SET_BYTE,      /* byte (column) of the row's BLOB = value & 0xff */
  EDIT_RESIZE,        /* the row's BLOB cut or padded to value & 0x3ff bytes */
  EDIT_DELETE,        /* delete the row */
  EDIT_COPY,          /* copy the row under key value (INSERT OR REPLACE) */
  EDIT_SET_TEXT,      /* column = a short text: type confusion */
  EDIT_QUERY,         /* run a KNN query now (loads the cache) */
  EDIT_COUNT
};
#define EDIT_BYTES 8
#define MAX_EDITS  32

typedef struct ShadowTable {
  const char *suffix;
  const char *key;          /* the primary key column */
  const char *columns[3];   /* the columns an edit may set (a 0 ends a shorter list) */
  const char *blob;         /* the BLOB column, or NULL */
  const char *rest;         /* the columns after the key, for EDIT_COPY */
} ShadowTable;

static const ShadowTable shadows[] = {
  { "info",    "key",   { "value", 0 },           "value", "value" },
  { "rowids",  "rowid", { "rowid", "slot", 0 },   0,       "slot" },
  { "vectors", "slot",  { "slot", "item", "v" },  "v",     "item, v" },
  { "free",    "slot",  { "slot", 0 },            0,       "" },
  { "nodes",   "id",    { "id", "data", 0 },      "data",  "data" },
  { "metadata",  "rowid", { "rowid", "slot", "m0" }, 0,     "slot, m0" },   /* table m only */
  { "auxiliary", "rowid", { "rowid", "a0", 0 },      0,     "a0" },
};
#define N_SHADOWS (sizeof(shadows)/sizeof(shadows[0]))

/* element: SQL for element j of row i (1 .. rows); fill: SQL run after
** (%s is the table's name), or NULL. */
typedef struct AnnoyTemplate {
  const char *name, *decl, *query;
  int rows;
  const char *element, *fill;
} AnnoyTemplate;
static const AnnoyTemplate tables[] = {
  { "f", "v float32[4], trees=3, leaf_size=3", "[0.5, -1, 2, 0]",
    40, "((i*37+j*101)%200)/10.0 - 10", 0 },
  { "a", "v float32[3], metric=angular, trees=2, leaf_size=2", "[1, 0.5, -0.25]",
    40, "((i*37+j*101)%200)/10.0 - 10", 0 },
  { "u", "v uint8[8], metric=manhattan, trees=2, leaf_size=4", "[1, 2, 3, 4, 200, 0, 9, 255]",
    40, "(i*37+j*101)%256", 0 },
  { "b", "v bit[16], trees=2, leaf_size=2", "[1,0,1,1,0,0,1,0,1,1,1,1,0,0,0,1]",
    40, "(i*7+j*13)/5%2", 0 },
  { "d", "v float32[2], trees=2, leaf_size=2", "[3000, 1]",
    64, "CASE j WHEN 0 THEN power(2.0, i) ELSE i % 3 END", 0 },
  { "m", "v float32[4], g INTEGER, +c TEXT, trees=3, leaf_size=3", "[0.5, -1, 2, 0]",
    40, "((i*37+j*101)%200)/10.0 - 10", "UPDATE %s SET g = rowid % 5, c = 'r' || rowid" },
};
#define N_TABLES (sizeof(tables)/sizeof(tables[0]))

typedef struct TemplateDb { unsigned char *bytes; sqlite3_int64 size; } TemplateDb;
static TemplateDb templates[N_TABLES];

/* Build table t's template: its rows from its formula, then every fifth
** row deleted again. */
static void build_template(size_t t){
  sqlite3 *db = fuzz_open_memory();
  const char *n = tables[t].name;
  int rc = fuzz_exec(db, 1, "CREATE VIRTUAL TABLE %s USING annoy(%s)", n, tables[t].decl);
  /* json_group_array of a formula per element, sized by the table's dim */
  if( rc==SQLITE_DONE ) rc = fuzz_exec(db, 1,
    "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM r WHERE i < %d),"
    " e(j) AS (SELECT 0 UNION ALL SELECT j+1 FROM e WHERE j+1 < (SELECT value FROM %s_info WHERE key='dim'))"
    " INSERT INTO %s(rowid, v) SELECT i*3, (SELECT json_group_array(%s) FROM e) FROM r",
    tables[t].rows, n, n, tables[t].element);
  if( rc==SQLITE_DONE ) rc = fuzz_exec(db, 1, "DELETE FROM %s WHERE rowid %% 15 = 0", n);
  if( rc==SQLITE_DONE && tables[t].fill ) rc = fuzz_exec(db, 1, tables[t].fill, n);
  if( rc!=SQLITE_DONE ){
    fprintf(stderr, "fuzz_shadow: cannot build table %s: %s\n", n, sqlite3_errmsg(db));
    abort();
  }
  templates[t].bytes = sqlite3_serialize(db, "main", &templates[t].size, 0);
  if( templates[t].bytes==0 ) abort();
  sqlite3_close(db);
}

int LLVMFuzzerInitialize(int *argc, char ***argv){
  size_t t;
  (void)argc; (void)argv;
  fuzz_register_extension();
  for(t=0; t<N_TABLES; t++) build_template(t);
  return 0;
}

static sqlite3 *open_copy(const TemplateDb *template){
  sqlite3 *db = fuzz_open_memory();
  unsigned char *copy = sqlite3_malloc64((sqlite3_uint64)template->size);
  if( copy==0 ) abort();
  memcpy(copy, template->bytes, (size_t)template->size);
  if( sqlite3_deserialize(db, "main", copy, template->size, template->size,
                          SQLITE_DESERIALIZE_FREEONCLOSE|SQLITE_DESERIALIZE_RESIZEABLE) ){
    abort();
  }
  return db;
}

static int32_t edit_value(const uint8_t *e){
  return (int32_t)((uint32_t)e[4] | (uint32_t)e[5]<<8 | (uint32_t)e[6]<<16 | (uint32_t)e[7]<<24);
}

/* The key of the Nth row of a shadow table, wrapping; 0 if it is empty.
** The key is returned as a protected sqlite3_value copy. */
static sqlite3_value *nth_key(sqlite3 *db, const char *table, const ShadowTable *sh, int n){
  sqlite3_value *key = 0;
  sqlite3_stmt *st = fuzz_prepare(db,
    "SELECT \"%w\" FROM \"%w_%w\" ORDER BY 1 LIMIT 1 OFFSET"
    " ?1 %% max(1, (SELECT count(*) FROM \"%w_%w\"))",
    sh->key, table, sh->suffix, table, sh->suffix);
  if( st==0 ) return 0;
  sqlite3_bind_int(st, 1, n);
  if( sqlite3_step(st)==SQLITE_ROW ) key = sqlite3_value_dup(sqlite3_column_value(st, 0));
  sqlite3_finalize(st);
  return key;
}

/* The row's BLOB column (a sqlite3_malloc'd copy, *n bytes); NULL if none. */
static unsigned char *read_blob(sqlite3 *db, const char *table, const ShadowTable *sh,
                                sqlite3_value *key, int *n){
  unsigned char *copy = 0;
  sqlite3_stmt *st = fuzz_prepare(db, "SELECT CAST(\"%w\" AS BLOB) FROM \"%w_%w\" WHERE \"%w\" = ?1",
                                  sh->blob, table, sh->suffix, sh->key);
  *n = 0;
  if( st==0 ) return 0;
  sqlite3_bind_value(st, 1, key);
  if( sqlite3_step(st)==SQLITE_ROW ){
    *n = sqlite3_column_bytes(st, 0);
    copy = sqlite3_malloc(*n + 1);
    if( copy==0 ) abort();
    if( *n ) memcpy(copy, sqlite3_column_blob(st, 0), (size_t)*n);
  }
  sqlite3_finalize(st);
  return copy;
}

/* UPDATE table_suffix SET column = ?2 WHERE key = ?1, with ?2 from bind. */
static sqlite3_stmt *prepare_set(sqlite3 *db, const char *table, const ShadowTable *sh,
                                 const char *column, sqlite3_value *key){
  sqlite3_stmt *st = fuzz_prepare(db, "UPDATE \"%w_%w\" SET \"%w\" = ?2 WHERE \"%w\" = ?1",
                                  table, sh->suffix, column, sh->key);
  if( st ) sqlite3_bind_value(st, 1, key);
  return st;
}

static void run_knn(sqlite3 *db, const AnnoyTemplate *t, const char *where, int max_rows){
  fuzz_exec(db, max_rows, "SELECT rowid, distance, v FROM %s WHERE v MATCH '%s' %s",
            t->name, t->query, where);
}

/* The first column of the first row as a sqlite3_malloc'd string (NULL
** for none or an error). */
static char *query_text(sqlite3 *db, const char *fmt, ...){
  va_list ap;
  sqlite3_stmt *st;
  char *out = 0;
  va_start(ap, fmt);
  st = fuzz_vprepare(db, fmt, ap);
  va_end(ap);
  if( st==0 ) return 0;
  if( sqlite3_step(st)==SQLITE_ROW ){
    out = sqlite3_mprintf("%s", sqlite3_column_text(st, 0) ? (const char*)sqlite3_column_text(st, 0) : "");
  }
  sqlite3_finalize(st);
  return out;
}

/* The property: annoy_check 'ok' => the exact KNN returns the rowids of
** _rowids, each once. A table that breaks it aborts (a finding). */
static void check_exact_knn(sqlite3 *db, const AnnoyTemplate *t){
  char *check = query_text(db, "SELECT annoy_check('%s')", t->name), *knn = 0, *rowids = 0;
  if( check && strcmp(check, "ok")==0 ){
    knn = query_text(db, "SELECT group_concat(rowid) FROM (SELECT rowid FROM %s"
                     " WHERE v MATCH '%s' AND k = 1000 AND search_k = -1 ORDER BY rowid)", t->name, t->query);
    rowids = query_text(db, "SELECT group_concat(rowid) FROM (SELECT rowid FROM %s_rowids ORDER BY rowid)", t->name);
    if( knn && rowids && strcmp(knn, rowids)!=0 ){
      fprintf(stderr, "fuzz_shadow: annoy_check says ok, but the exact KNN returns\n  %s\n"
                      "where _rowids holds\n  %s\n", knn, rowids);
      abort();
    }
    if( t->fill ){      /* ... and, filtered, the rows _metadata says match */
      sqlite3_free(knn);
      sqlite3_free(rowids);
      knn = query_text(db, "SELECT group_concat(rowid) FROM (SELECT rowid FROM %s WHERE v MATCH '%s'"
                       " AND k = 1000 AND search_k = -1 AND g = 2 ORDER BY rowid)", t->name, t->query);
      rowids = query_text(db, "SELECT group_concat(rowid) FROM (SELECT rowid FROM %s_metadata"
                          " WHERE m0 = 2 ORDER BY rowid)", t->name);
      if( knn && rowids && strcmp(knn, rowids)!=0 ){
        fprintf(stderr, "fuzz_shadow: annoy_check says ok, but the exact KNN with g = 2 returns\n"
                        "  %s\nwhere _metadata holds\n  %s\n", knn, rowids);
        abort();
      }
    }
  }
  sqlite3_free(check);
  sqlite3_free(knn);
  sqlite3_free(rowids);
}

static void apply_edit(sqlite3 *db, const AnnoyTemplate *t, const uint8_t *e){
  const ShadowTable *sh = &shadows[e[1] % N_SHADOWS];
  int ncol = 0, value = edit_value(e), n = 0;
  const char *column;
  sqlite3_value *key;
  sqlite3_stmt *st;
  unsigned char *blob;

  if( e[0] % EDIT_COUNT == EDIT_QUERY ){
    run_knn(db, t, "AND k = 3", 10);
    return;
  }
  while( ncol<3 && sh->columns[ncol] ) ncol++;
  column = sh->columns[e[3] % ncol];
  key = nth_key(db, t->name, sh, e[2]);
  if( key==0 ) return;
  switch( e[0] % EDIT_COUNT ){
    case EDIT_SET_INT:
      if( (st = prepare_set(db, t->name, sh, column, key)) ){
        sqlite3_bind_int(st, 2, value);
        fuzz_finish(st, 1);
      }
      break;
    case EDIT_SET_BYTE:
    case EDIT_RESIZE:
      if( sh->blob && (blob = read_blob(db, t->name, sh, key, &n)) ){
        int len = n;
        if( e[0] % EDIT_COUNT == EDIT_SET_BYTE ){
          if( n>0 ) blob[e[3] % n] = (unsigned char)value;
        }else{
          len = value & 0x3ff;
          if( len>n ){
            unsigned char *grown = sqlite3_realloc(blob, len);
            if( grown==0 ) abort();
            blob = grown;
            memset(blob + n, e[3], (size_t)(len - n));
          }
        }
        if( (st = prepare_set(db, t->name, sh, sh->blob, key)) ){
          sqlite3_bind_blob(st, 2, blob, len, SQLITE_STATIC);
          fuzz_finish(st, 1);
        }
        sqlite3_free(blob);
      }
      break;
    case EDIT_DELETE:
      st = fuzz_prepare(db, "DELETE FROM \"%w_%w\" WHERE \"%w\" = ?1", t->name, sh->suffix, sh->key);
      if( st ){
        sqlite3_bind_value(st, 1, key);
        fuzz_finish(st, 1);
      }
      break;
    case EDIT_COPY:
      st = fuzz_prepare(db, "INSERT OR REPLACE INTO \"%w_%w\" SELECT ?2%s%s FROM \"%w_%w\""
                        " WHERE \"%w\" = ?1", t->name, sh->suffix, sh->rest[0] ? ", " : "",
                        sh->rest, t->name, sh->suffix, sh->key);
      if( st ){
        sqlite3_bind_value(st, 1, key);
        sqlite3_bind_int(st, 2, value);
        fuzz_finish(st, 1);
      }
      break;
    case EDIT_SET_TEXT:
      if( (st = prepare_set(db, t->name, sh, column, key)) ){
        sqlite3_bind_text(st, 2, value & 1 ? "12" : "x", -1, SQLITE_STATIC);
        fuzz_finish(st, 1);
      }
      break;
  }
  sqlite3_value_free(key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size){
  static const char *const knn_where[] = {
    "AND k = 5",
    "AND k = 5 AND search_k = -1",
    "AND k = 3 AND search_k = 7",
    "AND k = 4 AND rowid IN (3, 6, 9, 12, 999)",
    "AND k = 2 AND rowid = 6",
    "AND k = 5 AND g = 2",                           /* table m; an error elsewhere */
    "AND k = 5 AND g IN (1, 3) AND search_k = -1",
    "AND k = 3 AND g BETWEEN 1 AND 3 AND search_k = 7 AND rowid IN (3, 6, 9, 12)",
    "ORDER BY distance LIMIT 8",
    "",                                  /* open-ended; capped at 30 rows */
  };
  const AnnoyTemplate *t;
  sqlite3 *db;
  size_t i;
  if( size<1 || size>1 + MAX_EDITS*EDIT_BYTES ) return 0;
  t = &tables[data[0] % N_TABLES];
  db = open_copy(&templates[data[0] % N_TABLES]);
  for(i=1; i+EDIT_BYTES<=size; i+=EDIT_BYTES) apply_edit(db, t, data + i);
  fuzz_exec(db, 1, "UPDATE %s_info SET value = value + 1 WHERE key = 'generation'", t->name);

  for(i=0; i<sizeof(knn_where)/sizeof(knn_where[0]); i++) run_knn(db, t, knn_where[i], 30);
  fuzz_exec(db, 100, "SELECT rowid, v FROM %s", t->name);
  fuzz_exec(db, 1, "SELECT v FROM %s WHERE rowid = 6", t->name);
  check_exact_knn(db, t);

  fuzz_exec(db, 1, "SAVEPOINT edits");
  fuzz_exec(db, 1, "INSERT INTO %s(rowid, v) VALUES(1000, '%s')", t->name, t->query);
  fuzz_exec(db, 1, "DELETE FROM %s WHERE rowid = 3", t->name);
  run_knn(db, t, "AND k = 5", 30);
  fuzz_exec(db, 1, "ROLLBACK TO edits");
  fuzz_exec(db, 1, "RELEASE edits");

  fuzz_exec(db, 1, "INSERT INTO %s(rowid, v) VALUES(1000, '%s')", t->name, t->query);
  fuzz_exec(db, 1, "INSERT OR REPLACE INTO %s(rowid, v) VALUES(6, '%s')", t->name, t->query);
  fuzz_exec(db, 1, "DELETE FROM %s WHERE rowid IN (3, 9)", t->name);
  fuzz_exec(db, 1, "UPDATE %s SET v = '%s' WHERE rowid = 12", t->name, t->query);
  fuzz_exec(db, 1, "UPDATE %s SET rowid = 2000 WHERE rowid = 18", t->name);
  run_knn(db, t, "AND k = 5", 30);
  check_exact_knn(db, t);

  fuzz_exec(db, 1, "INSERT INTO %s(%s) VALUES('rebuild')", t->name, t->name);
  check_exact_knn(db, t);
  run_knn(db, t, "AND k = 5", 30);
  fuzz_exec(db, 1, "DROP TABLE %s", t->name);
  sqlite3_close(db);
  return 0;
}
