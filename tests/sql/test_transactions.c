/*
** test_transactions.c — randomized INSERT / UPDATE / DELETE / SAVEPOINT /
** RELEASE / ROLLBACK TO / ROLLBACK / COMMIT against an in-memory model;
** also INSERT OR REPLACE, UPDATE of the rowid and 'rebuild'.
**
** After every step, an exact query (search_k = -1) and a forest query with
** search_k larger than the table must both return the model's exact top 5,
** and the row count must agree; annoy_check runs every 25 steps and at the
** end. A multi-row INSERT that fails on its last row must change nothing.
**
**   test_transactions EXTENSION [STEPS] [SEED]
*/
#include <math.h>
#include "testlib.h"

#define MAX_ROWS 300
#define DIM 4
#define MAX_DEPTH 8

typedef struct Model { int present[MAX_ROWS]; float v[MAX_ROWS][DIM]; } Model;

static Model model, txn_start, saved[MAX_DEPTH];
static int depth = 0, in_txn = 0;

static float frand(void){ return (float)(rnd()%20000)/1000.0f; }

static char *vec_json(const float *v){
  return sqlite3_mprintf("[%.3f,%.3f,%.3f,%.3f]", v[0], v[1], v[2], v[3]);
}

/* What the table stores for that JSON: each number to double, then float. */
static void store_json(float *out, const char *json){
  const char *p = json+1;
  int e;
  for(e=0; e<DIM; e++){
    char *end;
    out[e] = (float)strtod(p, &end);
    p = end+1;
  }
}

/* The model's exact top k rowids for q, "r1,r2,..." (ties by rowid). */
static char *model_topk(const float *q, int k){
  int used[MAX_ROWS] = {0}, i, j;
  char *out = sqlite3_mprintf("");
  for(j=0; j<k; j++){
    int best = -1;
    double best_d = 0;
    for(i=0; i<MAX_ROWS; i++){
      double d = 0;
      int e;
      if( !model.present[i] || used[i] ) continue;
      for(e=0; e<DIM; e++){ double x = (double)model.v[i][e]-q[e]; d += x*x; }
      if( best<0 || d<best_d ){ best = i; best_d = d; }
    }
    if( best<0 ) break;
    used[best] = 1;
    out = sqlite3_mprintf("%z%s%d", out, j ? "," : "", best);
  }
  return out;
}

static int model_count(void){
  int i, n = 0;
  for(i=0; i<MAX_ROWS; i++) n += model.present[i];
  return n;
}

/* Compare the table with the model. */
static int agrees(sqlite3 *db, const char *what){
  float q[DIM];
  char *want, *json, *sql;
  int e, ok = 1;
  for(e=0; e<DIM; e++) q[e] = frand();
  want = model_topk(q, 5);
  json = vec_json(q);
  sql = sqlite3_mprintf("SELECT ifnull(group_concat(rowid), '') FROM "
                        "(SELECT rowid FROM t WHERE v MATCH '%s' AND k=5 AND search_k=-1)", json);
  ok &= query_is(db, want, sql);
  sqlite3_free(sql);
  sql = sqlite3_mprintf("SELECT ifnull(group_concat(rowid), '') FROM "
                        "(SELECT rowid FROM t WHERE v MATCH '%s' AND k=5 AND search_k=100000)", json);
  ok &= query_is(db, want, sql);
  sqlite3_free(sql);
  {
    char *count = sqlite3_mprintf("%d", model_count());
    ok &= query_is(db, count, "SELECT count(*) FROM t");
    sqlite3_free(count);
  }
  if( !ok ) fprintf(stderr, "# after %s\n", what);
  sqlite3_free(want);
  sqlite3_free(json);
  return ok;
}

