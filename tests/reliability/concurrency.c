/*
** concurrency.c — one writer and four reader processes on one database
** file (docs/RELIABILITY.md, issue 5 item 3).
**
**   concurrency EXTENSION           short run: 2 s in WAL mode, 2 s in
**                                   rollback-journal mode (part of make test)
**   concurrency EXTENSION --full    60 s WAL, then 20 s rollback journal
**
** The parent makes a fresh file per journal mode with an annoy table
** t(v float32[16], trees=4, leaf_size=8) and a plain mirror table
** m(id INTEGER PRIMARY KEY, v BLOB), both holding the same 2000 rows, then
** forks; every child opens its own connection after the fork.
**
** The writer runs transactions of 1-16 random INSERT / UPDATE / DELETE,
** each applied to t and to m in the same transaction; 1 in 25 is rolled
** back on purpose, 1 in 150 also rebuilds t's forest. In rollback-journal
** mode it pauses 5 ms after each transaction (see WRITER_PAUSE_US).
**
** Each reader loops: BEGIN; then, all in that one snapshot,
**   - count(*) of t equals count(*) of m;
**   - three random queries, each with a random k: the exact annoy answer
**     (search_k = -1) equals a brute-force scan of m with vec_distance:
**     the same distances in the same order, and each row a distinct row of
**     m at that distance (rows tied at the k-th distance may differ);
**     a bounded search (search_k = 100: with 2000 rows the default
**     search_k of 2000 would score every row) and the open-ended LIMIT
**     form with the default search_k return only distinct rows of m at
**     their true distance, nearest first;
**   - every 16th snapshot, annoy_check('t') is 'ok';
** COMMIT; and every 16th time also annoy_check('t') in autocommit mode.
** Vector components are small integers, so distances are exact and ties
** are common.
**
** Busy conditions are left to sqlite3_busy_timeout (5 s, set by open_db);
** a SQLITE_BUSY that still escapes is counted and reported; any other
** error fails the run. Figures are printed as "# " lines.
*/
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include "testlib.h"

#define DIM 16
#define START_ROWS 2000
#define N_READERS 4
#define QUERIES_PER_SNAPSHOT 3
#define MAX_K 25
#define BOUNDED_SEARCH_K "100"
#define MAX_MESSAGES 5          /* failure messages printed per process */
/* In rollback-journal mode a writer that commits back to back keeps the
** readers out (they poll for the lock); it pauses this long between
** transactions. */
#define WRITER_PAUSE_US 5000

/* What one process did; children send theirs to the parent on a pipe. */
typedef struct Stats {
  /* writer */
  long committed, rolled_back, rebuilds, inserts, updates, deletes;
  /* readers */
  long snapshots, exact_compared, exact_ties, approx_checked, limit_checked;
  long checks_in_snapshot, checks_autocommit, recall_found, recall_total;
  /* both */
  long busy, errors, mismatches;
} Stats;

static int messages_printed;

/* A failed comparison or an error: counted, and the first few printed. */
static void failure(long *counter, const char *fmt, ...){
  va_list ap;
  (*counter)++;
  if( messages_printed++ >= MAX_MESSAGES ) return;
  printf("# [pid %d] ", (int)getpid());
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
  fflush(stdout);
}

/* A statement's result code: SQLITE_OK on success; a busy code escaping
** the timeout is counted as busy, anything else as an error. */
static int outcome(Stats *st, sqlite3 *db, int rc, const char *what){
  if( rc==SQLITE_OK || rc==SQLITE_DONE || rc==SQLITE_ROW ) return SQLITE_OK;
  if( (rc & 0xff)==SQLITE_BUSY ){
    failure(&st->busy, "busy after the timeout: %s: %s", what, sqlite3_errmsg(db));
  }else{
    failure(&st->errors, "error %d: %s: %s", rc, what, sqlite3_errmsg(db));
  }
  return rc;
}

