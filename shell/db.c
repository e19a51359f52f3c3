/*
** db.c — opening an image database: the extension on every connection,
** the schema from sql/schema.sql (compiled in as build/shell/schema.h).
**
** The extension is linked into this program (-DSQLITE_CORE) and registered
** with sqlite3_auto_extension, so worker connections (":memory:") and the
** database connection all have the annoy module and the img_* functions.
*/
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "shell.h"

int sqlite3_imgsearch_init(sqlite3 *db, char **pzErr,
                           const sqlite3_api_routines *api);

static const char shell_schema_sql[] =
#include "schema.h"
;

int shell_register_extension(void){
  int rc = sqlite3_auto_extension((void(*)(void))sqlite3_imgsearch_init);
  if( rc!=SQLITE_OK ){
    fprintf(stderr, "imgsearch: cannot register the extension: %s\n",
            sqlite3_errstr(rc));
  }
  return rc;
}

void shell_db_error(sqlite3 *db, const char *zWhat){
  fprintf(stderr, "imgsearch: %s: %s\n", zWhat, db ? sqlite3_errmsg(db) : "out of memory");
}

int shell_ensure_schema(sqlite3 *db){
  char *zErr = 0;
  int rc = sqlite3_exec(db, shell_schema_sql, 0, 0, &zErr);
  if( rc!=SQLITE_OK ){
    fprintf(stderr, "imgsearch: cannot create the schema: %s\n",
            zErr ? zErr : sqlite3_errstr(rc));
  }
  sqlite3_free(zErr);
  return rc;
}

sqlite3 *shell_open(const char *zPath){
  sqlite3 *db = 0;
  int rc = sqlite3_open_v2(zPath, &db,
                           SQLITE_OPEN_READWRITE|SQLITE_OPEN_CREATE, 0);
  if( rc!=SQLITE_OK ){
    fprintf(stderr, "imgsearch: cannot open %s: %s\n", zPath,
            db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    return 0;
  }
  sqlite3_busy_timeout(db, 10000);
  /* WAL: readers (a REPL, a search) are not blocked by an index run. */
  sqlite3_exec(db, "PRAGMA journal_mode=WAL", 0, 0, 0);
  if( shell_ensure_schema(db)!=SQLITE_OK ){
    sqlite3_close(db);
    return 0;
  }
  return db;
}

sqlite3 *shell_open_existing(const char *zCommand, const char *zPath){
  if( access(zPath, F_OK)!=0 ){
    fprintf(stderr, "imgsearch %s: no such database: %s\n", zCommand, zPath);
    return 0;
  }
  return shell_open(zPath);
}

int shell_has_index(sqlite3 *db){
  sqlite3_stmt *stmt = 0;
  int has = 0;
  if( sqlite3_prepare_v2(db,
        "SELECT (SELECT count(*) FROM codebook)"
        "   AND (SELECT count(*) FROM sqlite_schema WHERE name='image_vectors')",
        -1, &stmt, 0)==SQLITE_OK && sqlite3_step(stmt)==SQLITE_ROW ){
    has = sqlite3_column_int(stmt, 0);
  }
  sqlite3_finalize(stmt);
  return has;
}

int shell_require_index(sqlite3 *db){
  if( shell_has_index(db) ) return 1;
  fprintf(stderr, "imgsearch: the database has no image index yet: "
                  "run `imgsearch index DB FOLDER` first\n");
  return 0;
}
