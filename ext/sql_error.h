/*
** sql_error.h — the error of an SQL function, formatted.
*/
#ifndef IMGSEARCH_SQL_ERROR_H
#define IMGSEARCH_SQL_ERROR_H
#include "sqlite_ext.h"

/* Make the function's result an error with the printf-style message; rc is
** its result code (SQLITE_ERROR or a more specific one).  SQLITE_NOMEM, or
** no memory for the message, becomes sqlite3_result_error_nomem: a message
** that cannot be made must not turn an out-of-memory into another error. */
void sql_func_errorf(sqlite3_context *ctx, int rc, const char *zFormat, ...);

#endif