static double now(void){
  struct timeval tv;
  gettimeofday(&tv, 0);
  return (double)tv.tv_sec + tv.tv_usec/1e6;
}

static void random_vector(float *v){
  int e;
  for(e=0; e<DIM; e++) v[e] = (float)(rnd()%10);
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql){
  sqlite3_stmt *st = 0;
  if( sqlite3_prepare_v2(db, sql, -1, &st, 0) ){
    printf("# cannot prepare %s: %s\n", sql, sqlite3_errmsg(db));
    exit(2);
  }
  return st;
}

/* ---- the writer ------------------------------------------------------------ */

typedef struct Writer {
  sqlite3 *db;
  sqlite3_stmt *next_id;                 /* an existing id at or after ?1 */
  sqlite3_stmt *insert_t, *insert_m, *update_t, *update_m, *delete_t, *delete_m;
  sqlite3_int64 max_id;
} Writer;

/* Step a change to t and the same change to m; both must touch as many
** rows. */
static int change_both(Stats *st, Writer *w, sqlite3_stmt *on_t, sqlite3_stmt *on_m,
                       sqlite3_int64 id, const float *v){
  int rc, changed_t = 0;
  sqlite3_stmt *pair[2] = { on_t, on_m };
  int i;
  for(i=0; i<2; i++){
    sqlite3_bind_int64(pair[i], 1, id);
    if( v ) sqlite3_bind_blob(pair[i], 2, v, DIM*4, SQLITE_STATIC);
    rc = sqlite3_step(pair[i]);
    sqlite3_reset(pair[i]);
    if( (rc = outcome(st, w->db, rc, sqlite3_sql(pair[i]))) ) return rc;
    if( i==0 ) changed_t = sqlite3_changes(w->db);
    else if( changed_t!=sqlite3_changes(w->db) ){
      failure(&st->mismatches, "%s changed %d rows of t but %d of m", sqlite3_sql(on_m),
              changed_t, sqlite3_changes(w->db));
    }
  }
  return SQLITE_OK;
}

/* An id that exists (the first at or after a random one), or 0. */
static sqlite3_int64 existing_id(Writer *w){
  sqlite3_int64 id = 0;
  sqlite3_bind_int64(w->next_id, 1, 1 + (sqlite3_int64)(rnd() % (uint32_t)w->max_id));
  if( sqlite3_step(w->next_id)==SQLITE_ROW ) id = sqlite3_column_int64(w->next_id, 0);
  sqlite3_reset(w->next_id);
  return id;
}

static int write_transaction(Stats *st, Writer *w, sqlite3_int64 *rows){
  int n_ops = 1 + (int)(rnd()%16), i, rc;
  int roll_back = rnd()%25==0, rebuild = rnd()%150==0;
  long inserts = 0, updates = 0, deletes = 0;
  sqlite3_int64 rows_after = *rows;
  if( (rc = outcome(st, w->db, exec(w->db, "BEGIN IMMEDIATE"), "BEGIN IMMEDIATE")) ) return rc;
  for(i=0; i<n_ops && rc==SQLITE_OK; i++){
    uint32_t dice = rnd()%100;
    float v[DIM];
    random_vector(v);
    if( dice < (rows_after<START_ROWS ? 45u : 30u) ){
      rc = change_both(st, w, w->insert_t, w->insert_m, ++w->max_id, v);
      inserts++; rows_after++;
    }else{
      sqlite3_int64 id = existing_id(w);
      if( id==0 ) continue;
      if( dice < 70 ){
        rc = change_both(st, w, w->update_t, w->update_m, id, v);
        updates++;
      }else{
        rc = change_both(st, w, w->delete_t, w->delete_m, id, 0);
        deletes++; rows_after--;
      }
    }
  }
  if( rc==SQLITE_OK && rebuild ){
    rc = outcome(st, w->db, exec(w->db, "INSERT INTO t(t) VALUES('rebuild')"), "rebuild");
  }
  if( rc || roll_back ){
    exec(w->db, "ROLLBACK");
    if( rc==SQLITE_OK ) st->rolled_back++;
    return rc;
  }
  if( (rc = outcome(st, w->db, exec(w->db, "COMMIT"), "COMMIT")) ){
    exec(w->db, "ROLLBACK");
    return rc;
  }
  st->committed++;
  st->inserts += inserts; st->updates += updates; st->deletes += deletes;
  st->rebuilds += rebuild;
  *rows = rows_after;
  return SQLITE_OK;
}

