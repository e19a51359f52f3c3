/*
** testlib.h — helpers for the SQL-level test programs in tests/sql/.
**
** Each program takes the extension's path as argv[1], prints one line per
** case ("ok - ..." / "not ok - ..."), and exits 1 if any case failed.
*/
#ifndef TESTLIB_H
#define TESTLIB_H
#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int test_failures = 0;
static const char *test_extension = "build/imgsearch.so";

static inline void check(int ok, const char *fmt, ...){
  va_list ap;
  printf("%s - ", ok ? "ok" : "not ok");
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
  fflush(stdout);
  if( !ok ) test_failures++;
}

static inline sqlite3 *open_db(const char *path){
  sqlite3 *db;
  char *err = 0;
  if( sqlite3_open(path, &db) ){ fprintf(stderr, "open %s failed\n", path); exit(2); }
  sqlite3_enable_load_extension(db, 1);
  if( sqlite3_load_extension(db, test_extension, 0, &err) ){
    fprintf(stderr, "cannot load %s: %s\n", test_extension, err);
    exit(2);
  }
  sqlite3_busy_timeout(db, 5000);
  return db;
}

/* Run SQL; on failure print it and return the error code. */
static inline int exec(sqlite3 *db, const char *fmt, ...){
  va_list ap;
  char *sql, *err = 0;
  int rc;
  va_start(ap, fmt);
  sql = sqlite3_vmprintf(fmt, ap);
  va_end(ap);
  rc = sqlite3_exec(db, sql, 0, 0, &err);
  if( rc && getenv("TEST_VERBOSE") ) fprintf(stderr, "# %s: %s\n", sql, err);
  sqlite3_free(err);
  sqlite3_free(sql);
  return rc;
}

/* First column of the first row as text (sqlite3_malloc'd; NULL if none). */
static inline char *query_text(sqlite3 *db, const char *fmt, ...){
  va_list ap;
  char *sql, *out = 0;
  sqlite3_stmt *st;
  va_start(ap, fmt);
  sql = sqlite3_vmprintf(fmt, ap);
  va_end(ap);
  if( sqlite3_prepare_v2(db, sql, -1, &st, 0)==SQLITE_OK ){
    if( sqlite3_step(st)==SQLITE_ROW ) out = sqlite3_mprintf("%s", sqlite3_column_text(st, 0));
    else if( sqlite3_errcode(db)!=SQLITE_DONE && sqlite3_errcode(db)!=SQLITE_OK ){
      out = sqlite3_mprintf("error: %s", sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
  }else{
    out = sqlite3_mprintf("error: %s", sqlite3_errmsg(db));
  }
  sqlite3_free(sql);
  return out;
}

static inline int query_is(sqlite3 *db, const char *want, const char *sql){
  char *got = query_text(db, "%s", sql);
  int ok = got && strcmp(got, want)==0;
  if( !ok ) fprintf(stderr, "# %s\n#   want %s\n#   got  %s\n", sql, want, got ? got : "(no row)");
  sqlite3_free(got);
  return ok;
}

/* A fresh directory for this process's database files, so that test runs
** side by side (plain and sanitizer builds) do not share files. */
static char test_dir_path[64];
static inline const char *test_dir(void){
  if( test_dir_path[0]==0 ){
    snprintf(test_dir_path, sizeof(test_dir_path), "/tmp/imgsearch-test-XXXXXX");
    if( mkdtemp(test_dir_path)==0 ){ perror("mkdtemp"); exit(2); }
  }
  return test_dir_path;
}

/* dir/name into buf (of size 512). */
static inline const char *test_file(char *buf, const char *name){
  snprintf(buf, 512, "%s/%s", test_dir(), name);
  return buf;
}

/* The bytes of a file (malloc; caller frees) and their count, or NULL. */
static inline unsigned char *read_file(const char *path, size_t *pn){
  FILE *f = fopen(path, "rb");
  unsigned char *data = 0;
  long n;
  *pn = 0;
  if( f==0 ) return 0;
  if( fseek(f, 0, SEEK_END)==0 && (n = ftell(f))>=0 && fseek(f, 0, SEEK_SET)==0 ){
    data = malloc((size_t)n + 1);
    if( data && fread(data, 1, (size_t)n, f)==(size_t)n ) *pn = (size_t)n;
    else{ free(data); data = 0; }
  }
  fclose(f);
  return data;
}

static uint64_t test_rng = 88172645463325252ull;
static inline uint32_t rnd(void){
  test_rng ^= test_rng << 13; test_rng ^= test_rng >> 7; test_rng ^= test_rng << 17;
  return (uint32_t)test_rng;
}
#endif
