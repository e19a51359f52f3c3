/*
** test_fuzz_regressions.c — inputs the fuzzers (tests/fuzz/) found, replayed
** as ordinary tests so the bugs stay fixed.
**
** 1.x  vec_json on a BLOB at an odd address (fuzz_vector: the float32 path
**      read floats through a misaligned pointer; UBSan reports it, so this
**      case fails under `make test SANITIZE=1` if the bug comes back)
** 2.x  _info counters far beyond what the database holds (fuzz_shadow: a
**      one-row edit made the table allocate, and zero, 8 bytes per claimed
**      node or a byte per claimed slot — up to 32 GB — before reading any)
**
**   test_fuzz_regressions EXTENSION
*/
#include "testlib.h"

/* The first column of sql run with one BLOB parameter, as text. */
static char *query_blob(sqlite3 *db, const char *sql, const void *blob, int n){
  sqlite3_stmt *st;
  char *out = 0;
  if( sqlite3_prepare_v2(db, sql, -1, &st, 0)!=SQLITE_OK ) return sqlite3_mprintf("error: %s", sqlite3_errmsg(db));
  sqlite3_bind_blob(st, 1, blob, n, SQLITE_STATIC);
  if( sqlite3_step(st)==SQLITE_ROW ) out = sqlite3_mprintf("%s", sqlite3_column_text(st, 0));
  else out = sqlite3_mprintf("error: %s", sqlite3_errmsg(db));
  sqlite3_finalize(st);
  return out;
}

static void test_unaligned_vec_json(sqlite3 *db){
  /* 1.0f, -2.0f at offset 1 of an aligned buffer; SQLITE_STATIC keeps the
  ** address as it is. */
  static const unsigned char floats[] = { 0x00, 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0 };
  char *got = query_blob(db, "SELECT vec_json(?1)", floats + 1, 8);
  check(got && strcmp(got, "[1,-2]")==0, "1.1 vec_json of a float32 BLOB at an odd address: %s", got);
  sqlite3_free(got);
}

/* A fresh table t with 5 rows, then one _info counter set to value. */
static void damage_counter(sqlite3 *db, const char *key, const char *value){
  exec(db, "DROP TABLE IF EXISTS t");
  exec(db, "CREATE VIRTUAL TABLE t USING annoy(v float32[2], trees=2, leaf_size=2)");
  exec(db, "INSERT INTO t(rowid, v) VALUES (1,'[0,0]'), (2,'[1,0]'), (3,'[0,2]'), (4,'[3,4]'), (5,'[-1,-1]')");
  exec(db, "UPDATE t_info SET value = %s WHERE key = '%q'", value, key);
  exec(db, "UPDATE t_info SET value = value + 1 WHERE key = 'generation'");
}

/* text starts with "error: annoy table t is corrupt: " followed by detail */
static int is_corrupt(const char *text, const char *detail){
  const char *prefix = "error: annoy table t is corrupt: ";
  return text && strncmp(text, prefix, strlen(prefix))==0
      && strncmp(text + strlen(prefix), detail, strlen(detail))==0;
}

static void test_counters_beyond_the_file(sqlite3 *db){
  char *got;

  damage_counter(db, "nodes", "4000000000");
  got = query_text(db, "SELECT rowid FROM t WHERE v MATCH '[0,0]' AND k = 2");
  check(is_corrupt(got, "_info.nodes is 4000000000, more than"),
        "2.1 _info.nodes = 4e9: KNN is a corruption error: %s", got);
  sqlite3_free(got);
  got = query_text(db, "SELECT annoy_check('t')");
  check(got && strstr(got, "_info.nodes is 4000000000, more than") != 0,
        "2.2 ... annoy_check reports it: %s", got);
  sqlite3_free(got);

  damage_counter(db, "next_slot", "4000000000");
  got = query_text(db, "SELECT rowid FROM t WHERE v MATCH '[0,0]' AND k = 2");
  check(is_corrupt(got, "_info.next_slot is 4000000000, more than"),
        "2.3 _info.next_slot = 4e9: KNN is a corruption error: %s", got);
  sqlite3_free(got);

  /* a node row with a large id and a nodes counter to match: the file is
  ** still far too small to hold that many nodes */
  damage_counter(db, "nodes", "4000000000");
  exec(db, "INSERT INTO t_nodes(id, data) VALUES (3999999999, X'000000000000')");
  got = query_text(db, "SELECT rowid FROM t WHERE v MATCH '[0,0]' AND k = 2");
  check(is_corrupt(got, "_info.nodes is 4000000000, more than"),
        "2.4 a node 3999999999 and _info.nodes = 4e9: a corruption error: %s", got);
  sqlite3_free(got);

  /* an honest table of the same shape is fine */
  damage_counter(db, "nodes", "value");
  check(query_is(db, "ok", "SELECT annoy_check('t')"), "2.5 the undamaged table checks ok");
}

int main(int argc, char **argv){
  sqlite3 *db;
  if( argc>1 ) test_extension = argv[1];
  db = open_db(":memory:");
  test_unaligned_vec_json(db);
  test_counters_beyond_the_file(db);
  sqlite3_close(db);
  return test_failures ? 1 : 0;
}