static void run_writer(sqlite3 *db, double until, Stats *st, int pause_us){
  Writer w;
  sqlite3_int64 rows = START_ROWS;
  memset(&w, 0, sizeof(w));
  w.db = db;
  w.max_id = START_ROWS;
  w.next_id = prepare(db, "SELECT coalesce((SELECT id FROM m WHERE id>=?1 ORDER BY id LIMIT 1),"
                          " (SELECT min(id) FROM m))");
  w.insert_t = prepare(db, "INSERT INTO t(rowid, v) VALUES(?1, ?2)");
  w.insert_m = prepare(db, "INSERT INTO m(id, v) VALUES(?1, ?2)");
  w.update_t = prepare(db, "UPDATE t SET v=?2 WHERE rowid=?1");
  w.update_m = prepare(db, "UPDATE m SET v=?2 WHERE id=?1");
  w.delete_t = prepare(db, "DELETE FROM t WHERE rowid=?1");
  w.delete_m = prepare(db, "DELETE FROM m WHERE id=?1");
  while( now()<until && st->errors==0 && st->mismatches==0 ){
    write_transaction(st, &w, &rows);
    if( pause_us ) usleep(pause_us);
  }
  sqlite3_finalize(w.next_id);
  sqlite3_finalize(w.insert_t); sqlite3_finalize(w.insert_m);
  sqlite3_finalize(w.update_t); sqlite3_finalize(w.update_m);
  sqlite3_finalize(w.delete_t); sqlite3_finalize(w.delete_m);
}

/* ---- the readers ------------------------------------------------------------ */

typedef struct Reader {
  sqlite3 *db;
  sqlite3_stmt *count_t, *count_m, *exact, *approx, *open_ended, *brute, *mirror_distance,
               *some_vector, *check;
} Reader;

typedef struct Answer { int n; sqlite3_int64 rowid[MAX_K*2]; double distance[MAX_K*2]; } Answer;

/* Run a query bound to (query vector, n) into ans. */
static int fetch(Stats *st, Reader *r, sqlite3_stmt *q, const float *query, int n, Answer *ans){
  int rc;
  ans->n = 0;
  sqlite3_bind_blob(q, 1, query, DIM*4, SQLITE_STATIC);
  sqlite3_bind_int(q, 2, n);
  while( (rc = sqlite3_step(q))==SQLITE_ROW && ans->n < MAX_K*2 ){
    ans->rowid[ans->n] = sqlite3_column_int64(q, 0);
    ans->distance[ans->n] = sqlite3_column_double(q, 1);
    ans->n++;
  }
  sqlite3_reset(q);
  return outcome(st, r->db, rc, sqlite3_sql(q));
}

static int single_int(Stats *st, Reader *r, sqlite3_stmt *q, sqlite3_int64 *out){
  int rc = sqlite3_step(q);
  *out = sqlite3_column_int64(q, 0);
  sqlite3_reset(q);
  return outcome(st, r->db, rc, sqlite3_sql(q));
}

