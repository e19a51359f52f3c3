/*
** bench_filter.c — KNN filtered by a metadata column, on 1M real SIFT.
**
**   bench_filter EXTENSION [SEARCH_K...]
**
** Builds two tables from base.u8 in $BENCH_DIR (one transaction of
** single-row INSERTs each, trees=16, leaf_size=64, rowid = index + 1):
**   filter_plain.db  annoy(v uint8[128])
**   filter_meta.db   annoy(v uint8[128], grp INTEGER)
** where grp = splitmix64(index) % 100, a label unrelated to the vector (an
** album, a user). Then runs the 1000 queries of query.u8 with k = 10:
**   unfiltered                  on both tables (recall against gt.i32)
**   1%:  AND grp = q % 100
**   10%: AND grp BETWEEN 10*(q % 10) AND 10*(q % 10) + 9
** at the table's default search_k and at each SEARCH_K given, and the
** exact filtered scan (search_k = -1, first 100 queries). The filtered
** ground truth is a brute-force scan here, over the rows the filter keeps
** (squared L2, ties by the smaller index), independent of the extension.
** Every row: one untimed pass to warm the connection, one timed. REUSE=1
** keeps existing databases. One thread.
*/
#include "bench_common.h"
#define BENCH_PROGRAM "bench_filter"
#include "bench_sqlite.h"

#define N_GROUPS 100

