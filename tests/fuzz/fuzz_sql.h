/*
** fuzz_sql.h — what the SQL-level fuzz targets (fuzz_vector, fuzz_create,
** fuzz_shadow) share: the whole extension linked in (-DSQLITE_CORE) and
** registered for every new connection, and running one statement to its
** end with every column read.
**
** A target calls fuzz_register_extension() from LLVMFuzzerInitialize.  SQL
** errors are expected results (the input is hostile); only a crash, a
** sanitizer report, a hang or an abort() from a target's own check is a
** finding.
*/
#ifndef FUZZ_SQL_H
#define FUZZ_SQL_H
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <sqlite3.h>
#include "imgsearch.h"

static inline void fuzz_register_extension(void){
  if( sqlite3_auto_extension((void(*)(void))sqlite3_imgsearch_init)!=SQLITE_OK ){
    fprintf(stderr, "fuzz: cannot register the extension\n");
    abort();
  }
}

/* A new in-memory database with the extension on it. */
static inline sqlite3 *fuzz_open_memory(void){
  sqlite3 *db = 0;
  if( sqlite3_open(":memory:", &db)!=SQLITE_OK ){
    fprintf(stderr, "fuzz: cannot open :memory:: %s\n", db ? sqlite3_errmsg(db) : "out of memory");
    abort();
  }
  return db;
}

/* Prepare the first statement of sqlite3_vmprintf(fmt, ap); NULL if it
** does not compile (an ordinary outcome for fuzzed SQL). */
static inline sqlite3_stmt *fuzz_vprepare(sqlite3 *db, const char *fmt, va_list ap){
  char *sql = sqlite3_vmprintf(fmt, ap);
  sqlite3_stmt *st = 0;
  if( sql==0 ) abort();
  if( sqlite3_prepare_v2(db, sql, -1, &st, 0)!=SQLITE_OK ) st = 0;
  sqlite3_free(sql);
  return st;
}

static inline sqlite3_stmt *fuzz_prepare(sqlite3 *db, const char *fmt, ...){
  va_list ap;
  sqlite3_stmt *st;
  va_start(ap, fmt);
  st = fuzz_vprepare(db, fmt, ap);
  va_end(ap);
  return st;
}

/* Step st to its end (at most max_rows rows), reading every column as text
** and as a BLOB, then reset it. Returns the result code of the last step
** (SQLITE_DONE, or SQLITE_ROW when the cap stopped it, or an error). */
static inline int fuzz_rows(sqlite3_stmt *st, int max_rows){
  int rc = SQLITE_DONE, rows = 0, i;
  while( rows<max_rows && (rc = sqlite3_step(st))==SQLITE_ROW ){
    for(i=0; i<sqlite3_column_count(st); i++){
      sqlite3_column_text(st, i);
      sqlite3_column_blob(st, i);
      sqlite3_column_bytes(st, i);
    }
    rows++;
  }
  sqlite3_reset(st);
  return rc;
}

/* fuzz_rows, then finalize st; SQLITE_ERROR when st is NULL. */
static inline int fuzz_finish(sqlite3_stmt *st, int max_rows){
  int rc;
  if( st==0 ) return SQLITE_ERROR;
  rc = fuzz_rows(st, max_rows);
  sqlite3_finalize(st);
  return rc;
}

/* fuzz_prepare then fuzz_finish, for SQL without parameters. */
static inline int fuzz_exec(sqlite3 *db, int max_rows, const char *fmt, ...){
  va_list ap;
  sqlite3_stmt *st;
  va_start(ap, fmt);
  st = fuzz_vprepare(db, fmt, ap);
  va_end(ap);
  return fuzz_finish(st, max_rows);
}
#endif
