/*
** vector_sql.h — registration of the vec_* scalar functions
** (vec_f32, vec_json, vec_distance; see vector_sql.c). The entry point
** (ext/imgsearch.c) calls vector_sql_register on each connection.
*/
#ifndef IMGSEARCH_VECTOR_SQL_H
#define IMGSEARCH_VECTOR_SQL_H
#include "sqlite_ext.h"
int vector_sql_register(sqlite3 *db);
#endif