int main(int argc, char **argv){
  int steps = argc>2 ? atoi(argv[2]) : 3000, step, ok = 1, checks_ok = 1, stmt_ok = 1;
  sqlite3 *db;
  if( argc>1 ) test_extension = argv[1];
  if( argc>3 ) test_rng = (uint64_t)atoll(argv[3]) | 1;
  char path[512];
  test_file(path, "transactions.db");
  db = open_db(path);
  exec(db, "CREATE VIRTUAL TABLE t USING annoy(v float32[4], trees=3, leaf_size=4)");
  for(step=0; ok && step<steps; step++){
    int op = (int)(rnd()%100), row = (int)(rnd()%MAX_ROWS), e;
    char what[128];
    float v[DIM];
    for(e=0; e<DIM; e++) v[e] = frand();
    if( op<35 ){                                   /* INSERT */
      char *json = vec_json(v);
      int replace = rnd()%4==0;
      int rc = exec(db, "INSERT %s INTO t(rowid, v) VALUES(%d, '%s')",
                    replace ? "OR REPLACE" : "", row, json);
      if( model.present[row] && !replace ){
        ok &= rc==SQLITE_CONSTRAINT;
      }else{
        ok &= rc==SQLITE_OK;
        model.present[row] = 1;
        store_json(model.v[row], json);
      }
      snprintf(what, sizeof(what), "step %d: INSERT%s %d", step, replace ? " OR REPLACE" : "", row);
      sqlite3_free(json);
    }else if( op<44 ){                             /* UPDATE of the rowid */
      int to = (int)(rnd()%MAX_ROWS);
      int rc = exec(db, "UPDATE t SET rowid=%d WHERE rowid=%d", to, row);
      if( model.present[row] && model.present[to] && to!=row ){
        ok &= rc==SQLITE_CONSTRAINT;
      }else{
        ok &= rc==SQLITE_OK;
        if( model.present[row] && to!=row ){
          model.present[to] = 1;
          memcpy(model.v[to], model.v[row], sizeof(model.v[row]));
          model.present[row] = 0;
        }
      }
      snprintf(what, sizeof(what), "step %d: UPDATE rowid %d -> %d", step, row, to);
    }else if( op<50 ){                             /* UPDATE of the vector */
      char *json = vec_json(v);
      ok &= exec(db, "UPDATE t SET v='%s' WHERE rowid=%d", json, row)==SQLITE_OK;
      if( model.present[row] ){
        store_json(model.v[row], json);
      }
      snprintf(what, sizeof(what), "step %d: UPDATE %d", step, row);
      sqlite3_free(json);
    }else if( op<68 ){                             /* DELETE */
      ok &= exec(db, "DELETE FROM t WHERE rowid=%d", row)==SQLITE_OK;
      model.present[row] = 0;
      snprintf(what, sizeof(what), "step %d: DELETE %d", step, row);
    }else if( op<69 ){                             /* rebuild the forest */
      ok &= exec(db, "INSERT INTO t(t) VALUES('rebuild')")==SQLITE_OK;
      snprintf(what, sizeof(what), "step %d: rebuild", step);
    }else if( op<73 ){                             /* a statement that fails half way */
      int other = (row+1)%MAX_ROWS;
      char *json = vec_json(v);
      int rc = exec(db, "INSERT INTO t(rowid, v) VALUES(%d, '%s'), (%d, '[1,2]')",
                    model.present[row] ? MAX_ROWS+row : row, json, other);
      stmt_ok &= rc!=SQLITE_OK;
      snprintf(what, sizeof(what), "step %d: failing multi-row INSERT", step);
      sqlite3_free(json);
    }else if( op<78 && !in_txn ){
      ok &= exec(db, "BEGIN")==SQLITE_OK;
      txn_start = model; in_txn = 1; depth = 0;
      snprintf(what, sizeof(what), "step %d: BEGIN", step);
    }else if( op<84 && in_txn && depth<MAX_DEPTH ){
      ok &= exec(db, "SAVEPOINT s%d", depth)==SQLITE_OK;
      saved[depth++] = model;
      snprintf(what, sizeof(what), "step %d: SAVEPOINT s%d", step, depth-1);
    }else if( op<88 && in_txn && depth>0 ){
      int to = (int)(rnd()%(uint32_t)depth);
      ok &= exec(db, "ROLLBACK TO s%d", to)==SQLITE_OK;
      model = saved[to]; depth = to+1;
      snprintf(what, sizeof(what), "step %d: ROLLBACK TO s%d", step, to);
    }else if( op<91 && in_txn && depth>0 ){
      int to = (int)(rnd()%(uint32_t)depth);
      ok &= exec(db, "RELEASE s%d", to)==SQLITE_OK;
      depth = to;
      snprintf(what, sizeof(what), "step %d: RELEASE s%d", step, to);
    }else if( op<95 && in_txn ){
      ok &= exec(db, "ROLLBACK")==SQLITE_OK;
      model = txn_start; in_txn = 0; depth = 0;
      snprintf(what, sizeof(what), "step %d: ROLLBACK", step);
    }else if( in_txn ){
      ok &= exec(db, "COMMIT")==SQLITE_OK;
      in_txn = 0; depth = 0;
      snprintf(what, sizeof(what), "step %d: COMMIT", step);
    }else{
      continue;
    }
    if( !ok ) fprintf(stderr, "# statement failed at %s\n", what);
    ok = ok && agrees(db, what);
    if( ok && step%25==0 ) checks_ok &= query_is(db, "ok", "SELECT annoy_check('t')");
  }
  if( in_txn ) exec(db, "COMMIT");
  check(ok, "transactions 1.1 %d random operations agree with the model after every step", steps);
  check(stmt_ok, "transactions 1.2 multi-row INSERTs failing on a bad row report an error");
  check(checks_ok && query_is(db, "ok", "SELECT annoy_check('t')"), "transactions 1.3 annoy_check is ok throughout");
  sqlite3_close(db);
  db = open_db(path);
  check(agrees(db, "reopen"), "transactions 1.4 the committed state survives closing and reopening");
  sqlite3_close(db);
  remove(path);
  rmdir(test_dir());
  return test_failures ? 1 : 0;
}
