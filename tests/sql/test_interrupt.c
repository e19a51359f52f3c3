/*
** test_interrupt.c — long work inside the extension stops soon after
** sqlite3_interrupt() (issue 19 A).
**
** SQLite checks for an interrupt only between the instructions of its
** virtual machine (and when a statement starts, so the extension's own
** reads of the shadow tables notice it); 'rebuild' on a big table is one
** instruction that, once it has read the vectors, works in memory.  A
** second thread interrupts the connection 40% into such a statement (past
** the reading), which must then fail with SQLITE_INTERRUPT, well before
** the time the same work takes to run through, and leave the table as it
** was.  So must the training aggregates, whose final step (k-means, PCA)
** is one such instruction; after the interrupt the connection trains the
** same model again.
**
**   test_interrupt EXTENSION
*/
#include <pthread.h>
#include <time.h>
#include "testlib.h"

static double now(void){
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec/1e9;
}

typedef struct Interrupter { sqlite3 *db; double after; pthread_t thread; } Interrupter;

static void *interrupt_soon(void *arg){
  Interrupter *x = arg;
  struct timespec pause;
  pause.tv_sec = (time_t)x->after;
  pause.tv_nsec = (long)((x->after - (double)pause.tv_sec)*1e9);
  nanosleep(&pause, 0);
  sqlite3_interrupt(x->db);
  return 0;
}

/* Run sql to completion: its result code and how long it took. */
static int run_timed(sqlite3 *db, const char *sql, double *seconds){
  double start = now();
  int rc = exec(db, "%s", sql);
  *seconds = now() - start;
  return rc;
}

/* sql once through, then again with an interrupt 40% in; then the check
** (a query) must give want. */
static void interrupted(sqlite3 *db, const char *case_id, const char *sql,
                        const char *check_sql, const char *want){
  Interrupter x;
  double full, cut;
  int rc;
  rc = run_timed(db, sql, &full);
  check(rc==SQLITE_OK, "%s.1 %s runs through (%.2f s)", case_id, sql, full);
  x.db = db;
  x.after = full*0.4;
  pthread_create(&x.thread, 0, interrupt_soon, &x);
  rc = run_timed(db, sql, &cut);
  pthread_join(x.thread, 0);
  check(rc==SQLITE_INTERRUPT && cut < full*0.7,
        "%s.2 ... interrupted after %.2f s, it stops: rc %d after %.2f s", case_id, x.after, rc, cut);
  check(query_is(db, want, check_sql), "%s.3 ... and then %s gives %s", case_id, check_sql, want);
}

/* Table s(s): the sift blobs of some of samples/ (run from the source tree). */
static void sift_samples(sqlite3 *db){
  static const char *names[] = { "astronaut.png", "coffee.png", "chelsea.png",
    "building.jpg", "rocket.jpg", "butterfly.jpg", "home.jpg", "brick.png" };
  sqlite3_stmt *st;
  size_t i, n;
  exec(db, "CREATE TABLE s(s BLOB)");
  sqlite3_prepare_v2(db, "INSERT INTO s VALUES (img_sift(?1))", -1, &st, 0);
  for(i=0; i<sizeof(names)/sizeof(names[0]); i++){
    char path[256];
    unsigned char *data;
    snprintf(path, sizeof(path), "samples/%s", names[i]);
    data = read_file(path, &n);
    sqlite3_bind_blob(st, 1, data, (int)n, free);
    if( data==0 || sqlite3_step(st)!=SQLITE_DONE ) check(0, "img_sift(%s): %s", path, sqlite3_errmsg(db));
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
}

/* Table p(v): rows float32 vectors of dims random components. */
static void random_vectors(sqlite3 *db, int rows, int dims){
  sqlite3_stmt *st;
  float *v = malloc(sizeof(float)*(size_t)dims);
  int i, j;
  exec(db, "CREATE TABLE p(v BLOB)");
  sqlite3_prepare_v2(db, "INSERT INTO p VALUES (?1)", -1, &st, 0);
  for(i=0; i<rows; i++){
    for(j=0; j<dims; j++) v[j] = (float)(rnd() % 2001) / 1000.0f - 1.0f;
    sqlite3_bind_blob(st, 1, v, (int)(sizeof(float)*(size_t)dims), SQLITE_TRANSIENT);
    sqlite3_step(st);
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  free(v);
}

int main(int argc, char **argv){
  sqlite3 *db;
  if( argc>1 ) test_extension = argv[1];
  db = open_db(":memory:");
  /* 20,000 rows in 40 trees: a rebuild takes some 0.5 s. */
  exec(db, "CREATE VIRTUAL TABLE t USING annoy(v float32[16], trees=40, leaf_size=8)");
  exec(db, "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM r WHERE i<20000) "
           "INSERT INTO t(rowid, v) SELECT i, json_array(i%%7, i%%11, i%%13, i%%17, i%%19, i%%23, "
           "i%%29, i%%31, i%%37, i%%41, i%%43, i%%47, i%%53, i%%59, i%%61, i%%67) FROM r");
  interrupted(db, "1", "INSERT INTO t(t) VALUES('rebuild')", "SELECT annoy_check('t')", "ok");

  /* The training aggregates: each model, trained in full, is kept; after
  ** the interrupted run the same training gives the same bytes. */
  sift_samples(db);
  random_vectors(db, 500, 2048);
  exec(db, "CREATE TABLE m(kind TEXT, model BLOB)");
  exec(db, "CREATE TABLE four AS SELECT value FROM json_each('[1, 2, 3, 4]')");  /* more rows to cluster */
  interrupted(db, "2", "INSERT INTO m SELECT 'codebook', img_codebook_train(s, 256) FROM s",
              "SELECT count(DISTINCT model) = 1 AND count(*) = 1 FROM m WHERE kind='codebook' "
              "AND model = (SELECT img_codebook_train(s, 256) FROM s)", "1");
  interrupted(db, "3", "INSERT INTO m SELECT 'vocabulary', img_vocab_train(s, 3) FROM s, four",
              "SELECT count(*) = 1 FROM m WHERE kind='vocabulary' "
              "AND model = (SELECT img_vocab_train(s, 3) FROM s, four)", "1");
  interrupted(db, "4", "INSERT INTO m SELECT 'pca', img_pca_train(v, 64) FROM p",
              "SELECT count(*) = 1 FROM m WHERE kind='pca' "
              "AND model = (SELECT img_pca_train(v, 64) FROM p)", "1");
  sqlite3_close(db);
  return test_failures ? 1 : 0;
}
