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
** was.
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

/* sql once through, then again with an interrupt 40% in. */
static void interrupted(sqlite3 *db, const char *case_id, const char *sql){
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
  check(query_is(db, "ok", "SELECT annoy_check('t')"), "%s.3 ... and the table is sound", case_id);
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
  interrupted(db, "1", "INSERT INTO t(t) VALUES('rebuild')");
  sqlite3_close(db);
  return test_failures ? 1 : 0;
}
