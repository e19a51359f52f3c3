/*
** wasm_bench.c — the native side of the WebAssembly benchmark (wasm.sh).
**
**   wasm_bench EXTENSION LABEL
**
** The workload of wasm_bench.js, natively: SQLite (the system's, or the
** amalgamation of build/wasm/sqlite/ linked in) with EXTENSION loaded, a
** database in memory, annoy(v float32[64]) with its default settings;
** 10,000 seeded random rows inserted in one transaction, then 1000 KNN
** queries (k = 10, the default search) and 100 exact ones (search_k = -1),
** each statement prepared once.  The machine is shared, so the workload
** runs ROUNDS times, each in a new database, and each time printed is the
** fastest round's.  The vectors are wasm/vectors.js's
** (xorshift32, element (x >> 8) / 2^23 - 1), so both sides search the same
** data and the last column — how many rows came back and the sum of their
** rowids — must agree.  Prints one markdown row.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <sqlite3.h>

#define DIMS 64
#define ROWS 10000
#define QUERIES 1000
#define EXACT_QUERIES 100
#define K 10
#define ROUNDS 5

static void die(sqlite3 *db, const char *what){
  fprintf(stderr, "wasm_bench: %s: %s\n", what, sqlite3_errmsg(db));
  exit(1);
}

static double now_ms(void){
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec*1e3 + t.tv_nsec*1e-6;
}

/* wasm/vectors.js randomVectors(seed, count, DIMS), into out. */
static void random_vectors(uint32_t seed, int count, float *out){
  uint32_t x = seed ? seed : 1;
  for(long i=0; i<(long)count*DIMS; i++){
    x ^= x<<13; x ^= x>>17; x ^= x<<5;
    out[i] = (float)((x>>8)/8388608.0 - 1.0);
  }
}

/* Runs count queries with stmt; adds the rows and their rowids to *rows, *sum. */
static double run_queries(sqlite3 *db, sqlite3_stmt *stmt, const float *queries, int count,
                          long *rows, long long *sum){
  double start = now_ms();
  for(int q=0; q<count; q++){
    int rc;
    sqlite3_bind_blob(stmt, 1, queries + (long)q*DIMS, DIMS*4, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 2, K);
    while( (rc = sqlite3_step(stmt))==SQLITE_ROW ){
      (*rows)++;
      *sum += sqlite3_column_int64(stmt, 0);
    }
    if( rc!=SQLITE_DONE ) die(db, "query");
    sqlite3_reset(stmt);
  }
  return now_ms() - start;
}

/* One round: a new database in memory; the three times into ms[]. */
static void run_round(const char *extension, const float *data, const float *queries,
                      double ms[3], long *rows, long long *sum){
  sqlite3 *db;
  sqlite3_stmt *insert, *knn, *exact;
  char *err = 0;
  double start;

  if( sqlite3_open(":memory:", &db) ) die(db, "open");
  sqlite3_enable_load_extension(db, 1);
  if( sqlite3_load_extension(db, extension, 0, &err) ){
    fprintf(stderr, "wasm_bench: cannot load %s: %s\n", extension, err);
    exit(1);
  }
  if( sqlite3_exec(db, "CREATE VIRTUAL TABLE items USING annoy(v float32[64])", 0, 0, 0) ) die(db, "create");
  if( sqlite3_prepare_v2(db, "INSERT INTO items(rowid, v) VALUES (?, ?)", -1, &insert, 0) ) die(db, "prepare");
  start = now_ms();
  sqlite3_exec(db, "BEGIN", 0, 0, 0);
  for(int i=0; i<ROWS; i++){
    sqlite3_bind_int(insert, 1, i+1);
    sqlite3_bind_blob(insert, 2, data + (long)i*DIMS, DIMS*4, SQLITE_STATIC);
    if( sqlite3_step(insert)!=SQLITE_DONE ) die(db, "insert");
    sqlite3_reset(insert);
  }
  if( sqlite3_exec(db, "COMMIT", 0, 0, 0) ) die(db, "commit");
  ms[0] = now_ms() - start;
  if( sqlite3_prepare_v2(db, "SELECT rowid FROM items WHERE v MATCH ? AND k = ?", -1, &knn, 0)
   || sqlite3_prepare_v2(db, "SELECT rowid FROM items WHERE v MATCH ? AND k = ? AND search_k = -1", -1, &exact, 0) ){
    die(db, "prepare");
  }
  *rows = 0;
  *sum = 0;
  ms[1] = run_queries(db, knn, queries, QUERIES, rows, sum);
  ms[2] = run_queries(db, exact, queries, EXACT_QUERIES, rows, sum);
  sqlite3_finalize(insert);
  sqlite3_finalize(knn);
  sqlite3_finalize(exact);
  sqlite3_close(db);
}

int main(int argc, char **argv){
  float *data = malloc(sizeof(float)*ROWS*DIMS), *queries = malloc(sizeof(float)*QUERIES*DIMS);
  double best[3] = {1e300, 1e300, 1e300}, ms[3];
  long rows = 0;
  long long sum = 0;

  if( argc!=3 || !data || !queries ){
    fprintf(stderr, "usage: wasm_bench EXTENSION LABEL\n");
    return 2;
  }
  random_vectors(1, ROWS, data);
  random_vectors(2, QUERIES, queries);
  for(int round=0; round<ROUNDS; round++){
    run_round(argv[1], data, queries, ms, &rows, &sum);
    for(int i=0; i<3; i++) if( ms[i]<best[i] ) best[i] = ms[i];
  }
  printf("| %s | %s | %.0f | %.0f | %.3f | %.2f | %ld / %lld |\n", argv[2], sqlite3_libversion(),
         best[0], best[1], best[1]/QUERIES, best[2]/EXACT_QUERIES, rows, sum);
  free(data);
  free(queries);
  return 0;
}
