/*
** bench_quality.c — image retrieval quality of the img_* functions, through
** SQL only, on the shared benchmark images.  Prints markdown tables.
**
**   sh tests/bench/quality.sh            (builds and runs this file)
**   build/bench/bench_quality EXT DATA CACHE [PARTS]
**
** EXT   build/imgsearch.so          DATA  ../shared/data
** CACHE build/bench/quality.db      PARTS any of "12345" (default "1234"):
**   1 UKBench N-S (VLAD k=64 / k=16, PCA-256, img_match re-rank of top 20)
**   2 DVD covers recall@1 (global, re-rank of top 10 / 20)
**   3 Oxford affine: share of img_match inliers within 3 px of the ground
**     truth, and img_match_json homography vs ground truth
**   4 img_sift time per image (recorded when the sift blob was extracted)
**   5 copy detection: edited copies of the samples/ images (made by copies.sh) against
**     the 18 originals + 500 UKBench + 100 DVD references, recall@1 per edit
**
** Everything goes through the extension: img_sift, sift_count,
** img_codebook_train, img_vlad, img_pca_train, img_match(_json), and the
** annoy table (metric=angular, search_k=-1: exact cosine ranking).
**
** The cache db holds images(path, sift, ms, cpu_ms) — one img_sift blob per
** image file (path relative to DATA, or to the current directory when it
** starts with "./"), extracted once by one thread — and
** matches(a, b, inliers), the img_match(a, b) results, so re-runs are fast.
** img_match runs in THREADS (default 2) worker threads, one connection each.
*/
#include <sqlite3.h>
#include <pthread.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *g_ext, *g_data;
static sqlite3 *g_db;          /* :memory: main, cache attached as c */
static int g_threads = 2;

static double clock_ms(clockid_t c){
  struct timespec t; clock_gettime(c, &t);
  return t.tv_sec*1e3 + t.tv_nsec/1e6;
}

static void die(sqlite3 *db, const char *what){
  fprintf(stderr, "bench_quality: %s: %s\n", what, db ? sqlite3_errmsg(db) : "");
  exit(1);
}

static sqlite3 *open_db(const char *name){
  sqlite3 *db; char *err = 0;
  if( sqlite3_open(name, &db)!=SQLITE_OK ) die(db, name);
  sqlite3_enable_load_extension(db, 1);
  if( sqlite3_load_extension(db, g_ext, 0, &err) ){
    fprintf(stderr, "bench_quality: %s\n", err); exit(1);
  }
  sqlite3_busy_timeout(db, 10000);
  return db;
}

static void exec(const char *sql){
  char *err = 0;
  if( sqlite3_exec(g_db, sql, 0, 0, &err)!=SQLITE_OK ){
    fprintf(stderr, "bench_quality: %s\n  in: %s\n", err, sql); exit(1);
  }
}

static sqlite3_stmt *prep(sqlite3 *db, const char *sql){
  sqlite3_stmt *st;
  if( sqlite3_prepare_v2(db, sql, -1, &st, 0)!=SQLITE_OK ) die(db, sql);
  return st;
}

static unsigned char *read_file(const char *path, long *n){
  FILE *f = fopen(path, "rb"); unsigned char *d;
  if( !f ){ fprintf(stderr, "bench_quality: cannot read %s\n", path); exit(1); }
  fseek(f, 0, SEEK_END); *n = ftell(f); fseek(f, 0, SEEK_SET);
  d = malloc((size_t)*n + 1);
  if( fread(d, 1, (size_t)*n, f)!=(size_t)*n ){ fprintf(stderr, "short read %s\n", path); exit(1); }
  fclose(f);
  return d;
}

/* ---- sift cache ---------------------------------------------------------- */

/* The file behind a cache path: relative to DATA, or to the current
** directory when it starts with "./". */
static void resolve_path(const char *rel, char *path, size_t n){
  if( strncmp(rel, "./", 2)==0 ) snprintf(path, n, "%s", rel);
  else snprintf(path, n, "%s/%s", g_data, rel);
}

/* Make sure images has a row for rel (extracting it if not). */
static void ensure_sift(const char *rel){
  static sqlite3_stmt *has, *ins, *sift;
  char path[2048]; long n; unsigned char *d; double t0, c0, t, c;
  if( !has ){
    has = prep(g_db, "SELECT 1 FROM c.images WHERE path=?");
    ins = prep(g_db, "INSERT INTO c.images(path, sift, ms, cpu_ms) VALUES(?,?,?,?)");
    sift = prep(g_db, "SELECT img_sift(?)");
  }
  sqlite3_bind_text(has, 1, rel, -1, SQLITE_STATIC);
  n = sqlite3_step(has)==SQLITE_ROW;
  sqlite3_reset(has);
  if( n ) return;
  resolve_path(rel, path, sizeof path);
  d = read_file(path, &n);
  t0 = clock_ms(CLOCK_MONOTONIC); c0 = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
  sqlite3_bind_blob(sift, 1, d, (int)n, SQLITE_STATIC);
  if( sqlite3_step(sift)!=SQLITE_ROW ) die(g_db, rel);
  t = clock_ms(CLOCK_MONOTONIC) - t0; c = clock_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
  sqlite3_bind_text(ins, 1, rel, -1, SQLITE_STATIC);
  sqlite3_bind_value(ins, 2, sqlite3_column_value(sift, 0));
  sqlite3_bind_double(ins, 3, t);
  sqlite3_bind_double(ins, 4, c);
  if( sqlite3_step(ins)!=SQLITE_DONE ) die(g_db, "insert sift");
  sqlite3_reset(ins); sqlite3_reset(sift);
  free(d);
}

/* Extract a set; progress to stderr.  names[i] relative to DATA. */
static void ensure_set(char **names, int n, const char *label){
  int i;
  exec("BEGIN");
  for(i=0; i<n; i++){
    ensure_sift(names[i]);
    if( (i+1)%50==0 ){
      exec("COMMIT; BEGIN");
      fprintf(stderr, "  %s: %d/%d\n", label, i+1, n);
    }
  }
  exec("COMMIT");
}

typedef struct { void *p; int n; } Blob;

static Blob get_sift(const char *rel){
  static sqlite3_stmt *st;
  Blob b = {0, 0};
  if( !st ) st = prep(g_db, "SELECT sift FROM c.images WHERE path=?");
  sqlite3_bind_text(st, 1, rel, -1, SQLITE_STATIC);
  if( sqlite3_step(st)!=SQLITE_ROW ) die(g_db, rel);
  b.n = sqlite3_column_bytes(st, 0);
  b.p = malloc((size_t)b.n + 1);
  memcpy(b.p, sqlite3_column_blob(st, 0), (size_t)b.n);
  sqlite3_reset(st);
  return b;
}

