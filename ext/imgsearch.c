/*
** imgsearch.c — the extension's entry point, and its only exported symbol.
**
**   .load build/imgsearch        (sqlite3 shell)
**   sqlite3_load_extension(db, "build/imgsearch", 0, &err)
**
** Registers, on the connection it is loaded into: the annoy virtual table
** and annoy_check() (annoy/annoy_vtab.c), the vec_* helpers (annoy/vector_sql.c)
** the img_* functions (image/image_sql.c) and the wordindex virtual table
** (wordindex/wordindex_vtab.c).
*/
#include "sqlite_ext.h"
SQLITE_EXTENSION_INIT1
#include "annoy/annoy_vtab.h"
#include "annoy/vector_sql.h"
#include "image/image_sql.h"
#include "wordindex/wordindex_vtab.h"

#ifdef _WIN32
__declspec(dllexport)
#endif
__attribute__((visibility("default")))
int sqlite3_imgsearch_init(sqlite3 *db, char **err, const sqlite3_api_routines *api){
  int rc;
  SQLITE_EXTENSION_INIT2(api);
  rc = annoy_register(db);
  if( rc==SQLITE_OK ) rc = vector_sql_register(db);
  if( rc==SQLITE_OK ) rc = image_sql_register(db);
  if( rc==SQLITE_OK ) rc = wordindex_register(db);
  if( rc ) *err = sqlite3_mprintf("imgsearch: cannot register functions: %s", sqlite3_errstr(rc));
  return rc;
}
