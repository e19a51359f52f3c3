/*
** test_persistence.c — the index lives in the file, is shared, and is
** reproducible; recall floors on medium sets.
**
** 1.x  a new process opening the file gives the same answers
** 2.x  a second connection sees the first one's commits (and not its
**      uncommitted or rolled-back changes), in rollback-journal and WAL mode
** 3.x  same rows, same order, same seed: byte-identical shadow tables
** 4.x  default search recall@10 >= 0.9 against exact, for every type/metric
** 5.x  another connection changes the schema or the file while this one is
**      in the middle of annoy_check or of a query: no crash, one snapshot
**
**   test_persistence EXTENSION            (runs everything)
**   test_persistence EXTENSION --answers DB   (child: prints answers)
*/
#include <math.h>
#include <unistd.h>
#include <sys/wait.h>
#include "testlib.h"

/* The top-5 rowids of 20 fixed queries, one line each. */
static char *answers(sqlite3 *db, int dim){
  char *out = sqlite3_mprintf("");
  int q, e;
  uint64_t saved = test_rng;
  test_rng = 4242;
  for(q=0; q<20; q++){
    char *json = sqlite3_mprintf("["), *line;
    for(e=0; e<dim; e++) json = sqlite3_mprintf("%z%s%d", json, e ? "," : "", (int)(rnd()%100));
    json = sqlite3_mprintf("%z]", json);
    line = query_text(db, "SELECT group_concat(rowid) FROM (SELECT rowid FROM t WHERE v MATCH '%s' AND k=5)", json);
    out = sqlite3_mprintf("%z%s\n", out, line);
    sqlite3_free(line);
    sqlite3_free(json);
  }
  test_rng = saved;
  return out;
}