/* First column of sql's first row as an int. */
static int query_count(const char *sql){
  sqlite3_stmt *st = prep(g_db, sql); int n;
  n = sqlite3_step(st)==SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
  sqlite3_finalize(st);
  return n;
}

/* sift_count() of a blob, through SQL. */
static int sift_blob_count(const Blob *b){
  static sqlite3_stmt *st; int n;
  if( !st ) st = prep(g_db, "SELECT sift_count(?)");
  sqlite3_bind_blob(st, 1, b->p, b->n, SQLITE_STATIC);
  n = sqlite3_step(st)==SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
  sqlite3_reset(st);
  return n;
}

/* ---- img_match in worker threads, cached --------------------------------- */

typedef struct { int a, b, inliers; } Pair;   /* indexes into a Blob array */
typedef struct {
  Pair *pairs; int n; Blob *sifts;
  pthread_mutex_t mu; int next;
} MatchJob;

static void *match_worker(void *arg){
  MatchJob *j = arg;
  sqlite3 *db = open_db(":memory:");
  sqlite3_stmt *st = prep(db, "SELECT img_match(?1, ?2)");
  for(;;){
    int i;
    pthread_mutex_lock(&j->mu); i = j->next++; pthread_mutex_unlock(&j->mu);
    if( i>=j->n ) break;
    sqlite3_bind_blob(st, 1, j->sifts[j->pairs[i].a].p, j->sifts[j->pairs[i].a].n, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, j->sifts[j->pairs[i].b].p, j->sifts[j->pairs[i].b].n, SQLITE_STATIC);
    if( sqlite3_step(st)!=SQLITE_ROW ) die(db, "img_match");
    j->pairs[i].inliers = sqlite3_column_int(st, 0);
    sqlite3_reset(st);
  }
  sqlite3_finalize(st); sqlite3_close(db);
  return 0;
}

/* Fill pairs[].inliers: from the cache, the rest computed and cached. */
static void run_matches(Pair *pairs, int n, Blob *sifts, char **names){
  sqlite3_stmt *get = prep(g_db, "SELECT inliers FROM c.matches WHERE a=? AND b=?");
  sqlite3_stmt *put = prep(g_db, "INSERT OR REPLACE INTO c.matches(a,b,inliers) VALUES(?,?,?)");
  Pair *todo = malloc(sizeof(Pair)*(size_t)(n+1));
  int *where = malloc(sizeof(int)*(size_t)(n+1));
  int i, m = 0, t;
  double t0 = clock_ms(CLOCK_MONOTONIC);
  MatchJob job;
  pthread_t th[8];
  for(i=0; i<n; i++){
    sqlite3_bind_text(get, 1, names[pairs[i].a], -1, SQLITE_STATIC);
    sqlite3_bind_text(get, 2, names[pairs[i].b], -1, SQLITE_STATIC);
    if( sqlite3_step(get)==SQLITE_ROW ){
      pairs[i].inliers = sqlite3_column_int(get, 0);
    }else{
      int k;   /* duplicates within this batch: compute once */
      for(k=0; k<m; k++) if( todo[k].a==pairs[i].a && todo[k].b==pairs[i].b ) break;
      if( k==m ){ todo[m] = pairs[i]; m++; }
      where[i] = k; pairs[i].inliers = -1;
    }
    sqlite3_reset(get);
  }
  if( m>0 ){
    fprintf(stderr, "  img_match: %d new pairs (%d cached), %d threads\n", m, n-m, g_threads);
    job.pairs = todo; job.n = m; job.sifts = sifts; job.next = 0;
    pthread_mutex_init(&job.mu, 0);
    for(t=0; t<g_threads; t++) pthread_create(&th[t], 0, match_worker, &job);
    for(t=0; t<g_threads; t++) pthread_join(th[t], 0);
    exec("BEGIN");
    for(i=0; i<m; i++){
      sqlite3_bind_text(put, 1, names[todo[i].a], -1, SQLITE_STATIC);
      sqlite3_bind_text(put, 2, names[todo[i].b], -1, SQLITE_STATIC);
      sqlite3_bind_int(put, 3, todo[i].inliers);
      sqlite3_step(put); sqlite3_reset(put);
    }
    exec("COMMIT");
    for(i=0; i<n; i++) if( pairs[i].inliers<0 ) pairs[i].inliers = todo[where[i]].inliers;
    fprintf(stderr, "  img_match: %.1f s, %.1f ms per pair per thread\n",
            (clock_ms(CLOCK_MONOTONIC)-t0)/1e3, (clock_ms(CLOCK_MONOTONIC)-t0)*g_threads/m);
  }
  sqlite3_finalize(get); sqlite3_finalize(put);
  free(todo); free(where);
}

/* ---- retrieval helpers ---------------------------------------------------- */

#define SHORT 20
#define MIN_INLIERS 8

/* Exact top-SHORT ids for query vector q (blob) from annoy table tab. */
static int topk(const char *tab, const void *q, int qn, int *ids){
  char sql[256]; sqlite3_stmt *st; int n = 0;
  snprintf(sql, sizeof sql,
    "SELECT rowid FROM %s WHERE v MATCH ?1 AND k = %d AND search_k = -1", tab, SHORT);
  st = prep(g_db, sql);
  sqlite3_bind_blob(st, 1, q, qn, SQLITE_STATIC);
  while( sqlite3_step(st)==SQLITE_ROW && n<SHORT ) ids[n++] = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  return n;
}

/* Stable re-rank of ids[0..n) (first depth only): inliers >= MIN_INLIERS go
** first, by inliers descending; the rest keep their order. inl[] parallel. */
static void rerank(int *ids, int *inl, int n, int depth){
  int order[SHORT], m = 0, i, j, out[SHORT], oi[SHORT];
  if( depth>n ) depth = n;
  for(i=0; i<depth; i++) if( inl[i]>=MIN_INLIERS ){   /* stable insertion, inliers desc */
    for(j=m; j>0 && inl[order[j-1]]<inl[i]; j--) order[j] = order[j-1];
    order[j] = i; m++;
  }
  for(i=0; i<depth; i++) if( inl[i]<MIN_INLIERS ) order[m++] = i;
  for(i=0; i<depth; i++){ out[i] = ids[order[i]]; oi[i] = inl[order[i]]; }
  memcpy(ids, out, sizeof(int)*(size_t)depth);
  memcpy(inl, oi, sizeof(int)*(size_t)depth);
}