/* Every row of ans is a distinct row of m at exactly its distance to the
** query, and they come nearest first. */
static int rows_are_true(Stats *st, Reader *r, const float *query, const Answer *ans,
                         const char *which){
  int i, j, rc;
  for(i=0; i<ans->n; i++){
    double truth = -1;
    for(j=0; j<i; j++){
      if( ans->rowid[j]==ans->rowid[i] ){
        failure(&st->mismatches, "%s: rowid %lld twice", which, ans->rowid[i]);
        return SQLITE_OK;
      }
    }
    if( i>0 && ans->distance[i] < ans->distance[i-1] ){
      failure(&st->mismatches, "%s: distances out of order at row %d", which, i);
      return SQLITE_OK;
    }
    sqlite3_bind_blob(r->mirror_distance, 1, query, DIM*4, SQLITE_STATIC);
    sqlite3_bind_int64(r->mirror_distance, 2, ans->rowid[i]);
    rc = sqlite3_step(r->mirror_distance);
    if( rc==SQLITE_ROW ) truth = sqlite3_column_double(r->mirror_distance, 0);
    sqlite3_reset(r->mirror_distance);
    if( (rc = outcome(st, r->db, rc, "the mirror's distance")) ) return rc;
    if( truth!=ans->distance[i] ){
      failure(&st->mismatches, "%s: rowid %lld at distance %.17g, but in m it is at %.17g "
              "(-1: not there)", which, ans->rowid[i], ans->distance[i], truth);
      return SQLITE_OK;
    }
  }
  return SQLITE_OK;
}

static int compare_query(Stats *st, Reader *r){
  static const int ks[] = { 1, 3, 10, MAX_K };
  int k = ks[rnd()%4], i, rc;
  float query[DIM];
  Answer exact, brute, approx;
  random_vector(query);
  if( rnd()%4==0 ){                     /* sometimes a stored vector: distance 0 */
    sqlite3_bind_int64(r->some_vector, 1, rnd()%(START_ROWS*2));
    if( sqlite3_step(r->some_vector)==SQLITE_ROW && sqlite3_column_bytes(r->some_vector, 0)==DIM*4 ){
      memcpy(query, sqlite3_column_blob(r->some_vector, 0), DIM*4);
    }
    sqlite3_reset(r->some_vector);
  }
  if( (rc = fetch(st, r, r->exact, query, k, &exact))
   || (rc = fetch(st, r, r->brute, query, k, &brute)) ){
    return rc;
  }
  st->exact_compared++;
  if( exact.n!=brute.n ){
    failure(&st->mismatches, "exact k=%d: %d rows, brute force %d", k, exact.n, brute.n);
    return SQLITE_OK;
  }
  for(i=0; i<exact.n; i++){
    if( exact.distance[i]!=brute.distance[i] ){
      failure(&st->mismatches, "exact k=%d: row %d at %.17g, brute force %.17g (rowid %lld)",
              k, i, exact.distance[i], brute.distance[i], brute.rowid[i]);
      return SQLITE_OK;
    }
  }
  for(i=0; i<exact.n; i++){
    if( exact.rowid[i]!=brute.rowid[i] ){ st->exact_ties++; break; }
  }
  if( (rc = rows_are_true(st, r, query, &exact, "exact")) ) return rc;

  if( (rc = fetch(st, r, r->approx, query, k, &approx)) ) return rc;
  st->approx_checked++;
  if( approx.n>k ) failure(&st->mismatches, "search_k=" BOUNDED_SEARCH_K " k=%d: %d rows", k, approx.n);
  if( (rc = rows_are_true(st, r, query, &approx, "search_k=" BOUNDED_SEARCH_K)) ) return rc;
  for(i=0; i<approx.n; i++){
    st->recall_found += exact.n>0 && approx.distance[i] <= exact.distance[exact.n-1];
  }
  st->recall_total += exact.n;

  /* The open-ended form searches again, wider, once its first batch runs
  ** out (16 rows): ask for more than that. */
  if( (rc = fetch(st, r, r->open_ended, query, MAX_K*2, &approx)) ) return rc;
  st->limit_checked++;
  return rows_are_true(st, r, query, &approx, "LIMIT form");
}

