/*
** imgsearch_vec.c — the vector-only entry point, sqlite3_imgsearchvec_init.
**
**   .load build/imgsearch_vec      (sqlite3 shell)
**
** Registers, on the connection it is loaded into: the annoy virtual table
** and annoy_check() (annoy/annoy_vtab.c) and the vec_* helpers
** (annoy/vector_sql.c). Every build links this file — the vector-only
** extension and library, and the full ones, whose entry point
** (imgsearch.c) starts by calling this one — so it holds the one
** definition of SQLite's API pointer (SQLITE_EXTENSION_INIT1).
*/
#include "sqlite_ext.h"
SQLITE_EXTENSION_INIT1
#include "imgsearch.h"
#include "annoy/annoy_vtab.h"
#include "annoy/vector_sql.h"

#ifdef _WIN32
__declspec(dllexport)
#endif
__attribute__((visibility("default")))
int sqlite3_imgsearchvec_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi){
  int rc;
  SQLITE_EXTENSION_INIT2(pApi);
  rc = annoy_register(db);
  if( rc==SQLITE_OK ) rc = vector_sql_register(db);
  if( rc ) *pzErrMsg = sqlite3_mprintf("imgsearch: cannot register functions: %s", sqlite3_errstr(rc));
  return rc;
}
