/*
** interrupt.c — sql_interrupted(): see interrupt.h.
*/
#include "error.h"
#include "interrupt.h"

int sql_interrupted(sqlite3 *db, char **pzErr){
  sqlite3_stmt *probe = 0;
  int rc;
  if( db==0 ) return SQLITE_OK;
  rc = sqlite3_prepare_v2(db, "SELECT 1", -1, &probe, 0);
  if( rc==SQLITE_OK ){
    rc = sqlite3_step(probe);
    rc = rc==SQLITE_ROW ? SQLITE_OK : sqlite3_reset(probe);
  }
  sqlite3_finalize(probe);
  if( rc==SQLITE_INTERRUPT ) return error_set(pzErr, rc, "interrupted");
  if( rc && rc!=SQLITE_NOMEM ) return error_set(pzErr, rc, "%s", sqlite3_errmsg(db));
  return rc;
}
