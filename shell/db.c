/*
** db.c — opening an image database: the extension on every connection,
** the schema from sql/schema.sql (compiled in as build/shell/schema.h),
** and the few SQL helpers every command repeats (see db.h).
**
** The extension is linked into this program (-DSQLITE_CORE) and registered
** with sqlite3_auto_extension, so worker connections (":memory:") and the
** database connection all have the annoy module and the img_* functions.
**
** sql/schema.sql is one text in two parts: the tables, run on every open,
** and from the line DB_VECTORS_MARKER on the image_vectors template, run by
** db_create_vectors when the model is trained.
**
** May call: SQLite, the extension's entry point (imgsearch.h), stdio.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "imgsearch.h"

static const char db_schema_sql[] =
#include "schema.h"
;

#define DB_VECTORS_MARKER "\n-- ==== image_vectors\n"

/* Where the image_vectors template starts in db_schema_sql. */
static const char *db_vectors_template(void){
  const char *z = strstr(db_schema_sql, DB_VECTORS_MARKER);
  return z ? z : db_schema_sql + strlen(db_schema_sql);
}

int db_register_extension(void){
  int rc = sqlite3_auto_extension((void(*)(void))sqlite3_imgsearch_init);
  if( rc!=SQLITE_OK ){
    fprintf(stderr, "imgsearch: cannot register the extension: %s\n",
            sqlite3_errstr(rc));
  }
  return rc;
}

void db_error(sqlite3 *db, const char *zWhat){
  fprintf(stderr, "imgsearch: %s: %s\n", zWhat, db ? sqlite3_errmsg(db) : "out of memory");
}

int db_ensure_schema(sqlite3 *db){
  char *zErr = 0;
  char *zTables = sqlite3_mprintf("%.*s", (int)(db_vectors_template() - db_schema_sql),
                                  db_schema_sql);
  int rc = zTables ? sqlite3_exec(db, zTables, 0, 0, &zErr) : SQLITE_NOMEM;
  if( rc!=SQLITE_OK ){
    fprintf(stderr, "imgsearch: cannot create the schema: %s\n",
            zErr ? zErr : sqlite3_errstr(rc));
  }
  sqlite3_free(zErr);
  sqlite3_free(zTables);
  return rc;
}

int db_create_vectors(sqlite3 *db, int dims, char **pzErr){
  char *zSql = sqlite3_mprintf(db_vectors_template(), dims);
  int rc = zSql ? sqlite3_exec(db, zSql, 0, 0, 0) : SQLITE_NOMEM;
  if( rc!=SQLITE_OK && rc!=SQLITE_NOMEM && pzErr ){
    *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(db));
  }
  sqlite3_free(zSql);
  return rc;
}

sqlite3 *db_open(const char *zPath){
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
  /* A page cache of up to 64 MB (SQLite's default is 2 MB): a search
  ** reads each of its words in every segment of image_words, and a batch
  ** of queries (dups, report, several files) reads the same pages again;
  ** from SQLite's pages instead of the OS's, a query at 12,666 images took
  ** 16 ms of CPU instead of 47 (docs/BENCHMARKS.md). */
  sqlite3_exec(db, "PRAGMA cache_size=-65536", 0, 0, 0);
  /* A file this user cannot write (0444, another user's, read-only media)
  ** is opened read-only by SQLite: it is searched as it is, without the
  ** journal mode or the schema, which would be writes. */
  if( sqlite3_db_readonly(db, "main")==1 ) return db;
  /* WAL: readers (a REPL, a search) are not blocked by an index run. */
  sqlite3_exec(db, "PRAGMA journal_mode=WAL", 0, 0, 0);
  if( db_ensure_schema(db)!=SQLITE_OK ){
    sqlite3_close(db);
    return 0;
  }
  return db;
}

sqlite3 *db_open_existing(const char *zCommand, const char *zPath){
  if( access(zPath, F_OK)!=0 ){
    fprintf(stderr, "imgsearch %s: no such database: %s\n", zCommand, zPath);
    return 0;
  }
  return db_open(zPath);
}

