/*
** imgsearch.c — the full extension's entry point, sqlite3_imgsearch_init.
**
**   .load build/imgsearch        (sqlite3 shell)
**   sqlite3_load_extension(db, "build/imgsearch", 0, &err)
**
** Registers, on the connection it is loaded into, what the vector-only
** entry point does (imgsearch_vec.c: the annoy table, annoy_check, vec_*),
** the img_* functions (image/image_sql.c) and the wordindex virtual table
** (wordindex/wordindex_vtab.c). The loadable build exports this symbol
** only (exports.map).
*/
#include "sqlite_ext.h"
#include "imgsearch.h"
#include "image/image_sql.h"
#include "wordindex/wordindex_vtab.h"

#ifdef _WIN32
__declspec(dllexport)
#endif
__attribute__((visibility("default")))
int sqlite3_imgsearch_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi){
  int rc = sqlite3_imgsearchvec_init(db, pzErrMsg, pApi);
  if( rc ) return rc;
  rc = image_sql_register(db);
  if( rc==SQLITE_OK ) rc = wordindex_register(db);
  if( rc ) *pzErrMsg = sqlite3_mprintf("imgsearch: cannot register functions: %s", sqlite3_errstr(rc));
  return rc;
}
