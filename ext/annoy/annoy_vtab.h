/*
** annoy_vtab.h — registration of the annoy module and annoy_check().
**
** The module itself (SQL in, store calls out) is annoy_vtab.c; the entry
** point (ext/imgsearch.c) calls annoy_register on each connection.
*/
#ifndef IMGSEARCH_ANNOY_VTAB_H
#define IMGSEARCH_ANNOY_VTAB_H
#include "sqlite_ext.h"

/* Register the annoy module and annoy_check() on db. */
int annoy_register(sqlite3 *db);
#endif