int db_has_index(sqlite3 *db){
  return (int)db_query_int(db,
      "SELECT (SELECT count(*) FROM codebook)"
      "   AND (SELECT count(*) FROM sqlite_schema WHERE name='image_vectors')");
}

int db_has_words(sqlite3 *db){
  return (int)db_query_int(db,
      "SELECT (SELECT count(*) FROM vocabulary)"
      "   AND (SELECT count(*) FROM sqlite_schema WHERE name='image_words')");
}

void db_note_no_words(void){
  fprintf(stderr, "imgsearch: note: this database has no visual words (it was made by"
                  " an older imgsearch), so copies are found by the global vectors only;"
                  " `imgsearch index DB --retrain` adds them\n");
}

int db_require_index(sqlite3 *db){
  if( db_has_index(db) ) return 1;
  fprintf(stderr, "imgsearch: the database has no image index yet: "
                  "run `imgsearch index DB FOLDER` first\n");
  return 0;
}

/* ---- SQL helpers ---------------------------------------------------------- */

int db_exec(sqlite3 *db, const char *zSql){
  int rc = sqlite3_exec(db, zSql, 0, 0, 0);
  if( rc!=SQLITE_OK ) db_error(db, zSql);
  return rc;
}

int db_step(sqlite3_stmt *stmt){
  int rc;
  while( (rc = sqlite3_step(stmt))==SQLITE_ROW ){}
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  return rc==SQLITE_DONE ? SQLITE_OK : rc;
}

sqlite3_int64 db_query_int(sqlite3 *db, const char *zSql){
  sqlite3_stmt *stmt = 0;
  sqlite3_int64 v = 0;
  if( sqlite3_prepare_v2(db, zSql, -1, &stmt, 0)==SQLITE_OK
   && sqlite3_step(stmt)==SQLITE_ROW ) v = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  return v;
}

unsigned char *db_column_blob_copy(sqlite3_stmt *stmt, int i, size_t *pn){
  const void *data = sqlite3_column_blob(stmt, i);
  int n = sqlite3_column_bytes(stmt, i);
  unsigned char *p = malloc(n>0 ? (size_t)n : 1);
  if( p && n>0 ) memcpy(p, data, (size_t)n);
  *pn = p ? (size_t)n : 0;
  return p;
}

/* ---- the model ------------------------------------------------------------ */

/* The blob zSql selects (malloc'd), or NULL. */
static unsigned char *db_load_blob(sqlite3 *db, const char *zSql, size_t *pn){
  sqlite3_stmt *stmt = 0;
  unsigned char *p = 0;
  *pn = 0;
  if( sqlite3_prepare_v2(db, zSql, -1, &stmt, 0)==SQLITE_OK
   && sqlite3_step(stmt)==SQLITE_ROW ){
    p = db_column_blob_copy(stmt, 0, pn);
  }
  sqlite3_finalize(stmt);
  return p;
}

void db_model_load(sqlite3 *db, DbModel *m){
  m->codebook = db_load_blob(db, "SELECT codebook FROM codebook WHERE id=1",
                             &m->codebook_bytes);
  m->pca = db_load_blob(db, "SELECT pca FROM projection WHERE id=1", &m->pca_bytes);
  m->vocab = db_load_blob(db, "SELECT vocab FROM vocabulary WHERE id=1", &m->vocab_bytes);
}

void db_model_bind(const DbModel *m, sqlite3_stmt *stmt, int i){
  int n = sqlite3_bind_parameter_count(stmt);
  if( i<=n ) sqlite3_bind_blob(stmt, i, m->codebook, (int)m->codebook_bytes, SQLITE_STATIC);
  if( i+1<=n ) sqlite3_bind_blob(stmt, i+1, m->pca, (int)m->pca_bytes, SQLITE_STATIC);
  if( i+2<=n ) sqlite3_bind_blob(stmt, i+2, m->vocab, (int)m->vocab_bytes, SQLITE_STATIC);
}

void db_model_free(DbModel *m){
  free(m->codebook);
  free(m->pca);
  free(m->vocab);
  memset(m, 0, sizeof(*m));
}
