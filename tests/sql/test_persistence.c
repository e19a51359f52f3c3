/*
** test_persistence.c — the index lives in the file, is shared, and is
** reproducible; recall floors on medium sets.
**
** 1.x  a new process opening the file gives the same answers
** 2.x  a second connection sees the first one's commits (and not its
**      uncommitted or rolled-back changes), in rollback-journal and WAL mode
** 3.x  same rows, same order, same seed: byte-identical shadow tables
** 4.x  default search recall@10 >= 0.9 against exact, for every type/metric
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

static void two_connections(const char *journal){
  sqlite3 *a, *b;
  char path[512], extra[520];
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
  remove(path);
  snprintf(extra, sizeof(extra), "%s-wal", path); remove(extra);
  snprintf(extra, sizeof(extra), "%s-shm", path); remove(extra);
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
  rmdir(test_dir());
  return test_failures ? 1 : 0;
}
