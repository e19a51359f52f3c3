/*
** bench_annoy.c — the annoy virtual table on real SIFT descriptors.
**
**   bench_annoy EXTENSION TYPE TREES LEAF_SIZE SEARCH_K...
**     TYPE      uint8 | float32
**     SEARCH_K  0 = the table's automatic default, -1 = exact scan
**
** Builds $BENCH_DIR/annoy_TYPE.db from base.u8 (rowid = index + 1, one
** transaction, one INSERT per vector), reopens it, times the first query,
** then runs every query of query.u8 (k = 10) at each search_k, once to warm
** the cache and once timed, and scores recall@10 against gt.i32. Exact-scan
** rows use the first 50 queries only. REUSE=1 keeps an existing database
** (no build row then).
** Prints rows in the shared bench table format, then a second table with
** insert rate, sizes and first-query latency. One thread throughout.
*/
#include "bench_common.h"
#define BENCH_PROGRAM "bench_annoy"
#include "bench_sqlite.h"

/* Bind vector i of data as the table's element type. */
static void bind_vector(sqlite3_stmt *st, int col, const uint8_t *v, int is_float, float *scratch){
  int d;
  if( !is_float ){
    sqlite3_bind_blob(st, col, v, BENCH_DIM, SQLITE_STATIC);
    return;
  }
  for(d=0; d<BENCH_DIM; d++) scratch[d] = (float)v[d];
  sqlite3_bind_blob(st, col, scratch, BENCH_DIM*4, SQLITE_STATIC);
}

static double one_query(sqlite3_stmt *st, const uint8_t *q, int is_float, float *scratch,
                        int64_t *found){
  int n = 0, rc;
  bind_vector(st, 1, q, is_float, scratch);
  while( (rc = sqlite3_step(st))==SQLITE_ROW ){
    if( n<BENCH_K ) found[n++] = sqlite3_column_int64(st, 0) - 1;
  }
  if( rc!=SQLITE_DONE ) bench_die(sqlite3_db_handle(st), "query");
  while( n<BENCH_K ) found[n++] = -1;
  sqlite3_reset(st);
  return 0;
}