/* ---- part 1: UKBench ------------------------------------------------------ */

#define UKN 500
static char *uk_names[UKN];
static Blob uk_sift[UKN];

/* N-S for one configuration. pca: 0 none, else dims. Prints one table row. */
static void uk_config(int k, int pca, int do_rerank){
  char sql[1024]; sqlite3_stmt *st;
  int q, i, ids[SHORT], n, inl[SHORT];
  double ns_global = 0, ns_rr = 0, t0 = clock_ms(CLOCK_MONOTONIC), tv;
  int dims = pca ? pca : k*128;
  static Pair pairs[UKN*SHORT]; int np = 0;
  static int all_ids[UKN][SHORT], all_n[UKN];
  void *qv[UKN]; int qn[UKN];

  snprintf(sql, sizeof sql,
    "DROP TABLE IF EXISTS model; DROP TABLE IF EXISTS uk_vlad;"
    "CREATE TABLE model AS SELECT img_codebook_train(sift, %d) AS cb, NULL AS pca FROM uk;", k);
  exec(sql);
  if( pca ){
    snprintf(sql, sizeof sql,
      "UPDATE model SET pca = (SELECT img_pca_train(img_vlad(sift, (SELECT cb FROM model)), %d) FROM uk)", pca);
    exec(sql);
  }
  snprintf(sql, sizeof sql,
    "CREATE VIRTUAL TABLE uk_vlad USING annoy(v float32[%d], metric=angular);"
    "INSERT INTO uk_vlad(rowid, v) SELECT id, %s FROM uk WHERE sift_count(sift) > 0;",
    dims, pca ? "img_vlad(sift, (SELECT cb FROM model), (SELECT pca FROM model))"
              : "img_vlad(sift, (SELECT cb FROM model))");
  exec(sql);
  tv = clock_ms(CLOCK_MONOTONIC) - t0;

  st = prep(g_db, "SELECT v FROM uk_vlad WHERE rowid=?");
  for(q=0; q<UKN; q++){
    qv[q] = 0; qn[q] = 0;
    sqlite3_bind_int(st, 1, q);
    if( sqlite3_step(st)==SQLITE_ROW ){
      qn[q] = sqlite3_column_bytes(st, 0);
      qv[q] = malloc((size_t)qn[q]);
      memcpy(qv[q], sqlite3_column_blob(st, 0), (size_t)qn[q]);
    }
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);

  for(q=0; q<UKN; q++){
    all_n[q] = qv[q] ? topk("uk_vlad", qv[q], qn[q], all_ids[q]) : 0;
    for(i=0; i<all_n[q] && i<4; i++) ns_global += all_ids[q][i]/4==q/4;
    for(i=0; i<all_n[q]; i++) if( all_ids[q][i]!=q ){
      pairs[np].a = q; pairs[np].b = all_ids[q][i]; np++;
    }
  }
  if( do_rerank ){
    int p = 0;
    run_matches(pairs, np, uk_sift, uk_names);
    for(q=0; q<UKN; q++){
      n = all_n[q];
      memcpy(ids, all_ids[q], sizeof(int)*(size_t)n);
      for(i=0; i<n; i++) inl[i] = ids[i]==q ? 1000000 : pairs[p++].inliers;
      rerank(ids, inl, n, SHORT);
      for(i=0; i<n && i<4; i++) ns_rr += ids[i]/4==q/4;
    }
  }
  {
    char rr[32] = "–";
    if( do_rerank ) snprintf(rr, sizeof rr, "%.3f", ns_rr/UKN);
    printf("| %d | %s | %d | %.3f | %s | %.1f s |\n", k,
           pca ? "PCA-whitened" : "none", dims, ns_global/UKN, rr, tv/1e3);
    fflush(stdout);
  }
  for(q=0; q<UKN; q++) free(qv[q]);
}

static void part_ukbench(void){
  int i;
  for(i=0; i<UKN; i++){
    char b[64]; snprintf(b, sizeof b, "ukbench/ukbench%05d.jpg", i);
    uk_names[i] = strdup(b);
  }
  ensure_set(uk_names, UKN, "ukbench");
  exec("DROP TABLE IF EXISTS uk; CREATE TABLE uk(id INTEGER PRIMARY KEY, sift BLOB)");
  {
    sqlite3_stmt *st = prep(g_db, "INSERT INTO uk(id, sift) SELECT ?, sift FROM c.images WHERE path=?");
    for(i=0; i<UKN; i++){
      sqlite3_bind_int(st, 1, i);
      sqlite3_bind_text(st, 2, uk_names[i], -1, SQLITE_STATIC);
      sqlite3_step(st); sqlite3_reset(st);
      uk_sift[i] = get_sift(uk_names[i]);
    }
    sqlite3_finalize(st);
  }
  printf("\n### UKBench (500 images, 125 objects × 4) — N-S score, max 4\n\n");
  printf("Codebook trained on the 500 images' own descriptors; exact cosine ranking "
         "(annoy, metric=angular, search_k=-1); re-rank = top %d by img_match inliers "
         "(≥ %d inliers first, by inliers; the rest keep the global order).\n\n", SHORT, MIN_INLIERS);
  printf("| k | PCA | dims | N-S global | N-S re-ranked top %d | codebook+VLAD time |\n", SHORT);
  printf("|---|---|---|---|---|---|\n");
  fflush(stdout);
  uk_config(64, 0, 1);
  uk_config(64, 256, 1);
  uk_config(16, 0, 1);
  uk_config(64, 128, 0);
  uk_config(64, 64, 1);
}

/* ---- part 2: DVD covers ---------------------------------------------------- */