static int check_is_ok(Stats *st, Reader *r, long *counter){
  int rc = sqlite3_step(r->check);
  if( rc==SQLITE_ROW ){
    const char *report = (const char*)sqlite3_column_text(r->check, 0);
    if( report==0 || strcmp(report, "ok")!=0 ){
      failure(&st->mismatches, "annoy_check: %s", report ? report : "NULL");
    }
    (*counter)++;
  }
  sqlite3_reset(r->check);
  return outcome(st, r->db, rc, "annoy_check");
}

static int read_snapshot(Stats *st, Reader *r){
  sqlite3_int64 in_t, in_m;
  int rc, q;
  if( (rc = outcome(st, r->db, exec(r->db, "BEGIN"), "BEGIN")) ) return rc;
  rc = single_int(st, r, r->count_t, &in_t);
  if( rc==SQLITE_OK ) rc = single_int(st, r, r->count_m, &in_m);
  if( rc==SQLITE_OK && in_t!=in_m ){
    failure(&st->mismatches, "count(*): t has %lld rows, m %lld", in_t, in_m);
  }
  for(q=0; rc==SQLITE_OK && q<QUERIES_PER_SNAPSHOT; q++) rc = compare_query(st, r);
  if( rc==SQLITE_OK && st->snapshots%16==0 ) rc = check_is_ok(st, r, &st->checks_in_snapshot);
  if( rc ){
    exec(r->db, "ROLLBACK");
    return rc;
  }
  if( (rc = outcome(st, r->db, exec(r->db, "COMMIT"), "COMMIT")) ) return rc;
  st->snapshots++;
  if( st->snapshots%16==8 ) rc = check_is_ok(st, r, &st->checks_autocommit);
  return rc;
}

static void run_reader(sqlite3 *db, double until, Stats *st){
  Reader r;
  r.db = db;
  r.count_t = prepare(db, "SELECT count(*) FROM t");
  r.count_m = prepare(db, "SELECT count(*) FROM m");
  r.exact = prepare(db, "SELECT rowid, distance FROM t WHERE v MATCH ?1 AND k=?2 AND search_k=-1");
  r.approx = prepare(db, "SELECT rowid, distance FROM t WHERE v MATCH ?1 AND k=?2 AND search_k=" BOUNDED_SEARCH_K);
  r.open_ended = prepare(db, "SELECT rowid, distance FROM t WHERE v MATCH ?1 LIMIT ?2");
  r.brute = prepare(db, "SELECT id, vec_distance(v, ?1) AS d FROM m ORDER BY d, id LIMIT ?2");
  r.mirror_distance = prepare(db, "SELECT vec_distance(v, ?1) FROM m WHERE id=?2");
  r.some_vector = prepare(db, "SELECT v FROM m WHERE id>=?1 ORDER BY id LIMIT 1");
  r.check = prepare(db, "SELECT annoy_check('t')");
  while( now()<until && st->errors==0 && st->mismatches==0 ) read_snapshot(st, &r);
  sqlite3_finalize(r.count_t); sqlite3_finalize(r.count_m);
  sqlite3_finalize(r.exact); sqlite3_finalize(r.approx); sqlite3_finalize(r.open_ended);
  sqlite3_finalize(r.brute); sqlite3_finalize(r.mirror_distance);
  sqlite3_finalize(r.some_vector); sqlite3_finalize(r.check);
}

/* ---- the parent --------------------------------------------------------------- */

