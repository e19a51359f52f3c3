/*
** bench_sqlite.h — opening a benchmark database with the extension loaded,
** and failing loudly, for the bench programs that talk to SQLite.
**
** Owns nothing; every failure prints "PROGRAM: what: why" and exits 1.
** BENCH_PROGRAM (a string) names the program in those messages.
*/
#ifndef BENCH_SQLITE_H
#define BENCH_SQLITE_H
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

static inline void bench_die(sqlite3 *db, const char *what){
  fprintf(stderr, "%s: %s: %s\n", BENCH_PROGRAM, what, db ? sqlite3_errmsg(db) : "");
  exit(1);
}

/* path opened with the extension loaded and a 256 MB page cache. */
static inline sqlite3 *bench_open_db(const char *path, const char *extension){
  sqlite3 *db;
  char *err = 0;
  if( sqlite3_open(path, &db) ) bench_die(db, "open");
  sqlite3_enable_load_extension(db, 1);
  if( sqlite3_load_extension(db, extension, 0, &err) ){
    fprintf(stderr, "%s: cannot load %s: %s\n", BENCH_PROGRAM, extension, err);
    exit(1);
  }
  sqlite3_exec(db, "PRAGMA cache_size=-262144", 0, 0, 0);
  return db;
}

static inline void bench_exec(sqlite3 *db, const char *sql){
  char *err = 0;
  if( sqlite3_exec(db, sql, 0, 0, &err) ){
    fprintf(stderr, "%s: %s: %s\n", BENCH_PROGRAM, sql, err);
    exit(1);
  }
}
#endif
