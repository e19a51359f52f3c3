/*
** peer_vec0.c — sqlite-vec's vec0 virtual table as the brute-force peer.
**
** vec0 keeps vectors in chunked shadow tables and answers
** `WHERE emb MATCH ? AND k = 10` by scanning every vector: exact results, cost
** linear in n.  It is the "plain SQLite vector table" a reader would otherwise
** use, so it shows what the annoy index buys.
**
** Two variants, each in its own database file in $BENCH_DIR:
**   vec0.db       emb float[128]  the uint8 values as float32 (512 B a vector)
**   vec0_int8.db  emb int8[128]   each value minus 128 (128 B a vector).  uint8
**                 0..255 does not fit int8, but L2 distance is unchanged when
**                 both sides are shifted by the same amount, so the shift is exact.
** Each variant is timed twice: with SQLite's default page cache (every scan goes
** through the pager, which dominates), and with PRAGMA mmap_size (vec0's best case).
** A database is reused when its bench_meta row says it holds all of this
** base.u8 (count and mtime); otherwise it is deleted and rebuilt, all inserts
** in one transaction.  bench_meta is written in that same transaction, so an
** interrupted build is never mistaken for a complete one.
**
** Reads $BENCH_DIR/base.u8, query.u8, gt.i32.  Environment:
**   VEC0_SO       path of vec0.so (default: the npm install under build/bench/npm)
**   VEC0_QUERIES  how many of the queries to time (default 100; brute force is slow)
**
** Build: cc -O3 -march=native tests/bench/peer_vec0.c -lsqlite3 -o build/bench/peer_vec0
*/
#include <sqlite3.h>
#include <unistd.h>

#include "bench_common.h"

#define VEC0_DEFAULT_SO "build/bench/npm/node_modules/sqlite-vec-linux-x64/vec0.so"
#define VEC0_MMAP_BYTES "2000000000" /* under SQLite's default 2 GiB cap */

/* What differs between the float and the int8 variant. */
typedef struct Vec0Variant {
  const char *file_name;   /* database in $BENCH_DIR */
  const char *column_type; /* vec0 column declaration */
  const char *bind_value;  /* SQL expression around the bound blob */
  const char *setting;     /* table label */
  int is_int8;
} Vec0Variant;

static const Vec0Variant vec0_variants[] = {
  {"vec0.db", "float[128]", "?2", "float[128], brute force", 0},
  {"vec0_int8.db", "int8[128]", "vec_int8(?2)", "int8[128] (x-128), brute force", 1},
};

/* The blob for one uint8 descriptor in the variant's element type. */
static int vec0_encode(const Vec0Variant *variant, const uint8_t *from, void *to) {
  if (variant->is_int8) {
    int8_t *out = to;
    for (int i = 0; i < BENCH_DIM; i++) out[i] = (int8_t)((int)from[i] - 128);
    return BENCH_DIM;
  }
  float *out = to;
  for (int i = 0; i < BENCH_DIM; i++) out[i] = (float)from[i];
  return BENCH_DIM * (int)sizeof(float);
}

static int vec0_open(const char *path, const char *extension_path, sqlite3 **db) {
  char *message = NULL;
  int rc = sqlite3_open(path, db);
  if (rc == SQLITE_OK) rc = sqlite3_enable_load_extension(*db, 1);
  if (rc == SQLITE_OK) rc = sqlite3_load_extension(*db, extension_path, "sqlite3_vec_init", &message);
  if (rc != SQLITE_OK) {
    fprintf(stderr, "vec0: %s: %s\n", path, message ? message : sqlite3_errmsg(*db));
    if (extension_path && access(extension_path, R_OK) != 0) {
      fprintf(stderr, "vec0: no %s; install it with "
              "npm install --prefix build/bench/npm sqlite-vec-linux-x64, or set VEC0_SO\n",
              extension_path);
    }
  }
  sqlite3_free(message);
  return rc;
}

/* Recorded insert seconds if the database already holds this base, else -1. */
static double vec0_complete_seconds(sqlite3 *db, size_t base_count, long long base_mtime) {
  sqlite3_stmt *statement = NULL;
  double seconds = -1;
  if (sqlite3_prepare_v2(db, "SELECT insert_seconds FROM bench_meta WHERE vector_count = ?1"
                         " AND base_mtime = ?2", -1, &statement, NULL) == SQLITE_OK) {
    sqlite3_bind_int64(statement, 1, (sqlite3_int64)base_count);
    sqlite3_bind_int64(statement, 2, base_mtime);
    if (sqlite3_step(statement) == SQLITE_ROW) seconds = sqlite3_column_double(statement, 0);
  }
  sqlite3_finalize(statement);
  return seconds;
}