static void part_dvd(void){
  enum { NR = 100, NQ = 200 };
  static char *names[NR+NQ];
  static Blob sifts[NR+NQ];
  static Pair pairs[NQ*SHORT];
  static int all_ids[NQ][SHORT], all_n[NQ];
  int i, q, np = 0, in20 = 0, depth, variant;
  static int hit[3][NQ];   /* global, re-rank 10, re-rank 20 */
  sqlite3_stmt *st;
  for(i=0; i<NR+NQ; i++){
    char b[64];
    if( i<NR ) snprintf(b, sizeof b, "dvd_covers/reference/%03d.jpg", i+1);
    else snprintf(b, sizeof b, "dvd_covers/%s/%03d.jpg", i<NR+100 ? "canon" : "droid", (i-NR)%100+1);
    names[i] = strdup(b);
  }
  ensure_set(names, NR+NQ, "dvd");
  for(i=0; i<NR+NQ; i++) sifts[i] = get_sift(names[i]);
  exec("DROP TABLE IF EXISTS dvd; CREATE TABLE dvd(id INTEGER PRIMARY KEY, path TEXT, sift BLOB)");
  st = prep(g_db, "INSERT INTO dvd(id, path, sift) SELECT ?1, path, sift FROM c.images WHERE path=?2");
  for(i=0; i<NR+NQ; i++){
    sqlite3_bind_int(st, 1, i); sqlite3_bind_text(st, 2, names[i], -1, SQLITE_STATIC);
    sqlite3_step(st); sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  printf("\n### DVD covers (100 reference scans; 200 phone photos as queries)\n\n");
  printf("Codebook k=64 trained on the 100 reference images' descriptors, or on reference + "
         "the 200 query photos; the index holds the 100 references (8192-D VLAD); exact cosine "
         "ranking; re-rank as above (≥ %d inliers first).\n\n", MIN_INLIERS);
  printf("| codebook from | queries | recall@1 global | recall@1 re-rank top 10 | recall@1 re-rank top 20 | right cover in global top 20 |\n");
  printf("|---|---|---|---|---|---|\n");
  for(variant=0; variant<2; variant++){
    np = 0; in20 = 0;
    exec(variant==0 ?
         "DROP TABLE IF EXISTS dvd_model; DROP TABLE IF EXISTS dvd_vlad;"
         "CREATE TABLE dvd_model AS SELECT img_codebook_train(sift, 64) AS cb FROM dvd WHERE id < 100;" :
         "DROP TABLE IF EXISTS dvd_model; DROP TABLE IF EXISTS dvd_vlad;"
         "CREATE TABLE dvd_model AS SELECT img_codebook_train(sift, 64) AS cb FROM dvd;");
    exec(
         "CREATE VIRTUAL TABLE dvd_vlad USING annoy(v float32[8192], metric=angular);"
         "INSERT INTO dvd_vlad(rowid, v) SELECT id, img_vlad(sift, (SELECT cb FROM dvd_model))"
         "  FROM dvd WHERE id < 100 AND sift_count(sift) > 0;");
    st = prep(g_db, "SELECT img_vlad(sift, (SELECT cb FROM dvd_model)) FROM dvd WHERE id=?");
    for(q=0; q<NQ; q++){
      sqlite3_bind_int(st, 1, NR+q);
      all_n[q] = 0;
      if( sqlite3_step(st)==SQLITE_ROW && sqlite3_column_type(st, 0)==SQLITE_BLOB ){
        all_n[q] = topk("dvd_vlad", sqlite3_column_blob(st, 0), sqlite3_column_bytes(st, 0), all_ids[q]);
      }
      sqlite3_reset(st);
      hit[0][q] = all_n[q]>0 && all_ids[q][0]==q%100;
      for(i=0; i<all_n[q]; i++){
        if( all_ids[q][i]==q%100 ) in20++;
        pairs[np].a = NR+q; pairs[np].b = all_ids[q][i]; np++;
      }
    }
    sqlite3_finalize(st);
    run_matches(pairs, np, sifts, names);
    for(depth=10; depth<=20; depth+=10){
      int p = 0;
      for(q=0; q<NQ; q++){
        int ids[SHORT], inl[SHORT], n = all_n[q];
        memcpy(ids, all_ids[q], sizeof(int)*(size_t)n);
        for(i=0; i<n; i++) inl[i] = pairs[p++].inliers;
        rerank(ids, inl, n, depth);
        hit[depth/10][q] = n>0 && ids[0]==q%100;
      }
    }
    {
      static const char *lab[3] = {"canon (100)", "droid (100)", "all (200)"};
      int g, d, lo, hi, c;
      for(g=0; g<3; g++){
        lo = g==1 ? 100 : 0; hi = g==0 ? 100 : 200;
        printf("| %s | %s |", variant ? "reference + queries" : "reference", lab[g]);
        for(d=0; d<3; d++){
          for(c=0, q=lo; q<hi; q++) c += hit[d][q];
          printf(" %.3f |", (double)c/(hi-lo));
        }
        if( g==2 ) printf(" %.3f |\n", in20/200.0); else printf(" – |\n");
      }
    }
    fflush(stdout);
  }
}

/* ---- part 3: Oxford affine -------------------------------------------------- */

static const char *get_json_num(const char *js, const char *key, double *v){
  const char *p = strstr(js, key);
  if( !p ) return 0;
  p += strlen(key);
  *v = strtod(p, 0);
  return p;
}

static void image_size(const char *rel, int *w, int *h){
  char path[2048]; long n; unsigned char *d = 0; double x = 0;
  sqlite3_stmt *st = prep(g_db, "SELECT img_info(?)");
  snprintf(path, sizeof path, "%s/%s", g_data, rel);
  d = read_file(path, &n);
  sqlite3_bind_blob(st, 1, d, (int)n, SQLITE_STATIC);
  if( sqlite3_step(st)!=SQLITE_ROW ) die(g_db, "img_info");
  get_json_num((const char*)sqlite3_column_text(st, 0), "\"width\":", &x); *w = (int)x;
  get_json_num((const char*)sqlite3_column_text(st, 0), "\"height\":", &x); *h = (int)x;
  sqlite3_finalize(st); free(d);
}

static int project(const double *H, double x, double y, double *u, double *v){
  double w = H[6]*x + H[7]*y + H[8];
  if( fabs(w)<1e-12 ) return 0;
  *u = (H[0]*x + H[1]*y + H[2])/w; *v = (H[3]*x + H[4]*y + H[5])/w;
  return 1;
}

/* Share of the inlier pairs in img_match_json text js that the ground-truth
** homography Ht maps to within 3 px of their partner; -1 with no pairs. */
static double inlier_agreement(const char *js, const double *Ht){
  sqlite3_stmt *st = prep(g_db, "SELECT value->>0, value->>1, value->>2, value->>3 "
                                "FROM json_each(?1, '$.inlier_pairs')");
  int n = 0, agree = 0;
  sqlite3_bind_text(st, 1, js, -1, SQLITE_STATIC);
  while( sqlite3_step(st)==SQLITE_ROW ){
    double u, v;
    n++;
    if( project(Ht, sqlite3_column_double(st, 0), sqlite3_column_double(st, 1), &u, &v)
     && hypot(u-sqlite3_column_double(st, 2), v-sqlite3_column_double(st, 3))<=3.0 ) agree++;
  }
  sqlite3_finalize(st);
  return n ? (double)agree/n : -1;
}

static void part_oxford(void){
  static const char *sets[] = {"bark","bikes","boat","graf","leuven","trees","ubc","wall"};
  static char grid_cells[8][5][64];
  static double agreement[8][5];
  static int inliers[8][5];
  int s, j;
  double sum_share = 0, sum_agree = 0; int pairs_ok = 0, pairs_all = 0, pairs_good = 0;
  for(s=0; s<8; s++){
    char n1[256], ext[8];
    char probe[2048]; FILE *f;
    int w1, h1;
    snprintf(probe, sizeof probe, "%s/oxford_affine/%s/img1.ppm", g_data, sets[s]);
    f = fopen(probe, "rb");
    strcpy(ext, f ? "ppm" : "pgm");
    if( f ) fclose(f);
    snprintf(n1, sizeof n1, "oxford_affine/%s/img1.%s", sets[s], ext);
    ensure_sift(n1);
    image_size(n1, &w1, &h1);
    for(j=2; j<=6; j++){
      char nj[256], hp[2048], *cell = grid_cells[s][j-2]; double Ht[9], He[9], inl = 0, v;
      int wj, hj, gx, gy, cnt = 0, within = 0, k;
      double err = 0;
      const char *js, *p;
      sqlite3_stmt *st;
      snprintf(nj, sizeof nj, "oxford_affine/%s/img%d.%s", sets[s], j, ext);
      ensure_sift(nj);
      image_size(nj, &wj, &hj);
      snprintf(hp, sizeof hp, "%s/oxford_affine/%s/H1to%dp", g_data, sets[s], j);
      f = fopen(hp, "r");
      if( !f ){ fprintf(stderr, "no %s\n", hp); exit(1); }
      for(k=0; k<9; k++) if( fscanf(f, "%lf", &Ht[k])!=1 ){ fprintf(stderr, "bad %s\n", hp); exit(1); }
      fclose(f);
      st = prep(g_db, "SELECT img_match_json((SELECT sift FROM c.images WHERE path=?1),"
                      " (SELECT sift FROM c.images WHERE path=?2))");
      sqlite3_bind_text(st, 1, n1, -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 2, nj, -1, SQLITE_STATIC);
      if( sqlite3_step(st)!=SQLITE_ROW ) die(g_db, "img_match_json");
      js = (const char*)sqlite3_column_text(st, 0);
      get_json_num(js, "\"inliers\":", &inl);
      inliers[s][j-2] = (int)inl;
      agreement[s][j-2] = inlier_agreement(js, Ht);
      sum_agree += agreement[s][j-2]>0 ? agreement[s][j-2] : 0;
      p = strstr(js, "\"homography\":[");
      pairs_all++;
      if( !p ){
        snprintf(cell, 64, "%d / – / 0", (int)inl);
        sqlite3_finalize(st);
        continue;
      }
      p += strlen("\"homography\":[");
      for(k=0; k<9; k++){
        char *e; v = strtod(p, &e); He[k] = v; p = e; while( *p==',' || *p==' ' ) p++;
      }
      sqlite3_finalize(st);
      for(gy=0; gy<20; gy++) for(gx=0; gx<20; gx++){
        double x = (gx+0.5)*w1/20.0, y = (gy+0.5)*h1/20.0, ut, vt, ue, ve, d;
        if( !project(Ht, x, y, &ut, &vt) ) continue;
        if( ut<0 || vt<0 || ut>wj-1 || vt>hj-1 ) continue;
        cnt++;
        if( !project(He, x, y, &ue, &ve) ){ d = 1e9; }
        else d = hypot(ue-ut, ve-vt);
        if( d>1e6 ) d = 1e6;
        err += d; within += d<=3.0;
      }
      if( cnt==0 ){ snprintf(cell, 64, "%d / no overlap", (int)inl); continue; }
      pairs_ok++;
      sum_share += (double)within/cnt;
      if( (double)within/cnt>=0.9 ) pairs_good++;
      if( err/cnt<1000 ) snprintf(cell, 64, "%d / %.1f / %.0f%%", (int)inl, err/cnt, 100.0*within/cnt);
      else snprintf(cell, 64, "%d / >1000 / %.0f%%", (int)inl, 100.0*within/cnt);
    }
  }
  printf("\n### Oxford affine (img1 vs imgN): img_match inliers that agree with the ground truth\n\n");
  printf("Cells: inliers / share of them (img_match_json's inlier_pairs) whose img1 point the "
         "ground-truth homography H1toNp maps within 3 px of its matched imgN point "
         "(“–” = no match: fewer than 8 inliers).\n\n");
  printf("| set | 1→2 | 1→3 | 1→4 | 1→5 | 1→6 |\n|---|---|---|---|---|---|\n");
  for(s=0; s<8; s++){
    printf("| %s |", sets[s]);
    for(j=0; j<5; j++){
      if( agreement[s][j]<0 ) printf(" %d / – |", inliers[s][j]);
      else printf(" %d / %.0f%% |", inliers[s][j], 100.0*agreement[s][j]);
    }
    printf("\n");
  }
  printf("\nMean share of inliers within 3 px over all %d pairs (no match counts 0): %.3f\n",
         pairs_all, sum_agree/pairs_all);
  printf("\n### Oxford affine: img_match_json homography vs ground truth H1toNp\n\n");
  printf("Error = distance in imgN pixels between H_est(p) and H_true(p) for p on a 20×20 grid "
         "over img1 (cell centres), counting only points whose true image lies inside imgN. "
         "Cells: inliers / mean error px / share of grid points within 3 px "
         "(“–” = no homography returned).\n\n");
  printf("| set | 1→2 | 1→3 | 1→4 | 1→5 | 1→6 |\n|---|---|---|---|---|---|\n");
  for(s=0; s<8; s++){
    printf("| %s |", sets[s]);
    for(j=0; j<5; j++) printf(" %s |", grid_cells[s][j]);
    printf("\n");
  }
  printf("\n%d of %d pairs returned a homography; %d of %d have ≥ 90%% of grid points within 3 px; "
         "mean share within 3 px over all %d pairs: %.2f\n",
         pairs_ok, pairs_all, pairs_good, pairs_all, pairs_all, sum_share/pairs_all);
  fflush(stdout);
}

/* ---- part 4: extraction time ------------------------------------------------ */

static void part_speed(void){
  sqlite3_stmt *st = prep(g_db,
    "SELECT count(*), avg(ms), avg(cpu_ms), avg(sift_count(sift)),"
    "  min(sift_count(sift)), max(sift_count(sift)) FROM c.images WHERE path LIKE ?");
  static const char *pat[][2] = {
    {"ukbench/%", "UKBench (640×480 JPEG)"},
    {"dvd_covers/reference/%", "DVD reference scans (≤500 px)"},
    {"dvd_covers/canon/%", "DVD canon photos (≤1280 px, SIFT at 1024)"},
    {"dvd_covers/droid/%", "DVD droid photos (≤1280 px, SIFT at 1024)"},
    {"oxford_affine/%", "Oxford affine (765–1000 × 512–700 PPM/PGM)"},
  };
  int i;
  printf("\n### img_sift time per image (through SQL, one calling thread)\n\n");
  printf("Wall and process CPU ms per `SELECT img_sift(?)` (file already in memory; "
         "default 1000-feature cap), recorded when each blob was first extracted into the cache.\n\n");
  printf("| images | n | wall ms/image | CPU ms/image | keypoints mean (min–max) |\n|---|---|---|---|---|\n");
  for(i=0; i<5; i++){
    sqlite3_bind_text(st, 1, pat[i][0], -1, SQLITE_STATIC);
    if( sqlite3_step(st)==SQLITE_ROW && sqlite3_column_int(st, 0)>0 ){
      printf("| %s | %d | %.1f | %.1f | %.0f (%d–%d) |\n", pat[i][1], sqlite3_column_int(st, 0),
             sqlite3_column_double(st, 1), sqlite3_column_double(st, 2),
             sqlite3_column_double(st, 3), sqlite3_column_int(st, 4), sqlite3_column_int(st, 5));
    }
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
}


/* ---- part 5: copy detection --------------------------------------------------- */

/* build/bench/copies/list.txt (written by copies.sh): EDIT \t SOURCE \t PATH.
** Index: the NS sources (samples/SOURCE, ids 0..NS) + 500 UKBench + 100 DVD
** references + the flat distractors of flat.txt, one annoy table of 8192-D
** VLAD, codebook k=64 trained on the indexed images.  Every copy is a query;
** the right answer is its source.
**
** Featureless images: indexed images with fewer than CP_LOW_FEATURES
** keypoints also get an img_thumb vector in a second annoy table.  A query
** without a verified match (>= MIN_INLIERS after the re-rank) that has
** fewer than CP_LOW_FEATURES keypoints itself is looked up there, as is and
** mirrored; the nearest thumbnail answers if its similarity (1 - cosine
** distance, a correlation of pixels) is at least CP_THUMB_MIN_SIMILARITY.
** Otherwise the global order stands. */
#define CP_MAXS 64
#define CP_MAXF 32
#define CP_MAXE 32
#define CP_MAXQ 4096
#define CP_DEPTH SHORT
#define CP_FLAT0 (CP_MAXS+600)            /* first flat distractor id */
#define CP_NIDX (CP_FLAT0+CP_MAXF)        /* first copy slot */
#define CP_LOW_FEATURES 100               /* sift_cv.h SIFT_MIN_KEYPOINTS */
#define CP_THUMB_MIN_SIMILARITY 0.9

/* Nearest thumbnail (as is or mirrored) to the image at cache path rel in
** cp_thumb: its id and similarity, or -1. */
static int thumb_nearest(const char *rel, double *similarity){
  static sqlite3_stmt *thumb, *near;
  char path[2048]; long n; unsigned char *d;
  int mirror, best = -1;
  if( !thumb ){
    thumb = prep(g_db, "SELECT img_thumb(?1, 16, ?2)");
    near = prep(g_db, "SELECT rowid, distance FROM cp_thumb WHERE v MATCH ?1 "
                      "AND k = 1 AND search_k = -1");
  }
  resolve_path(rel, path, sizeof path);
  d = read_file(path, &n);
  *similarity = -1;
  for(mirror=0; mirror<2; mirror++){
    sqlite3_bind_blob(thumb, 1, d, (int)n, SQLITE_STATIC);
    sqlite3_bind_int(thumb, 2, mirror);
    if( sqlite3_step(thumb)==SQLITE_ROW && sqlite3_column_type(thumb, 0)==SQLITE_BLOB ){
      sqlite3_bind_value(near, 1, sqlite3_column_value(thumb, 0));
      if( sqlite3_step(near)==SQLITE_ROW && 1-sqlite3_column_double(near, 1)>*similarity ){
        best = sqlite3_column_int(near, 0);
        *similarity = 1-sqlite3_column_double(near, 1);
      }
      sqlite3_reset(near);
    }
    sqlite3_reset(thumb);
  }
  free(d);
  return best;
}

static void part_copies(void){
  static char *names[CP_NIDX+CP_MAXQ];
  static Blob sifts[CP_NIDX+CP_MAXQ];
  static char *edits[CP_MAXE], *srcs[CP_MAXS];
  static int qedit[CP_MAXQ], qsrc[CP_MAXQ], all_ids[CP_MAXQ][SHORT], all_n[CP_MAXQ];
  static int hit[3][CP_MAXQ], in10[CP_MAXQ], thumb_id[CP_MAXQ], right_inl[CP_MAXQ], top_inl[CP_MAXQ], top_id[CP_MAXQ];
  static Pair pairs[CP_MAXQ*CP_DEPTH];
  static double thumb_sim[CP_MAXQ];
  int ne = 0, ns = 0, nq = 0, nf = 0, nidx, i, q, e, np = 0, p;
  char line[4096];
  FILE *f = fopen("build/bench/copies/list.txt", "r");
  sqlite3_stmt *st;
  if( !f ){ fprintf(stderr, "bench_quality: no build/bench/copies/list.txt (run tests/bench/copies.sh)\n"); exit(1); }
  while( fgets(line, sizeof line, f) ){
    char *ed = strtok(line, "\t\n"), *sr = strtok(0, "\t\n"), *pa = strtok(0, "\t\n");
    char b[4200];
    if( !ed || !sr || !pa || nq>=CP_MAXQ ) continue;
    for(e=0; e<ne && strcmp(edits[e], ed); e++){}
    if( e==ne ){ if( ne==CP_MAXE ) continue; edits[ne++] = strdup(ed); }
    for(i=0; i<ns && strcmp(srcs[i], sr); i++){}
    if( i==ns ){ if( ns==CP_MAXS ) continue; srcs[ns++] = strdup(sr); }
    qedit[nq] = e; qsrc[nq] = i;
    snprintf(b, sizeof b, "./%s", pa);
    names[CP_NIDX+nq] = strdup(b);
    nq++;
  }
  fclose(f);
  f = fopen("build/bench/copies/flat.txt", "r");
  while( f && nf<CP_MAXF && fgets(line, sizeof line, f) ){
    char b[4200];
    line[strcspn(line, "\n")] = 0;
    snprintf(b, sizeof b, "./%s", line);
    names[CP_FLAT0+nf++] = strdup(b);
  }
  if( f ) fclose(f);
  /* ids: 0..ns sources, CP_MAXS.. UKBench, CP_MAXS+500.. DVD, CP_FLAT0..
  ** flat distractors, CP_NIDX.. copies */
  for(i=0; i<ns; i++){ snprintf(line, sizeof line, "./samples/%s", srcs[i]); names[i] = strdup(line); }
  for(i=0; i<600; i++){
    if( i<500 ) snprintf(line, sizeof line, "ukbench/ukbench%05d.jpg", i);
    else snprintf(line, sizeof line, "dvd_covers/reference/%03d.jpg", i-500+1);
    names[CP_MAXS+i] = strdup(line);
  }
  for(i=ns; i<CP_MAXS; i++) names[i] = names[0];   /* unused slots */
  for(i=nf; i<CP_MAXF; i++) names[CP_FLAT0+i] = names[0];
  nidx = CP_NIDX;
  ensure_set(names, nidx, "copies index");
  ensure_set(names+nidx, nq, "copies");
#define CP_USED(i) ((i)<ns || ((i)>=CP_MAXS && (i)<CP_FLAT0+nf) || (i)>=CP_NIDX)
  for(i=0; i<nidx+nq; i++) sifts[i] = CP_USED(i) ? get_sift(names[i]) : sifts[0];
  exec("DROP TABLE IF EXISTS cp; CREATE TABLE cp(id INTEGER PRIMARY KEY, sift BLOB)");
  st = prep(g_db, "INSERT INTO cp(id, sift) SELECT ?1, sift FROM c.images WHERE path=?2");
  for(i=0; i<nidx; i++) if( CP_USED(i) ){
    sqlite3_bind_int(st, 1, i); sqlite3_bind_text(st, 2, names[i], -1, SQLITE_STATIC);
    sqlite3_step(st); sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  exec("DROP TABLE IF EXISTS cp_model; DROP TABLE IF EXISTS cp_vlad;"
       "CREATE TABLE cp_model AS SELECT img_codebook_train(sift, 64) AS cb FROM cp;"
       "CREATE VIRTUAL TABLE cp_vlad USING annoy(v float32[8192], metric=angular);"
       "INSERT INTO cp_vlad(rowid, v) SELECT id, img_vlad(sift, (SELECT cb FROM cp_model))"
       "  FROM cp WHERE sift_count(sift) > 0;");
  st = prep(g_db, "SELECT img_vlad(sift, (SELECT cb FROM cp_model)) FROM c.images WHERE path=?");
  for(q=0; q<nq; q++){
    sqlite3_bind_text(st, 1, names[nidx+q], -1, SQLITE_STATIC);
    all_n[q] = 0;
    if( sqlite3_step(st)==SQLITE_ROW && sqlite3_column_type(st, 0)==SQLITE_BLOB ){
      all_n[q] = topk("cp_vlad", sqlite3_column_blob(st, 0), sqlite3_column_bytes(st, 0), all_ids[q]);
    }
    sqlite3_reset(st);
    hit[0][q] = all_n[q]>0 && all_ids[q][0]==qsrc[q];
    in10[q] = 0;
    for(i=0; i<all_n[q] && i<CP_DEPTH; i++){
      if( all_ids[q][i]==qsrc[q] ) in10[q] = 1;
      pairs[np].a = nidx+q; pairs[np].b = all_ids[q][i]; np++;
    }
  }
  sqlite3_finalize(st);
  exec("DROP TABLE IF EXISTS cp_thumb;"
       "CREATE VIRTUAL TABLE cp_thumb USING annoy(v float32[256], metric=angular);");
  {
    sqlite3_stmt *ins = prep(g_db, "INSERT INTO cp_thumb(rowid, v) "
                                   "SELECT ?1, t FROM (SELECT img_thumb(?2) AS t) WHERE t IS NOT NULL");
    char path[2048]; long n; unsigned char *d;
    for(i=0; i<nidx; i++) if( CP_USED(i) && sift_blob_count(&sifts[i])<CP_LOW_FEATURES ){
      resolve_path(names[i], path, sizeof path);
      d = read_file(path, &n);
      sqlite3_bind_int(ins, 1, i);
      sqlite3_bind_blob(ins, 2, d, (int)n, SQLITE_STATIC);
      if( sqlite3_step(ins)!=SQLITE_DONE ) die(g_db, "img_thumb");
      sqlite3_reset(ins);
      free(d);
    }
    sqlite3_finalize(ins);
  }
  run_matches(pairs, np, sifts, names);
  for(p=0, q=0; q<nq; q++){
    int ids[SHORT], inl[SHORT], n = all_n[q] < CP_DEPTH ? all_n[q] : CP_DEPTH;
    memcpy(ids, all_ids[q], sizeof(int)*(size_t)n);
    right_inl[q] = 0;
    for(i=0; i<n; i++){ inl[i] = pairs[p++].inliers; if( ids[i]==qsrc[q] ) right_inl[q] = inl[i]; }
    rerank(ids, inl, n, CP_DEPTH);
    hit[1][q] = n>0 && ids[0]==qsrc[q];
    top_id[q] = n>0 ? ids[0] : -1; top_inl[q] = n>0 ? inl[0] : 0;
    thumb_id[q] = -1; thumb_sim[q] = -1;
    if( top_inl[q]<MIN_INLIERS && sift_blob_count(&sifts[nidx+q])<CP_LOW_FEATURES ){
      thumb_id[q] = thumb_nearest(names[nidx+q], &thumb_sim[q]);
      if( thumb_id[q]>=0 && thumb_sim[q]>=CP_THUMB_MIN_SIMILARITY ){
        top_id[q] = thumb_id[q]; top_inl[q] = 0;
      }
    }
    hit[2][q] = top_id[q]==qsrc[q];
  }

  printf("\n### Copy detection: edited copies of samples/* (%d sources × %d edits = %d queries)\n\n", ns, ne, nq);
  printf("Index: the %d originals + 500 UKBench + 100 DVD reference covers + %d flat distractors "
         "(%d images) in one annoy table of 8192-D VLAD (codebook k=64 trained on the indexed images' "
         "descriptors; exact cosine ranking); each copy (made by tests/bench/copies.sh) is a query, the "
         "right answer its original. Re-rank = top %d by img_match (flip-aware; ≥ %d inliers first, by "
         "inliers). Thumbnail fallback: a query with no verified match and < %d keypoints takes the "
         "nearest img_thumb (as is or mirrored) among the %d indexed images with < %d keypoints, if its "
         "similarity is ≥ %.2f.\n\n",
         ns, nf, ns+600+nf, CP_DEPTH, MIN_INLIERS, CP_LOW_FEATURES,
         query_count("SELECT count(*) FROM cp_thumb"), CP_LOW_FEATURES, CP_THUMB_MIN_SIMILARITY);
  {
    int nofeat = 0, feat[CP_MAXS];
    for(i=0; i<ns; i++){ feat[i] = sift_blob_count(&sifts[i])>0; nofeat += !feat[i]; }
    printf("Last two columns: only the copies of the %d originals that have SIFT keypoints "
           "(%d original%s without keypoints: ", ns-nofeat, nofeat, nofeat==1 ? "" : "s");
    for(i=0, p=0; i<ns; i++) if( !feat[i] ) printf("%s%s", p++ ? ", " : "", srcs[i]);
    printf(").\n\n");
    printf("| edit | queries | recall@1 global | recall@1 re-rank top %d | recall@1 re-rank + thumbnail "
           "| original in global top %d | recall@1 global, originals with keypoints "
           "| recall@1 re-rank, originals with keypoints |\n", CP_DEPTH, CP_DEPTH);
    printf("|---|---|---|---|---|---|---|---|\n");
    for(e=0; e<=ne; e++){
      int c[6] = {0, 0, 0, 0, 0, 0}, m = 0;
      for(q=0; q<nq; q++) if( e==ne || qedit[q]==e ){
        m++; c[0] += hit[0][q]; c[1] += hit[1][q]; c[2] += hit[2][q]; c[3] += in10[q];
        if( feat[qsrc[q]] ){ c[4] += hit[0][q]; c[5] += hit[1][q]; }
      }
      if( m==0 ) continue;
      printf(e<ne ? "| %s | %d | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |\n"
                  : "| **%s** | %d | **%.3f** | **%.3f** | **%.3f** | %.3f | **%.3f** | **%.3f** |\n",
             e<ne ? edits[e] : "all", m, (double)c[0]/m, (double)c[1]/m, (double)c[2]/m,
             (double)c[3]/m, (double)c[4]/(m*(ns-nofeat)/ns), (double)c[5]/(m*(ns-nofeat)/ns));
    }
  }
  printf("\nThumbnail lookups (queries without a verified match and < %d keypoints: copy → nearest "
         "thumbnail, similarity; * = taken):\n\n", CP_LOW_FEATURES);
  for(q=0; q<nq; q++) if( thumb_id[q]>=0 || thumb_sim[q]>-1 ){
    printf("- %s %s → %s %.3f%s\n", edits[qedit[q]], srcs[qsrc[q]],
           thumb_id[q]<ns ? srcs[thumb_id[q]] : names[thumb_id[q]], thumb_sim[q],
           thumb_sim[q]>=CP_THUMB_MIN_SIMILARITY ? " *" : "");
  }
  printf("\nMisses after re-ranking and the thumbnail fallback (copy → what came first; inliers of "
         "the first and of the original (0 when it was not in the top %d); keypoints of the copy / "
         "the original):\n\n", CP_DEPTH);
  for(q=0; q<nq; q++) if( !hit[2][q] ){
    int s = qsrc[q], r;
    char rk[32] = "not in global top 20";
    for(r=0; r<all_n[q] && all_ids[q][r]!=s; r++){}
    if( r<all_n[q] ) snprintf(rk, sizeof rk, "global rank %d", r+1);
    else if( sift_blob_count(&sifts[s])==0 ) snprintf(rk, sizeof rk, "no VLAD vector");
    printf("- %s %s → %s (%d inliers); original: %s, %d inliers; keypoints %d / %d\n",
           edits[qedit[q]], srcs[s],
           top_id[q]<0 ? "nothing (no features)" : top_id[q]<ns ? srcs[top_id[q]] : names[top_id[q]],
           top_inl[q], rk, right_inl[q],
           sift_blob_count(&sifts[nidx+q]), sift_blob_count(&sifts[s]));
  }
  printf("\nGlobal-vector misses that the re-rank fixed:");
  for(p=0, q=0; q<nq; q++) if( !hit[0][q] && hit[1][q] ){
    int r;
    for(r=0; r<all_n[q] && all_ids[q][r]!=qsrc[q]; r++){}
    printf("%s %s %s (global rank %d, %d inliers)", p++ ? ";" : "", edits[qedit[q]], srcs[qsrc[q]], r+1, right_inl[q]);
  }
  printf("%s\n", p ? "." : " none.");
  fflush(stdout);
}

int main(int argc, char **argv){
  const char *cache, *parts;
  char sql[2300];
  if( argc<4 ){
    fprintf(stderr, "usage: %s EXT DATA CACHE [PARTS]\n", argv[0]);
    return 2;
  }
  g_ext = argv[1]; g_data = argv[2]; cache = argv[3];
  parts = argc>4 ? argv[4] : "1234";
  if( getenv("THREADS") ) g_threads = atoi(getenv("THREADS"));
  if( g_threads<1 ) g_threads = 1;
  if( g_threads>8 ) g_threads = 8;
  g_db = open_db(":memory:");
  snprintf(sql, sizeof sql, "ATTACH '%s' AS c", cache);
  exec(sql);
  exec("CREATE TABLE IF NOT EXISTS c.images(path TEXT PRIMARY KEY, sift BLOB, ms REAL, cpu_ms REAL);"
       "CREATE TABLE IF NOT EXISTS c.matches(a TEXT, b TEXT, inliers INT, PRIMARY KEY(a, b));");
  printf("## bench_quality — %s\n", sqlite3_libversion());
  if( strchr(parts, '1') ) part_ukbench();
  if( strchr(parts, '2') ) part_dvd();
  if( strchr(parts, '3') ) part_oxford();
  if( strchr(parts, '4') ) part_speed();
  if( strchr(parts, '5') ) part_copies();
  sqlite3_close(g_db);
  return 0;
}