static void fill(sqlite3 *db, int n, int dim, int first_rowid){
  sqlite3_stmt *st;
  int i, e;
  exec(db, "BEGIN");
  sqlite3_prepare_v2(db, "INSERT INTO t(rowid, v) VALUES(?1, ?2)", -1, &st, 0);
  for(i=0; i<n; i++){
    float v[64];
    for(e=0; e<dim; e++) v[e] = (float)(rnd()%100);
    sqlite3_bind_int(st, 1, first_rowid+i);
    sqlite3_bind_blob(st, 2, v, dim*4, SQLITE_TRANSIENT);
    sqlite3_step(st);
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  exec(db, "COMMIT");
}

/* All shadow-table content, in key order, as one string. */
static char *dump(sqlite3 *db){
  static const char *const sql[] = {
    "SELECT group_concat(key||'='||value, ';') FROM (SELECT * FROM t_info ORDER BY key)",
    "SELECT group_concat(rowid||':'||slot, ';') FROM (SELECT * FROM t_rowids ORDER BY rowid)",
    "SELECT group_concat(slot||':'||item||':'||hex(v), ';') FROM (SELECT * FROM t_vectors ORDER BY slot)",
    "SELECT group_concat(slot, ';') FROM (SELECT * FROM t_free ORDER BY slot)",
    "SELECT group_concat(id||':'||hex(data), ';') FROM (SELECT * FROM t_nodes ORDER BY id)",
  };
  char *out = sqlite3_mprintf("");
  unsigned i;
  for(i=0; i<sizeof(sql)/sizeof(sql[0]); i++){
    char *part = query_text(db, "%s", sql[i]);
    out = sqlite3_mprintf("%z|%s", out, part ? part : "");
    sqlite3_free(part);
  }
  return out;
}

static void determinism(void){
  char *a = 0, *b = 0, path[512];
  int round;
  for(round=0; round<2; round++){
    sqlite3 *db;
    int i;
    remove(test_file(path, "det.db"));
    db = open_db(path);
    test_rng = 99;
    exec(db, "CREATE VIRTUAL TABLE t USING annoy(v float32[8], trees=4, leaf_size=8, seed=5)");
    fill(db, 600, 8, 1);
    for(i=1; i<600; i+=7) exec(db, "DELETE FROM t WHERE rowid=%d", i);
    fill(db, 50, 8, 1000);
    exec(db, "UPDATE t SET v='[1,2,3,4,5,6,7,8]' WHERE rowid=3");
    if( round==0 ) a = dump(db); else b = dump(db);
    sqlite3_close(db);
  }
  check(a && b && strcmp(a, b)==0 && strlen(a)>10000,
        "persistence 3.1 same operations and seed give byte-identical shadow tables (%d bytes dumped)",
        a ? (int)strlen(a) : 0);
  sqlite3_free(a);
  sqlite3_free(b);
  remove(path);
}

/* Delete a database file with its WAL and shared-memory files. */
static void remove_db(const char *path){
  char extra[520];
  remove(path);
  snprintf(extra, sizeof(extra), "%s-wal", path); remove(extra);
  snprintf(extra, sizeof(extra), "%s-shm", path); remove(extra);
}

static void two_connections(const char *journal){
  sqlite3 *a, *b;
  char path[512];
  int ok;
  remove(test_file(path, "two.db"));
  a = open_db(path);
  b = open_db(path);
  exec(a, "PRAGMA journal_mode=%s", journal);
  exec(a, "CREATE VIRTUAL TABLE t USING annoy(v float32[2], trees=2, leaf_size=4)");
  exec(a, "INSERT INTO t(rowid, v) VALUES (1,'[10,10]'),(2,'[20,20]'),(3,'[30,30]')");
  ok = query_is(b, "1", "SELECT rowid FROM t WHERE v MATCH '[0,0]' AND k=1");
  exec(a, "INSERT INTO t(rowid, v) VALUES (4,'[1,1]')");
  ok &= query_is(b, "4", "SELECT rowid FROM t WHERE v MATCH '[0,0]' AND k=1");
  check(ok, "persistence 2.1 (%s) a second connection sees a committed insert", journal);
  exec(a, "BEGIN");
  exec(a, "DELETE FROM t WHERE rowid=4");
  ok = query_is(b, "4", "SELECT rowid FROM t WHERE v MATCH '[0,0]' AND k=1");
  exec(a, "ROLLBACK");
  ok &= query_is(b, "4", "SELECT rowid FROM t WHERE v MATCH '[0,0]' AND k=1");
  ok &= query_is(a, "4", "SELECT rowid FROM t WHERE v MATCH '[0,0]' AND k=1");
  check(ok, "persistence 2.2 (%s) uncommitted and rolled-back deletes stay invisible", journal);
  exec(a, "DELETE FROM t WHERE rowid=4");
  exec(b, "UPDATE t SET v='[0,0]' WHERE rowid=3");
  ok = query_is(a, "3", "SELECT rowid FROM t WHERE v MATCH '[0,0]' AND k=1");
  ok &= query_is(b, "3", "SELECT rowid FROM t WHERE v MATCH '[0,0]' AND k=1");
  ok &= query_is(a, "ok", "SELECT annoy_check('t')");
  check(ok, "persistence 2.3 (%s) both connections write in turn and agree", journal);
  sqlite3_close(a);
  sqlite3_close(b);
  remove_db(path);
}

/* n vectors around 20 random centres; vector i goes to the callback. */
typedef struct Clusters { int centre[20][64], dim; } Clusters;
static void cluster_vector(const Clusters *c, uint8_t *bytes, uint8_t *bits, float *f){
  int ci = (int)(rnd()%20), e;
  memset(bits, 0, 8);
  for(e=0; e<c->dim; e++){
    int x = c->centre[ci][e] + (int)(rnd()%61) - 30;
    bytes[e] = (uint8_t)(x<0 ? 0 : x>255 ? 255 : x);
    f[e] = (float)bytes[e];
    if( bytes[e]>=128 ) bits[e/8] |= (uint8_t)(1u<<(e%8));
  }
}

/* Recall of the default search against exact: 50 queries drawn like the
** data, k=10. */
static double recall(sqlite3 *db, const Clusters *c, const char *type){
  int q, e, found = 0, total = 0;
  for(q=0; q<50; q++){
    char *json = sqlite3_mprintf("["), *exact, *approx, *p;
    uint8_t bytes[64], bits[8];
    float f[64];
    cluster_vector(c, bytes, bits, f);
    for(e=0; e<c->dim; e++){
      int x = strcmp(type, "bit")==0 ? (bits[e/8]>>(e%8))&1 : bytes[e];
      json = sqlite3_mprintf("%z%s%d", json, e ? "," : "", x);
    }
    json = sqlite3_mprintf("%z]", json);
    exact = query_text(db, "SELECT ','||group_concat(rowid)||',' FROM (SELECT rowid FROM t WHERE v MATCH '%s' AND k=10 AND search_k=-1)", json);
    approx = query_text(db, "SELECT group_concat(rowid) FROM (SELECT rowid FROM t WHERE v MATCH '%s' AND k=10)", json);
    for(p=approx; p && *p; ){
      char key[32];
      int n = 0;
      while( p[n] && p[n]!=',' ) n++;
      snprintf(key, sizeof(key), ",%.*s,", n, p);
      found += strstr(exact, key)!=0;
      p += n + (p[n]==',');
    }
    total += 10;
    sqlite3_free(json); sqlite3_free(exact); sqlite3_free(approx);
  }
  return (double)found/total;
}

static void recall_floors(void){
  static const struct { const char *type, *metric; int dim; } cases[] = {
    { "float32", "euclidean", 32 }, { "float32", "angular", 32 }, { "float32", "manhattan", 32 },
    { "float32", "dot", 32 }, { "uint8", "euclidean", 32 }, { "uint8", "angular", 32 },
    { "bit", "hamming", 64 },
  };
  unsigned c;
  for(c=0; c<sizeof(cases)/sizeof(cases[0]); c++){
    sqlite3 *db = open_db(":memory:");
    sqlite3_stmt *st;
    int i, e, n = 20000;
    Clusters clusters;
    double r;
    exec(db, "CREATE VIRTUAL TABLE t USING annoy(v %s[%d], metric=%s)", cases[c].type, cases[c].dim, cases[c].metric);
    clusters.dim = cases[c].dim;
    for(i=0; i<20; i++) for(e=0; e<cases[c].dim; e++) clusters.centre[i][e] = (int)(rnd()%256);
    exec(db, "BEGIN");
    sqlite3_prepare_v2(db, "INSERT INTO t(rowid, v) VALUES(?1, ?2)", -1, &st, 0);
    for(i=0; i<n; i++){
      uint8_t bytes[64], bits[8];
      float f[64];
      cluster_vector(&clusters, bytes, bits, f);
      sqlite3_bind_int(st, 1, i+1);
      if( strcmp(cases[c].type, "float32")==0 ) sqlite3_bind_blob(st, 2, f, cases[c].dim*4, SQLITE_TRANSIENT);
      else if( strcmp(cases[c].type, "uint8")==0 ) sqlite3_bind_blob(st, 2, bytes, cases[c].dim, SQLITE_TRANSIENT);
      else sqlite3_bind_blob(st, 2, bits, cases[c].dim/8, SQLITE_TRANSIENT);
      sqlite3_step(st);
      sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    exec(db, "COMMIT");
    r = recall(db, &clusters, cases[c].type);
    check(r>=0.9, "persistence 4.%u default recall@10 %.3f >= 0.9 (%s %s, %d rows)", c+1, r,
          cases[c].type, cases[c].metric, n);
    sqlite3_close(db);
  }
}

/* ---- 5.x another connection changes things under a busy one ---------------- */

/* Makes connection `other` run `sql` the first time `db` starts a
** statement whose text contains `when`. SQLITE_TRACE_STMT fires as a
** statement starts running, before it takes its read snapshot, so the
** change lands between two statements of whatever `db` is doing. */
typedef struct Interloper { sqlite3 *other; const char *when, *sql; int fired, rc; } Interloper;

static int interlope(unsigned type, void *ctx, void *stmt, void *unused){
  Interloper *in = ctx;
  (void)type; (void)unused;
  if( !in->fired && strstr(sqlite3_sql(stmt), in->when) ){
    in->fired = 1;
    in->rc = exec(in->other, "%s", in->sql);
  }
  return 0;
}

/* A fresh WAL database at path with t: 500 float32[16] rows; a and b are
** two connections to it, and a has used t (its store is cached). */
static void two_on_fresh_file(const char *path, sqlite3 **a, sqlite3 **b){
  char *check;
  remove_db(path);
  *a = open_db(path);
  exec(*a, "PRAGMA journal_mode=wal");
  exec(*a, "CREATE VIRTUAL TABLE t USING annoy(v float32[16], trees=3, leaf_size=8)");
  fill(*a, 500, 16, 1);
  check = query_text(*a, "SELECT annoy_check('t')");
  if( check==0 || strcmp(check, "ok")!=0 ) fprintf(stderr, "# setup: annoy_check says %s\n", check);
  sqlite3_free(check);
  *b = open_db(path);
}

/* 5.1-5.2: annoy_check reads the table with many statements. Another
** connection's commit between two of them must not be seen half-way (a
** false report), and a schema change must not disconnect the table under
** it: that freed the store while one of its statements was being
** re-prepared (heap-use-after-free under ASan). */
static void change_during_check(void){
  static const struct { const char *sql, *after, *want_after; } cases[] = {
    { "CREATE TABLE unrelated(x)",
      "SELECT count(*) FROM sqlite_schema WHERE name='unrelated'", "1" },
    { "INSERT INTO t(rowid, v) VALUES (9999, '[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]')",
      "SELECT count(*) FROM t", "501" },
  };
  char path[512];
  unsigned c;
  for(c=0; c<sizeof(cases)/sizeof(cases[0]); c++){
    sqlite3 *a, *b;
    Interloper in = { 0, "_nodes", cases[c].sql, 0, 0 };
    int ok;
    two_on_fresh_file(test_file(path, "check.db"), &a, &b);
    in.other = b;
    sqlite3_trace_v2(a, SQLITE_TRACE_STMT, interlope, &in);
    ok = query_is(a, "ok", "SELECT annoy_check('t')");
    sqlite3_trace_v2(a, 0, 0, 0);
    ok = ok && in.fired && in.rc==SQLITE_OK;
    ok = ok && query_is(a, cases[c].want_after, cases[c].after) && query_is(a, "ok", "SELECT annoy_check('t')");
    check(ok, "persistence 5.%u annoy_check is 'ok' when another connection commits %s in the middle of it",
          c+1, c==0 ? "a schema change" : "a row");
    sqlite3_close(a);
    sqlite3_close(b);
  }
  remove_db(path);
}

/* The next n rowids from st appended to `so_far` (comma-separated), or
** "error: ..." if a step fails. */
static char *more_rowids(sqlite3_stmt *st, int n, char *so_far){
  int i, rc = SQLITE_ROW;
  for(i=0; i<n && (rc = sqlite3_step(st))==SQLITE_ROW; i++){
    so_far = sqlite3_mprintf("%z%s%lld", so_far, so_far[0] ? "," : "", sqlite3_column_int64(st, 0));
  }
  if( rc!=SQLITE_ROW && rc!=SQLITE_DONE ){
    sqlite3_free(so_far);
    return sqlite3_mprintf("error: %s", sqlite3_errmsg(sqlite3_db_handle(st)));
  }
  return so_far;
}

#define QUERY16 "[50,50,50,50,50,50,50,50,50,50,50,50,50,50,50,50]"
#define NEAREST40 "SELECT group_concat(rowid) FROM (SELECT rowid FROM t WHERE v MATCH '" QUERY16 "' LIMIT 40)"

/* 5.3-5.6: an open-ended query (it searches again, reading more nodes,
** after its first 16 rows) has returned 10 rows when another connection
** changes the schema. The query goes on in its own snapshot; the same
** statement run again, and a new query, agree with the other connection. */
static void change_during_query(void){
  static const struct { const char *what, *sql; } cases[] = {
    { "creates a table", "CREATE TABLE unrelated(x)" },
    { "drops t and creates it again with other rows",
      "CREATE TABLE keep AS SELECT item, v FROM t_vectors;"
      "DROP TABLE t;"
      "CREATE VIRTUAL TABLE t USING annoy(v float32[16], trees=2, leaf_size=4);"
      "INSERT INTO t(rowid, v) SELECT item+1000, v FROM keep WHERE item%2=0" },
    { "renames t", "ALTER TABLE t RENAME TO t2" },
    { "vacuums", "VACUUM" },
  };
  char path[512];
  unsigned c;
  for(c=0; c<sizeof(cases)/sizeof(cases[0]); c++){
    sqlite3 *a, *b;
    sqlite3_stmt *st;
    char *before, *during, *again, *theirs;
    int rc, ok;
    two_on_fresh_file(test_file(path, "query.db"), &a, &b);
    before = query_text(a, "%s", NEAREST40);
    sqlite3_prepare_v2(a, "SELECT rowid FROM t WHERE v MATCH '" QUERY16 "'", -1, &st, 0);
    during = more_rowids(st, 10, sqlite3_mprintf(""));
    rc = exec(b, "%s", cases[c].sql);
    during = more_rowids(st, 30, during);
    sqlite3_reset(st);
    again = more_rowids(st, 40, sqlite3_mprintf(""));
    sqlite3_finalize(st);
    theirs = query_text(b, "%s", NEAREST40);
    ok = rc==SQLITE_OK && before && strcmp(before, during)==0 && theirs && strcmp(again, theirs)==0
      && query_is(a, theirs, NEAREST40)
      && query_is(a, "ok", c==2 ? "SELECT annoy_check('t2')" : "SELECT annoy_check('t')");
    if( !ok ) fprintf(stderr, "# rc %d\n# before %s\n# during %s\n# again  %s\n# theirs %s\n",
                      rc, before, during, again, theirs);
    check(ok, "persistence 5.%u a query part-way through when another connection %s: "
          "it finishes in its snapshot, then agrees with the other connection", c+3, cases[c].what);
    sqlite3_free(before); sqlite3_free(during); sqlite3_free(again); sqlite3_free(theirs);
    sqlite3_close(a);
    sqlite3_close(b);
  }
  remove_db(path);
}

/* 5.7: the file is deleted and a new one made at its path while a query
** is part-way. The old connection keeps reading the file it opened; a new
** connection reads the new one. */
static void file_replaced_during_query(void){
  char path[512], *before, *during, *again, *fresh;
  sqlite3 *a, *b, *c;
  sqlite3_stmt *st;
  int ok;
  two_on_fresh_file(test_file(path, "replaced.db"), &a, &b);
  sqlite3_close(b);
  before = query_text(a, "%s", NEAREST40);
  sqlite3_prepare_v2(a, "SELECT rowid FROM t WHERE v MATCH '" QUERY16 "'", -1, &st, 0);
  during = more_rowids(st, 10, sqlite3_mprintf(""));
  remove_db(path);
  c = open_db(path);
  exec(c, "PRAGMA journal_mode=wal");
  exec(c, "CREATE VIRTUAL TABLE t USING annoy(v float32[16])");
  exec(c, "INSERT INTO t(rowid, v) VALUES (77, '" QUERY16 "')");
  during = more_rowids(st, 30, during);
  sqlite3_reset(st);
  again = more_rowids(st, 40, sqlite3_mprintf(""));
  sqlite3_finalize(st);
  fresh = query_text(c, "%s", NEAREST40);
  ok = before && strcmp(before, during)==0 && strcmp(before, again)==0
    && query_is(a, "ok", "SELECT annoy_check('t')") && fresh && strcmp(fresh, "77")==0;
  if( !ok ) fprintf(stderr, "# before %s\n# during %s\n# again  %s\n# fresh  %s\n", before, during, again, fresh);
  check(ok, "persistence 5.7 the file deleted and made again under a query: "
        "the old connection keeps its file, a new one sees the new file");
  sqlite3_free(before); sqlite3_free(during); sqlite3_free(again); sqlite3_free(fresh);
  sqlite3_close(a);
  sqlite3_close(c);
  remove_db(path);
}

int main(int argc, char **argv){
  sqlite3 *db;
  char *mine, *theirs, path[512];
  if( argc>1 ) test_extension = argv[1];
  if( argc>3 && strcmp(argv[2], "--answers")==0 ){
    db = open_db(argv[3]);
    mine = answers(db, 16);
    fputs(mine, stdout);
    sqlite3_free(mine);
    sqlite3_close(db);
    return 0;
  }

  test_file(path, "persist.db");
  db = open_db(path);
  exec(db, "CREATE VIRTUAL TABLE t USING annoy(v float32[16], trees=5, leaf_size=16)");
  fill(db, 3000, 16, 1);
  mine = answers(db, 16);
  sqlite3_close(db);
  {
    int fd[2], status;
    char buf[1<<16];
    ssize_t n, got = 0;
    pid_t pid;
    if( pipe(fd) ) return 2;
    pid = fork();
    if( pid==0 ){
      dup2(fd[1], 1);
      close(fd[0]);
      execl(argv[0], argv[0], test_extension, "--answers", path, (char*)0);
      _exit(127);
    }
    close(fd[1]);
    while( (n = read(fd[0], buf+got, sizeof(buf)-1-(size_t)got))>0 ) got += n;
    buf[got] = 0;
    close(fd[0]);
    waitpid(pid, &status, 0);
    theirs = buf;
    check(strcmp(mine, theirs)==0 && strlen(mine)>40,
          "persistence 1.1 a new process gets the same answers from the file");
  }
  sqlite3_free(mine);
  db = open_db(path);
  check(query_is(db, "ok", "SELECT annoy_check('t')"), "persistence 1.2 annoy_check after reopening");
  sqlite3_close(db);
  remove(path);

  two_connections("delete");
  two_connections("wal");
  determinism();
  recall_floors();
  change_during_check();
  change_during_query();
  file_replaced_during_query();
  rmdir(test_dir());
  return test_failures ? 1 : 0;
}