/* Create table v and fill it with the whole base in one transaction. */
static int vec0_fill(sqlite3 *db, const Vec0Variant *variant, const uint8_t *base,
                     size_t base_count, long long base_mtime, double *seconds) {
  sqlite3_stmt *insert = NULL, *meta = NULL;
  char *sql = sqlite3_mprintf(
      "CREATE TABLE bench_meta(vector_count INTEGER, base_mtime INTEGER, insert_seconds REAL);"
      "CREATE VIRTUAL TABLE v USING vec0(emb %s);", variant->column_type);
  char *insert_sql = sqlite3_mprintf("INSERT INTO v(rowid, emb) VALUES (?1, %s)", variant->bind_value);
  unsigned char blob[BENCH_DIM * sizeof(float)];
  double start = bench_now();
  int rc = (sql && insert_sql) ? SQLITE_OK : SQLITE_NOMEM;

  if (rc == SQLITE_OK) rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(db, insert_sql, -1, &insert, NULL);
  for (size_t i = 0; rc == SQLITE_OK && i < base_count; i++) {
    int bytes = vec0_encode(variant, base + i * BENCH_DIM, blob);
    /* rowid = base index + 1: rowids start at 1 by convention. */
    sqlite3_bind_int64(insert, 1, (sqlite3_int64)i + 1);
    sqlite3_bind_blob(insert, 2, blob, bytes, SQLITE_STATIC);
    rc = sqlite3_step(insert);
    if (rc == SQLITE_DONE) rc = sqlite3_reset(insert);
    if ((i + 1) % 250000 == 0) {
      fprintf(stderr, "vec0: %s  %zu vectors, %.0f s\n", variant->column_type, i + 1,
              bench_now() - start);
    }
  }
  *seconds = bench_now() - start;
  if (rc == SQLITE_OK) {
    rc = sqlite3_prepare_v2(db, "INSERT INTO bench_meta VALUES (?1, ?2, ?3)", -1, &meta, NULL);
  }
  if (rc == SQLITE_OK) {
    sqlite3_bind_int64(meta, 1, (sqlite3_int64)base_count);
    sqlite3_bind_int64(meta, 2, base_mtime);
    sqlite3_bind_double(meta, 3, *seconds);
    rc = sqlite3_step(meta);
    if (rc == SQLITE_DONE) rc = SQLITE_OK;
  }
  if (rc == SQLITE_OK) rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
  *seconds = bench_now() - start; /* the commit is part of building */
  if (rc != SQLITE_OK) fprintf(stderr, "vec0: filling %s: %s\n", variant->file_name, sqlite3_errmsg(db));
  sqlite3_finalize(insert);
  sqlite3_finalize(meta);
  sqlite3_free(insert_sql);
  sqlite3_free(sql);
  return rc;
}

/* KNN for the first query_count queries; returns queries/s or -1. */
static double vec0_search(sqlite3 *db, const Vec0Variant *variant, const uint8_t *queries,
                          size_t query_count, int64_t *found) {
  sqlite3_stmt *search = NULL;
  char *sql = sqlite3_mprintf("SELECT rowid FROM v WHERE emb MATCH %s AND k = %d",
                              variant->bind_value, BENCH_K);
  unsigned char blob[BENCH_DIM * sizeof(float)];
  int rc = sql ? sqlite3_prepare_v2(db, sql, -1, &search, NULL) : SQLITE_NOMEM;
  double start = bench_now();
  for (size_t q = 0; rc == SQLITE_OK && q < query_count; q++) {
    int bytes = vec0_encode(variant, queries + q * BENCH_DIM, blob);
    int slot = 0;
    /* bind_value names ?2 (shared with the INSERT, where ?1 is the rowid). */
    sqlite3_bind_blob(search, 2, blob, bytes, SQLITE_STATIC);
    while ((rc = sqlite3_step(search)) == SQLITE_ROW) {
      if (slot < BENCH_K) found[q * BENCH_K + slot++] = sqlite3_column_int64(search, 0) - 1;
    }
    while (slot < BENCH_K) found[q * BENCH_K + slot++] = -1;
    rc = (rc == SQLITE_DONE) ? sqlite3_reset(search) : rc;
  }
  double seconds = bench_now() - start;
  if (rc != SQLITE_OK) fprintf(stderr, "vec0: searching %s: %s\n", variant->file_name, sqlite3_errmsg(db));
  sqlite3_finalize(search);
  sqlite3_free(sql);
  return rc == SQLITE_OK ? (double)query_count / seconds : -1;
}