static void make_database(const char *path, const char *journal){
  sqlite3 *db;
  sqlite3_stmt *ins_t, *ins_m;
  int i;
  db = open_db(path);
  exec(db, "PRAGMA journal_mode=%s", journal);
  exec(db, "CREATE VIRTUAL TABLE t USING annoy(v float32[%d], trees=4, leaf_size=8)", DIM);
  exec(db, "CREATE TABLE m(id INTEGER PRIMARY KEY, v BLOB NOT NULL)");
  exec(db, "BEGIN");
  ins_t = prepare(db, "INSERT INTO t(rowid, v) VALUES(?1, ?2)");
  ins_m = prepare(db, "INSERT INTO m(id, v) VALUES(?1, ?2)");
  for(i=1; i<=START_ROWS; i++){
    float v[DIM];
    random_vector(v);
    sqlite3_bind_int(ins_t, 1, i); sqlite3_bind_blob(ins_t, 2, v, DIM*4, SQLITE_STATIC);
    sqlite3_bind_int(ins_m, 1, i); sqlite3_bind_blob(ins_m, 2, v, DIM*4, SQLITE_STATIC);
    if( sqlite3_step(ins_t)!=SQLITE_DONE || sqlite3_step(ins_m)!=SQLITE_DONE ){
      printf("# setup insert failed: %s\n", sqlite3_errmsg(db));
      exit(2);
    }
    sqlite3_reset(ins_t); sqlite3_reset(ins_m);
  }
  sqlite3_finalize(ins_t);
  sqlite3_finalize(ins_m);
  exec(db, "COMMIT");
  sqlite3_close(db);
}

/* Child `role` (0 = writer, 1.. = readers): open a connection, work until
** `until`, write its Stats to fd, exit.  exit(), not _exit(): under ASan
** LeakSanitizer checks the child at exit and fails it (exit code 23) on a
** leak; stdout was flushed before the fork, and nothing is registered with
** atexit. */
static void child(int role, const char *path, int wal, double until, int fd){
  Stats st;
  sqlite3 *db;
  memset(&st, 0, sizeof(st));
  test_rng = 0x9E3779B97F4A7C15ull * (uint64_t)(role+1) + (uint64_t)getpid();
  db = open_db(path);
  if( role==0 ) run_writer(db, until, &st, wal ? 0 : WRITER_PAUSE_US); else run_reader(db, until, &st);
  if( sqlite3_close(db) ) failure(&st.errors, "close: %s", sqlite3_errmsg(db));
  if( write(fd, &st, sizeof(st))!=(ssize_t)sizeof(st) ) exit(3);
  exit(0);
}

static void add_stats(Stats *sum, const Stats *one){
  long *a = (long*)sum;
  const long *b = (const long*)one;
  size_t i;
  for(i=0; i<sizeof(Stats)/sizeof(long); i++) a[i] += b[i];
}