int main(int argc, char **argv){
  const char *extension, *type;
  int trees, leaf_size, is_float, a;
  size_t n_base, n_query, i;
  uint8_t *base, *query;
  int32_t *truth;
  int64_t *found;
  float scratch[BENCH_DIM];
  char path[BENCH_PATH_BYTES], sql[512], setting[128], name[64];
  sqlite3 *db;
  sqlite3_stmt *st;
  double t0, build_s = -1, first_ms, db_mb = -1, payload_mb = -1;

  if( argc<6 ){
    fprintf(stderr, "usage: bench_annoy EXTENSION uint8|float32 TREES LEAF_SIZE SEARCH_K...\n");
    return 2;
  }
  extension = argv[1];
  type = argv[2];
  trees = atoi(argv[3]);
  leaf_size = atoi(argv[4]);
  is_float = strcmp(type, "float32")==0;
  if( (base = bench_load_u8("base.u8", &n_base))==0 ) return 1;
  if( (query = bench_load_u8("query.u8", &n_query))==0 ) return 1;
  if( (truth = bench_load_groundtruth(n_query))==0 ) return 1;
  found = malloc(n_query*BENCH_K*sizeof(int64_t));
  snprintf(name, sizeof(name), "annoy_%s.db", type);
  bench_path(path, name);
  if( getenv("REUSE") && bench_file_bytes(path)>0 ) goto queries;
  remove(path);

  /* Build: one transaction of plain INSERTs. */
  db = bench_open_db(path, extension);
  snprintf(sql, sizeof(sql), "CREATE VIRTUAL TABLE items USING annoy(v %s[128], trees=%d, leaf_size=%d)",
           type, trees, leaf_size);
  bench_exec(db, sql);
  if( sqlite3_prepare_v2(db, "INSERT INTO items(rowid, v) VALUES(?1, ?2)", -1, &st, 0) ) bench_die(db, "prepare");
  t0 = bench_now();
  bench_exec(db, "BEGIN");
  for(i=0; i<n_base; i++){
    sqlite3_bind_int64(st, 1, (sqlite3_int64)i+1);
    bind_vector(st, 2, base + i*BENCH_DIM, is_float, scratch);
    if( sqlite3_step(st)!=SQLITE_DONE ) bench_die(db, "insert");
    sqlite3_reset(st);
  }
  bench_exec(db, "COMMIT");
  build_s = bench_now() - t0;
  sqlite3_finalize(st);
  if( sqlite3_prepare_v2(db, "SELECT (SELECT sum(length(v)) FROM items_vectors)"
                             " + (SELECT sum(length(data)) FROM items_nodes)", -1, &st, 0) ) bench_die(db, "size");
  sqlite3_step(st);
  payload_mb = sqlite3_column_double(st, 0)/1e6;
  sqlite3_finalize(st);
  sqlite3_close(db);
  db_mb = (double)bench_file_bytes(path)/1e6;

queries:
  /* First query on a new connection (the file is in the OS page cache). */
  t0 = bench_now();
  db = bench_open_db(path, extension);
  if( sqlite3_prepare_v2(db, "SELECT rowid FROM items WHERE v MATCH ?1 AND k = 10", -1, &st, 0) ) bench_die(db, "prepare");
  one_query(st, query, is_float, scratch, found);
  first_ms = (bench_now() - t0)*1e3;
  sqlite3_finalize(st);

  bench_print_header();
  snprintf(setting, sizeof(setting), "insert %zu, trees=%d leaf=%d", n_base, trees, leaf_size);
  snprintf(name, sizeof(name), "annoy %s", type);
  if( build_s>0 ) bench_print_row(name, setting, build_s, db_mb, -1, -1);
  for(a=5; a<argc; a++){
    long long search_k = atoll(argv[a]);
    size_t nq = search_k<0 ? (n_query<50 ? n_query : 50) : n_query;
    if( search_k==0 ){
      snprintf(sql, sizeof(sql), "SELECT rowid FROM items WHERE v MATCH ?1 AND k = 10");
      snprintf(setting, sizeof(setting), "search_k default");
    }else{
      snprintf(sql, sizeof(sql), "SELECT rowid FROM items WHERE v MATCH ?1 AND k = 10 AND search_k = %lld", search_k);
      if( search_k<0 ) snprintf(setting, sizeof(setting), "exact scan (%zu queries)", nq);
      else snprintf(setting, sizeof(setting), "search_k=%lld", search_k);
    }
    if( sqlite3_prepare_v2(db, sql, -1, &st, 0) ) bench_die(db, "prepare");
    /* An untimed pass first: queries/s is the steady state with the
    ** connection's cache warm (the cold case is the first-query row). */
    for(i=0; i<nq; i++) one_query(st, query + i*BENCH_DIM, is_float, scratch, found + i*BENCH_K);
    t0 = bench_now();
    for(i=0; i<nq; i++) one_query(st, query + i*BENCH_DIM, is_float, scratch, found + i*BENCH_K);
    {
      double qps = (double)nq/(bench_now() - t0);
      bench_print_row(name, setting, -1, -1, bench_recall_at_10(truth, found, nq), qps);
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  printf("\n| table | inserts/s | db MB | vectors+forest MB | db / (vectors+forest) | first query ms |\n");
  printf("|---|---|---|---|---|---|\n");
  if( build_s>0 ){
    printf("| %s | %.0f | %.1f | %.1f | %.2f | %.1f |\n", name, (double)n_base/build_s, db_mb,
           payload_mb, db_mb/payload_mb, first_ms);
  }else{
    printf("| %s | - | - | - | - | %.1f |\n", name, first_ms);
  }
  free(base); free(query); free(truth); free(found);
  return 0;
}