static int vec0_run_variant(const Vec0Variant *variant, const char *extension_path,
                            const uint8_t *base, size_t base_count, long long base_mtime,
                            const uint8_t *queries, size_t query_count, const int32_t *truth) {
  char path[BENCH_PATH_BYTES], setting[128];
  sqlite3 *db = NULL;
  int64_t *found = malloc(query_count * BENCH_K * sizeof *found);
  double build_seconds = -1, queries_per_second = -1;
  int rc = found ? SQLITE_OK : SQLITE_NOMEM;

  bench_path(path, variant->file_name);
  if (rc == SQLITE_OK) rc = vec0_open(path, extension_path, &db);
  if (rc == SQLITE_OK) build_seconds = vec0_complete_seconds(db, base_count, base_mtime);
  if (rc == SQLITE_OK && build_seconds >= 0) {
    fprintf(stderr, "vec0: reusing %s (filled in %.1f s)\n", path, build_seconds);
  } else if (rc == SQLITE_OK) {
    sqlite3_close(db);
    db = NULL;
    unlink(path); /* stale or partial: start from an empty file */
    fprintf(stderr, "vec0: filling %s with %zu vectors...\n", path, base_count);
    rc = vec0_open(path, extension_path, &db);
    if (rc == SQLITE_OK) rc = vec0_fill(db, variant, base, base_count, base_mtime, &build_seconds);
  }
  /* Once through SQLite's default page cache, once with the file mmap'ed. */
  for (int use_mmap = 0; rc == SQLITE_OK && use_mmap <= 1; use_mmap++) {
    if (use_mmap) rc = sqlite3_exec(db, "PRAGMA mmap_size = " VEC0_MMAP_BYTES, NULL, NULL, NULL);
    if (rc == SQLITE_OK) queries_per_second = vec0_search(db, variant, queries, query_count, found);
    if (queries_per_second < 0) rc = SQLITE_ERROR;
    if (rc == SQLITE_OK) {
      snprintf(setting, sizeof setting, "%s%s, %zu queries", variant->setting,
               use_mmap ? ", mmap" : "", query_count);
      bench_print_row("sqlite-vec vec0", setting, build_seconds,
                      (double)bench_file_bytes(path) / 1e6,
                      bench_recall_at_10(truth, found, query_count), queries_per_second);
    }
  }
  sqlite3_close(db);
  free(found);
  return rc;
}

int main(void) {
  size_t base_count = 0, query_count = 0;
  uint8_t *base = bench_load_u8("base.u8", &base_count);
  uint8_t *queries = bench_load_u8("query.u8", &query_count);
  int32_t *truth = queries ? bench_load_groundtruth(query_count) : NULL;
  const char *extension_path = getenv("VEC0_SO");
  const char *query_limit = getenv("VEC0_QUERIES");
  char base_path[BENCH_PATH_BYTES];
  struct stat base_info;
  int failures = 0;

  if (!base || !queries || !truth || stat(bench_path(base_path, "base.u8"), &base_info) != 0) {
    free(base); free(queries); free(truth);
    return 1;
  }
  if (!extension_path || !extension_path[0]) extension_path = VEC0_DEFAULT_SO;
  size_t timed = query_limit && atol(query_limit) > 0 ? (size_t)atol(query_limit) : 100;
  if (timed > query_count) timed = query_count;

  for (size_t i = 0; i < sizeof vec0_variants / sizeof vec0_variants[0]; i++) {
    if (vec0_run_variant(&vec0_variants[i], extension_path, base, base_count,
                         (long long)base_info.st_mtime, queries, timed, truth) != SQLITE_OK) {
      failures++;
    }
  }
  free(base);
  free(queries);
  free(truth);
  return failures ? 1 : 0;
}
