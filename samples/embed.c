/*
** embed.c — imgsearch's vector table inside a program's own SQLite.
**
**   cc embed.c $(pkg-config --cflags --libs imgsearch-vec) -o embed
**   ./embed [DATABASE]        (default: a database in memory)
**
** Registers the vector-only library (libimgsearch_vec) with
** sqlite3_auto_extension, so every connection opened afterwards has the
** annoy table and the vec_* functions; then stores five 2-d points and
** prints the three nearest to (0.9, 0.1). With libimgsearch (pkg-config
** imgsearch) and sqlite3_imgsearch_init it would have the img_* functions
** too.
*/
#include <stdio.h>
#include <sqlite3.h>
#include <imgsearch.h>

static int fail(sqlite3 *db, const char *what){
  fprintf(stderr, "embed: %s: %s\n", what, db ? sqlite3_errmsg(db) : "out of memory");
  sqlite3_close(db);
  return 1;
}

int main(int argc, char **argv){
  sqlite3 *db = 0;
  sqlite3_stmt *query = 0;
  int rc;

  printf("imgsearch %s, SQLite %s\n", IMGSEARCH_VERSION, sqlite3_libversion());
  if( sqlite3_auto_extension((void(*)(void))sqlite3_imgsearchvec_init)!=SQLITE_OK ){
    return fail(0, "sqlite3_auto_extension");
  }
  if( sqlite3_open(argc>1 ? argv[1] : ":memory:", &db)!=SQLITE_OK ) return fail(db, "open");
  if( sqlite3_exec(db,
        "CREATE VIRTUAL TABLE IF NOT EXISTS points USING annoy(v float32[2]);"
        "INSERT OR REPLACE INTO points(rowid, v) VALUES"
        "  (1, '[0, 0]'), (2, '[1, 0]'), (3, '[0, 1]'), (4, '[1, 1]'), (5, '[0.5, 0.5]');",
        0, 0, 0)!=SQLITE_OK ){
    return fail(db, "create and insert");
  }
  if( sqlite3_prepare_v2(db,
        "SELECT rowid, distance FROM points WHERE v MATCH vec_f32('[0.9, 0.1]') AND k = 3",
        -1, &query, 0)!=SQLITE_OK ){
    return fail(db, "prepare");
  }
  while( (rc = sqlite3_step(query))==SQLITE_ROW ){
    printf("%lld %.4f\n", sqlite3_column_int64(query, 0), sqlite3_column_double(query, 1));
  }
  sqlite3_finalize(query);
  if( rc!=SQLITE_DONE ) return fail(db, "query");
  return sqlite3_close(db)==SQLITE_OK ? 0 : fail(db, "close");
}
