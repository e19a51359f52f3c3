/*
** vector_sql.h — registration of the vec_* scalar functions.
*/
#ifndef IMGSEARCH_VECTOR_SQL_H
#define IMGSEARCH_VECTOR_SQL_H
#include "sqlite_ext.h"
int vector_sql_register(sqlite3 *db);
#endif