static uint64_t splitmix64(uint64_t x){
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

static int group_of(size_t i){ return (int)(splitmix64(i) % N_GROUPS); }

/* Build one table; returns seconds, or -1 when an existing file is reused. */
static double build(const char *path, const char *extension, int with_group,
                    const uint8_t *base, size_t n_base){
  sqlite3 *db;
  sqlite3_stmt *st;
  size_t i;
  double t0;
  if( getenv("REUSE") && bench_file_bytes(path)>0 ) return -1;
  remove(path);
  db = bench_open_db(path, extension);
  bench_exec(db, with_group ? "CREATE VIRTUAL TABLE items USING annoy(v uint8[128], grp INTEGER, trees=16, leaf_size=64)"
                      : "CREATE VIRTUAL TABLE items USING annoy(v uint8[128], trees=16, leaf_size=64)");
  if( sqlite3_prepare_v2(db, with_group ? "INSERT INTO items(rowid, v, grp) VALUES(?1, ?2, ?3)"
                                        : "INSERT INTO items(rowid, v) VALUES(?1, ?2)", -1, &st, 0) ){
    bench_die(db, "prepare");
  }
  t0 = bench_now();
  bench_exec(db, "BEGIN");
  for(i=0; i<n_base; i++){
    sqlite3_bind_int64(st, 1, (sqlite3_int64)i+1);
    sqlite3_bind_blob(st, 2, base + i*BENCH_DIM, BENCH_DIM, SQLITE_STATIC);
    if( with_group ) sqlite3_bind_int(st, 3, group_of(i));
    if( sqlite3_step(st)!=SQLITE_DONE ) bench_die(db, "insert");
    sqlite3_reset(st);
  }
  bench_exec(db, "COMMIT");
  t0 = bench_now() - t0;
  sqlite3_finalize(st);
  sqlite3_close(db);
  return t0;
}

/* The filter of query q: the range of grp it keeps (lo..hi). */
typedef enum { NONE, ONE_PERCENT, TEN_PERCENT } Filter;
static void filter_range(Filter f, size_t q, int *lo, int *hi){
  switch( f ){
    case NONE:        *lo = 0; *hi = N_GROUPS-1; break;
    case ONE_PERCENT: *lo = *hi = (int)(q % N_GROUPS); break;
    default:          *lo = 10*(int)(q % 10); *hi = *lo + 9; break;
  }
}

/* Exact filtered top-10 by brute force: found[10] (0-based, -1 if fewer). */
static void brute_force(const uint8_t *base, const int *groups, size_t n_base, const uint8_t *q,
                        int lo, int hi, int32_t *out){
  int64_t best_d[BENCH_K];
  int32_t best_i[BENCH_K];
  int n = 0, j;
  size_t i;
  for(i=0; i<n_base; i++){
    const uint8_t *v = base + i*BENCH_DIM;
    int64_t d = 0;
    int e;
    if( groups[i]<lo || groups[i]>hi ) continue;
    for(e=0; e<BENCH_DIM; e++){ int x = (int)v[e] - (int)q[e]; d += x*x; }
    if( n==BENCH_K && d>=best_d[n-1] ) continue;
    for(j = n<BENCH_K ? n++ : n-1; j>0 && best_d[j-1]>d; j--){
      best_d[j] = best_d[j-1];
      best_i[j] = best_i[j-1];
    }
    best_d[j] = d;
    best_i[j] = (int32_t)i;
  }
  for(j=0; j<BENCH_K; j++) out[j] = j<n ? best_i[j] : -1;
}

/* One pass of nq queries; returns queries/s and fills found. */
static double run(sqlite3_stmt *st, Filter f, const uint8_t *query, size_t nq, int64_t *found){
  double t0 = bench_now();
  size_t q;
  for(q=0; q<nq; q++){
    int lo, hi, n = 0, rc;
    filter_range(f, q, &lo, &hi);
    sqlite3_bind_blob(st, 1, query + q*BENCH_DIM, BENCH_DIM, SQLITE_STATIC);
    if( f!=NONE ) sqlite3_bind_int(st, 2, lo);
    if( f==TEN_PERCENT ) sqlite3_bind_int(st, 3, hi);
    while( (rc = sqlite3_step(st))==SQLITE_ROW ){
      if( n<BENCH_K ) found[q*BENCH_K + n++] = sqlite3_column_int64(st, 0) - 1;
    }
    if( rc!=SQLITE_DONE ) bench_die(sqlite3_db_handle(st), "query");
    while( n<BENCH_K ) found[q*BENCH_K + n++] = -1;
    sqlite3_reset(st);
  }
  return (double)nq/(bench_now() - t0);
}

static void measure(sqlite3 *db, const char *system, Filter f, long long search_k,
                    const uint8_t *query, size_t n_query, const int32_t *truth, int64_t *found){
  static const char *const names[] = { "no filter", "1% (grp = ?)", "10% (grp BETWEEN)" };
  char sql[256], setting[128], knob[64];
  size_t nq = search_k<0 ? (n_query<100 ? n_query : 100) : n_query;
  sqlite3_stmt *st;
  double qps;
  if( search_k==0 ) snprintf(knob, sizeof(knob), "search_k default");
  else if( search_k<0 ) snprintf(knob, sizeof(knob), "exact (%zu queries)", nq);
  else snprintf(knob, sizeof(knob), "search_k=%lld", search_k);
  snprintf(sql, sizeof(sql), "SELECT rowid FROM items WHERE v MATCH ?1 AND k = 10%s",
           f==NONE ? "" : f==ONE_PERCENT ? " AND grp = ?2" : " AND grp BETWEEN ?2 AND ?3");
  if( search_k ){
    size_t len = strlen(sql);
    snprintf(sql+len, sizeof(sql)-len, " AND search_k = %lld", search_k);
  }
  if( sqlite3_prepare_v2(db, sql, -1, &st, 0) ) bench_die(db, "prepare");
  run(st, f, query, nq, found);
  qps = run(st, f, query, nq, found);
  sqlite3_finalize(st);
  snprintf(setting, sizeof(setting), "%s, %s", names[f], knob);
  bench_print_row(system, setting, -1, -1, bench_recall_at_10(truth, found, nq), qps);
}

int main(int argc, char **argv){
  const char *extension;
  size_t n_base, n_query, i, q;
  uint8_t *base, *query;
  int32_t *truth, *truth_f[3];
  int64_t *found;
  int *groups, a;
  Filter f;
  char path_plain[BENCH_PATH_BYTES], path_meta[BENCH_PATH_BYTES];
  double build_plain, build_meta;
  sqlite3 *db;

  if( argc<2 ){
    fprintf(stderr, "usage: bench_filter EXTENSION [SEARCH_K...]\n");
    return 2;
  }
  extension = argv[1];
  if( (base = bench_load_u8("base.u8", &n_base))==0 ) return 1;
  if( (query = bench_load_u8("query.u8", &n_query))==0 ) return 1;
  if( (truth = bench_load_groundtruth(n_query))==0 ) return 1;
  found = malloc(n_query*BENCH_K*sizeof(int64_t));
  groups = malloc(n_base*sizeof(int));
  for(i=0; i<n_base; i++) groups[i] = group_of(i);
  truth_f[NONE] = truth;
  for(f=ONE_PERCENT; f<=TEN_PERCENT; f++){
    truth_f[f] = malloc(n_query*BENCH_K*sizeof(int32_t));
    for(q=0; q<n_query; q++){
      int lo, hi;
      filter_range(f, q, &lo, &hi);
      brute_force(base, groups, n_base, query + q*BENCH_DIM, lo, hi, truth_f[f] + q*BENCH_K);
    }
  }

  build_plain = build(bench_path(path_plain, "filter_plain.db"), extension, 0, base, n_base);
  build_meta = build(bench_path(path_meta, "filter_meta.db"), extension, 1, base, n_base);

  bench_print_header();
  if( build_plain>0 ){
    bench_print_row("annoy uint8", "insert, no column", build_plain, bench_file_bytes(path_plain)/1e6, -1, -1);
  }
  if( build_meta>0 ){
    bench_print_row("annoy uint8", "insert, grp INTEGER", build_meta, bench_file_bytes(path_meta)/1e6, -1, -1);
  }
  db = bench_open_db(path_plain, extension);
  measure(db, "annoy uint8 (no column)", NONE, 0, query, n_query, truth, found);
  sqlite3_close(db);
  db = bench_open_db(path_meta, extension);
  for(f=NONE; f<=TEN_PERCENT; f++){
    measure(db, "annoy uint8 + grp", f, 0, query, n_query, truth_f[f], found);
    for(a=2; a<argc; a++){
      measure(db, "annoy uint8 + grp", f, atoll(argv[a]), query, n_query, truth_f[f], found);
    }
  }
  sqlite3_close(db);
  printf("\n| table | inserts/s |\n|---|---|\n");
  if( build_plain>0 ) printf("| no column | %.0f |\n", (double)n_base/build_plain);
  if( build_meta>0 ) printf("| grp INTEGER (indexed) | %.0f |\n", (double)n_base/build_meta);
  free(base); free(query); free(truth); free(found); free(groups);
  free(truth_f[ONE_PERCENT]); free(truth_f[TEN_PERCENT]);
  return 0;
}
