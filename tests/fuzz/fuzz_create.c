/*
** fuzz_create.c — libFuzzer target for the annoy table's CREATE VIRTUAL
** TABLE arguments (ext/annoy_vtab.c) and a table's first life.
**
** Input: the text between the parentheses of
**     CREATE VIRTUAL TABLE x USING annoy(<input>)
** run on a new in-memory database (only the first statement: input that
** closes the parenthesis and adds "; DROP ..." is a syntax error).  When the
** table is created: its vector column's name and dimension are read back
** (PRAGMA table_info, x_info), a few rows go in (as float32 BLOBs of 0s and 1s, which every
** element type accepts), then a KNN query with k, one without k, an exact
** one, annoy_check (which must say 'ok': nothing was damaged), a delete, an
** update, 'rebuild', annoy_check again, and DROP TABLE.
**
** Built and run by tests/fuzz/run.sh.  Any sanitizer report or abort() is
** a bug.
*/
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_sql.h"

#define FUZZ_MAX_ARGS  1000
#define FUZZ_ROWS      12
#define FUZZ_MAX_DIM   4096     /* bigger tables are created, not filled */

int LLVMFuzzerInitialize(int *argc, char ***argv){
  (void)argc; (void)argv;
  fuzz_register_extension();
  return 0;
}

/* annoy_check('x') must be 'ok' on a table nobody damaged. */
static void expect_check_ok(sqlite3 *db){
  sqlite3_stmt *st = fuzz_prepare(db, "SELECT annoy_check('x')");
  if( st==0 ) abort();
  if( sqlite3_step(st)==SQLITE_ROW && strcmp((const char*)sqlite3_column_text(st, 0), "ok")!=0 ){
    fprintf(stderr, "annoy_check: %s\n", sqlite3_column_text(st, 0));
    abort();
  }
  sqlite3_finalize(st);
}

/* Vector number i of dim elements: float32 0s and 1s from the bits of i. */
static void fill_vector(float *v, int dim, int i){
  int j;
  for(j=0; j<dim; j++) v[j] = (float)(((unsigned)(i*7 + j*3) >> (j%4)) & 1);
}

/* Fill and query table x, whose vector column is col. */
static void fuzz_table(sqlite3 *db, const char *col, int dim){
  float *v = malloc(sizeof(float)*(size_t)dim);
  sqlite3_stmt *st;
  int i;
  if( v==0 ) abort();
  for(i=1; i<=FUZZ_ROWS; i++){
    fill_vector(v, dim, i);
    st = fuzz_prepare(db, "INSERT INTO x(rowid, \"%w\") VALUES(?1, ?2)", col);
    if( st==0 ) abort();
    sqlite3_bind_int(st, 1, i);
    sqlite3_bind_blob(st, 2, v, dim*4, SQLITE_STATIC);
    if( fuzz_finish(st, 1)!=SQLITE_DONE ){
      fprintf(stderr, "insert into a new table failed: %s\n", sqlite3_errmsg(db));
      abort();
    }
  }
  fill_vector(v, dim, 5);
  {
    static const char *const queries[] = {
      "SELECT rowid, distance FROM x WHERE \"%w\" MATCH ?1 AND k = 5",
      "SELECT rowid, distance FROM x WHERE \"%w\" MATCH ?1 ORDER BY distance LIMIT 3",
      "SELECT rowid, distance FROM x WHERE \"%w\" MATCH ?1 AND k = 4 AND search_k = -1",
      "SELECT * FROM x WHERE rowid IN (SELECT rowid FROM x WHERE \"%w\" MATCH ?1 AND k = 2)",
    };
    size_t q;
    for(q=0; q<sizeof(queries)/sizeof(queries[0]); q++){
      st = fuzz_prepare(db, queries[q], col);
      if( st==0 ) abort();
      sqlite3_bind_blob(st, 1, v, dim*4, SQLITE_STATIC);
      if( fuzz_finish(st, 20)!=SQLITE_DONE ){
        fprintf(stderr, "%s: %s\n", queries[q], sqlite3_errmsg(db));
        abort();
      }
    }
  }
  expect_check_ok(db);
  fuzz_exec(db, 1, "DELETE FROM x WHERE rowid IN (2, 3)");
  st = fuzz_prepare(db, "UPDATE x SET \"%w\" = ?1 WHERE rowid = 4", col);
  if( st==0 ) abort();
  sqlite3_bind_blob(st, 1, v, dim*4, SQLITE_STATIC);
  fuzz_finish(st, 1);
  fuzz_exec(db, 1, "INSERT INTO x(x) VALUES('rebuild')");
  expect_check_ok(db);
  free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size){
  sqlite3 *db;
  char args[FUZZ_MAX_ARGS+1];
  if( size>FUZZ_MAX_ARGS ) return 0;
  memcpy(args, data, size);
  args[size] = 0;                     /* text up to the first NUL */
  db = fuzz_open_memory();
  if( fuzz_exec(db, 1, "CREATE VIRTUAL TABLE x USING annoy(%s)", args)==SQLITE_DONE ){
    sqlite3_stmt *st = fuzz_prepare(db,
      "SELECT value, (SELECT name FROM pragma_table_info('x') WHERE cid = 0)"
      " FROM x_info WHERE key = 'dim'");
    if( st && sqlite3_step(st)==SQLITE_ROW ){
      int dim = sqlite3_column_int(st, 0);
      if( dim<1 ) abort();            /* CREATE accepted a table without a dimension */
      if( dim<=FUZZ_MAX_DIM ) fuzz_table(db, (const char*)sqlite3_column_text(st, 1), dim);
    }else{
      abort();                        /* a created table has its _info */
    }
    sqlite3_finalize(st);
    if( fuzz_exec(db, 1, "DROP TABLE x")!=SQLITE_DONE ) abort();
  }
  sqlite3_close(db);
  return 0;
}
