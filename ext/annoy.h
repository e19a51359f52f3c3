/*
** annoy.h — registration of the annoy module and annoy_check().
*/
#ifndef IMGSEARCH_ANNOY_H
#define IMGSEARCH_ANNOY_H
#include "sqlite_ext.h"

/* Per-connection list of open annoy tables (for annoy_check). */
typedef struct AnnoyConnection AnnoyConnection;
AnnoyConnection *annoy_connection_new(void);
void annoy_connection_free(void *conn);

int annoy_register(sqlite3 *db);
#endif
