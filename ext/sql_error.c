/*
** sql_error.c — the error of an SQL function, formatted.  See sql_error.h.
*/
#include <stdarg.h>
#include "sql_error.h"

void sql_func_errorf(sqlite3_context *ctx, int rc, const char *zFormat, ...){
  char *zMsg;
  va_list ap;
  if( rc==SQLITE_NOMEM ){
    sqlite3_result_error_nomem(ctx);
    return;
  }
  va_start(ap, zFormat);
  zMsg = sqlite3_vmprintf(zFormat, ap);
  va_end(ap);
  if( zMsg==0 ){
    sqlite3_result_error_nomem(ctx);
    return;
  }
  sqlite3_result_error(ctx, zMsg, -1);
  if( rc!=SQLITE_OK && rc!=SQLITE_ERROR ) sqlite3_result_error_code(ctx, rc);
  sqlite3_free(zMsg);
}