static void run_mode(const char *journal, double seconds){
  char path[512];
  Stats writer, readers, one;
  int fd[N_READERS+1], role, crashed = 0;
  pid_t pid[N_READERS+1];
  double until, started;
  sqlite3 *db;
  int intact;
  sqlite3_int64 rows_t = 0, rows_m = 0, differ = -1;

  test_file(path, journal[0]=='w' ? "concurrency-wal.db" : "concurrency-journal.db");
  make_database(path, journal);
  memset(&writer, 0, sizeof(writer));
  memset(&readers, 0, sizeof(readers));
  fflush(stdout);
  started = now();
  until = started + seconds;
  for(role=0; role<=N_READERS; role++){
    int p[2];
    if( pipe(p) ){ perror("pipe"); exit(2); }
    pid[role] = fork();
    if( pid[role]<0 ){ perror("fork"); exit(2); }
    if( pid[role]==0 ){ close(p[0]); child(role, path, strcmp(journal, "wal")==0, until, p[1]); }
    close(p[1]);
    fd[role] = p[0];
  }
  for(role=0; role<=N_READERS; role++){
    int status = 0;
    ssize_t got = read(fd[role], &one, sizeof(one));
    close(fd[role]);
    waitpid(pid[role], &status, 0);
    if( got!=(ssize_t)sizeof(one) || !WIFEXITED(status) || WEXITSTATUS(status)!=0 ){
      printf("# %s: process %d (%s) ended with status %d%s\n", journal, (int)pid[role],
             role ? "reader" : "writer", status,
             WIFSIGNALED(status) ? " (killed by a signal)" : "");
      crashed++;
      continue;
    }
    add_stats(role ? &readers : &writer, &one);
  }

  db = open_db(path);
  intact = query_is(db, "ok", "SELECT annoy_check('t')") && query_is(db, "ok", "PRAGMA integrity_check");
  {
    char *a = query_text(db, "SELECT count(*) FROM t"), *b = query_text(db, "SELECT count(*) FROM m");
    char *c = query_text(db, "SELECT (SELECT count(*) FROM m) - (SELECT count(*) FROM m JOIN t ON t.rowid=m.id AND t.v=m.v)");
    rows_t = a ? atoll(a) : -1; rows_m = b ? atoll(b) : -2; differ = c ? atoll(c) : -1;
    sqlite3_free(a); sqlite3_free(b); sqlite3_free(c);
  }
  sqlite3_close(db);

  printf("# %s: %.1f s, writer: %ld transactions committed, %ld rolled back on purpose, "
         "%ld rebuilds; %ld inserts, %ld updates, %ld deletes; %lld rows at the end\n",
         journal, now()-started, writer.committed, writer.rolled_back, writer.rebuilds,
         writer.inserts, writer.updates, writer.deletes, rows_t);
  printf("# %s: %d readers: %ld snapshots; %ld exact answers compared with brute force "
         "(%ld with tied rows in another order or choice); %ld search_k=" BOUNDED_SEARCH_K " and %ld "
         "LIMIT-form answers checked; annoy_check %ld times in a snapshot, %ld in autocommit\n",
         journal, N_READERS, readers.snapshots, readers.exact_compared, readers.exact_ties,
         readers.approx_checked, readers.limit_checked, readers.checks_in_snapshot,
         readers.checks_autocommit);
  printf("# %s: search_k=" BOUNDED_SEARCH_K " recall %.4f (%ld of %ld); busy after the timeout: writer %ld, "
         "readers %ld; other errors: writer %ld, readers %ld; mismatches %ld\n",
         journal, readers.recall_total ? (double)readers.recall_found/readers.recall_total : 0.0,
         readers.recall_found, readers.recall_total, writer.busy, readers.busy,
         writer.errors, readers.errors, writer.mismatches + readers.mismatches);

  check(crashed==0 && writer.committed>0 && readers.snapshots>0,
        "concurrency (%s) 1 writer and %d readers ran %.0f s and exited normally "
        "(%ld transactions, %ld snapshots)", journal, N_READERS, seconds,
        writer.committed, readers.snapshots);
  check(writer.errors==0 && readers.errors==0,
        "concurrency (%s) no error other than busy", journal);
  check(readers.mismatches==0 && writer.mismatches==0 && readers.exact_compared>0,
        "concurrency (%s) in every snapshot: exact answers equal brute force (%ld), bounded "
        "and LIMIT answers are true rows (%ld), counts agree, annoy_check ok (%ld)", journal,
        readers.exact_compared, readers.approx_checked + readers.limit_checked,
        readers.checks_in_snapshot + readers.checks_autocommit);
  if( strcmp(journal, "wal")==0 ){
    check(writer.busy==0 && readers.busy==0,
          "concurrency (wal) no SQLITE_BUSY escaped the busy timeout (writer %ld, readers %ld)",
          writer.busy, readers.busy);
  }
  check(intact && rows_t==rows_m && differ==0,
        "concurrency (%s) afterwards: annoy_check ok, integrity_check ok, t and m hold the same "
        "%lld rows with the same vectors", journal, rows_t);
}

int main(int argc, char **argv){
  int full = argc>2 && strcmp(argv[2], "--full")==0;
  if( argc>1 ) test_extension = argv[1];
  signal(SIGPIPE, SIG_IGN);
  run_mode("wal", full ? 60 : 2);
  run_mode("delete", full ? 20 : 2);
  {
    char path[512];
    remove(test_file(path, "concurrency-wal.db"));
    remove(test_file(path, "concurrency-journal.db"));
    rmdir(test_dir());
  }
  return test_failures ? 1 : 0;
}
